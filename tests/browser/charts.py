"""Finding things on a drawn Plotly chart, for the browser journeys."""

from playwright.sync_api import expect

POINT_POSITION = """
([chartId, url]) => {
  const gd = document.getElementById(chartId);
  const box = gd.getBoundingClientRect();
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  for (const trace of gd._fullData) {
    if (!trace.customdata || trace.mode !== "markers") continue;
    const i = trace.customdata.findIndex((c) => c && c[0] === url);
    if (i >= 0) {
      return [box.x + xa._offset + xa.d2p(trace.x[i]), box.y + ya._offset + ya.d2p(trace.y[i])];
    }
  }
  return null;
}
"""

X_RANGE = """(chartId) => document.getElementById(chartId)._fullLayout.xaxis.range
  .map((value) => String(value).slice(0, 10))"""

#: Every text the chart draws that is visible, with its box, except the (empty) hover layer.
CHART_TEXTS = """(chartId) => [...document.querySelectorAll(`#${chartId} svg text`)]
  .filter((t) => t.textContent.trim() && !t.closest(".hoverlayer"))
  .map((t) => { const b = t.getBoundingClientRect();
                return {text: t.textContent, left: b.left, right: b.right}; })"""


def drawn(page, chart_id="timeline"):
    expect(page.locator(f"#{chart_id}.is-drawn")).to_be_visible()


def point_on_chart(page, url, chart_id="timeline"):
    """Where the event's marker is in the viewport, scrolled into view if it was not."""
    drawn(page, chart_id)
    position = page.evaluate(POINT_POSITION, [chart_id, url])
    assert position, f"{url} is not on the chart"
    height = page.viewport_size["height"]
    if not 0 <= position[1] <= height:
        page.evaluate("(y) => window.scrollBy(0, y)", position[1] - height / 2)
        position = page.evaluate(POINT_POSITION, [chart_id, url])
    return position


def x_range(page, chart_id="timeline"):
    return page.evaluate(X_RANGE, chart_id)
