"""The timeline in a real Chromium: two conflicts, crowded days, span buttons, counts
above the marker limit and single events again when the span narrows, phones, keyboard,
the reader's language, text exactly as typed, and a strict Content-Security-Policy."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.charts import CHART_TEXTS, drawn, point_on_chart, x_range
from tests.factories import make_event, make_process
from tests.timeline_records import D, two_conflicts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_three_events_on_one_day_are_three_markers_clicked_one_by_one(page):
    events = two_conflicts()
    page.goto("/")

    positions = []
    for n in (1, 2, 3):
        event = events[f"same-day-{n}"]
        x, y = point_on_chart(page, event.get_absolute_url())
        positions.append((x, y))
        page.mouse.move(x, y)
        expect(page.locator(".hoverlayer")).to_contain_text(event.title)
        page.mouse.click(x, y)
        expect(page).to_have_url(re.compile(re.escape(event.get_absolute_url()) + "$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(event.title)
        page.go_back()
    assert len({round(y) for _x, y in positions}) == 3


def test_range_buttons_change_the_span(page):
    two_conflicts()
    page.goto("/")
    drawn(page)

    first, last = x_range(page)
    assert "2022-06" < first < "2022-07-22" < "2025-08-20" < last, "opens on the latest war"

    page.get_by_role("button", name="War in Donbas (2014–2015)").click()
    page.wait_for_function("() => timeline._fullLayout.xaxis.range[0] < '2014-09-05'")
    first, last = x_range(page)
    assert "2015-04-30" < last < "2015-12-31"
    expect(page.get_by_role("button", name="War in Donbas (2014–2015)")).to_have_attribute(
        "aria-pressed", "true"
    )

    page.get_by_role("button", name="All").click()
    page.wait_for_function("() => timeline._fullLayout.xaxis.range[1] > '2025-08-20'")
    assert x_range(page)[0] < "2014-09-05"

    page.get_by_role("button", name="1 year").click()
    page.wait_for_function("() => timeline._fullLayout.xaxis.range[0] > '2024-06-01'")
    first, last = x_range(page)
    assert (D.fromisoformat(last) - D.fromisoformat(first)).days in (365, 366)


def test_above_the_limit_counts_link_to_their_events_and_a_narrower_span_or_filter_shows_events(
    page, settings
):
    """Under the site's policy, without 'unsafe-eval': the SVG timeline draws, and its
    endpoint answers under connect-src 'self'."""
    settings.TRACKER_TIMELINE_MARKER_LIMIT = 3
    events = two_conflicts()
    page.add_init_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.violations.push(e.violatedDirective));"
    )
    response = page.goto("/")
    assert "unsafe-eval" not in response.headers["content-security-policy"]
    drawn(page)

    caption = page.locator("#timeline-caption")
    expect(caption).to_contain_text("8 events: too many to draw one by one")
    page.get_by_text("counted per process and month, as a table").click()
    count_link = page.locator("#timeline-table").get_by_role("link", name="3 events in May 2025")
    expect(count_link).to_be_visible()

    page.get_by_role("button", name="War in Donbas (2014–2015)").click()
    expect(page.locator("#timeline-status")).to_have_text("Showing single events for this span.")
    expect(caption).to_contain_text("Colour: strongest outcome.")
    expect(page.locator("#timeline-table summary")).to_have_text(
        "The timeline's 3 events as a table"
    )
    point_on_chart(page, events["minsk-protocol"].get_absolute_url())
    assert page.evaluate("() => window.violations") == []
    assert page.evaluate("() => document.querySelectorAll('#timeline canvas').length") == 0

    page.get_by_role("button", name="All").click()
    expect(page.locator("#timeline-status")).to_have_text(
        "Showing the number of events per lane and period."
    )
    expect(caption).to_contain_text("8 events: too many to draw one by one")

    count_link.click()
    expect(page).to_have_url(re.compile(r"process=istanbul.*date_after=2025-05-01"))
    expect(page.get_by_text("3 events match.")).to_be_visible()
    point_on_chart(page, events["same-day-1"].get_absolute_url())

    page.goto("/events/")
    drawn(page)
    expect(page.locator("#timeline-caption")).to_contain_text("too many to draw one by one")
    page.get_by_label("Process").select_option("grain")
    page.get_by_role("button", name="Apply filters").click()
    point_on_chart(page, events["grain-deal"].get_absolute_url())
    assert page.evaluate("() => window.violations") == []


@pytest.mark.parametrize("width", [390, 1280])
def test_the_chart_fits_the_screen_and_a_tap_says_what_an_event_is(new_context, live_server, width):
    """Plot at least 60% of the width, no chart text off the screen, lane names in full,
    buttons on the screen; on a phone a tap says what the event is, with a link to it."""
    events = two_conflicts()
    phone = width < 600
    context = new_context(
        viewport={"width": width, "height": 844},
        has_touch=phone,
        is_mobile=phone,
    )
    page = context.new_page()
    page.goto("/")
    drawn(page)

    plot_width = page.evaluate("() => timeline._fullLayout._size.w")
    assert plot_width >= 0.6 * width
    outside = [
        t for t in page.evaluate(CHART_TEXTS, "timeline") if t["left"] < 0 or t["right"] > width
    ]
    assert outside == []
    names = page.evaluate(
        """() => [...document.querySelectorAll('#timeline .annotation-text')]
              .map((t) => [...t.querySelectorAll('tspan.line')].map((l) => l.textContent)
                            .join(' ') || t.textContent)"""
    )
    assert "Russia–Ukraine direct talks in Istanbul, 2025" in names
    assert "Trilateral Contact Group (Minsk)" in names
    for button in page.locator(".chart-controls button").all():
        box = button.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    if phone:
        x, y = point_on_chart(page, events["grain-deal"].get_absolute_url())
        page.touchscreen.tap(x, y)
        selection = page.locator("#timeline-selection")
        expect(selection).to_contain_text("Grain deal signed")
        expect(selection).to_contain_text("22 July 2022")
        assert page.url.endswith("/")
        selection.get_by_role("link", name="Open this event").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Grain deal signed")


def test_an_event_is_reached_from_the_home_page_by_keyboard_alone(page):
    """The table of what the chart shows comes right after it: Tab to its summary, open
    it with Enter, Tab to an event and follow it."""
    two_conflicts()
    page.goto("/")
    drawn(page)

    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('#timeline-table summary')"):
            break
    else:
        pytest.fail("the timeline's table is not reachable with Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(focused)


@pytest.mark.parametrize(
    ("locale", "months"), [("uk-UA", ("Черв.", "Лип.")), ("ru-RU", ("Июнь", "Июль"))]
)
def test_a_ukrainian_or_russian_page_names_months_and_buttons_in_its_language(
    new_context, live_server, locale, months
):
    process = make_process(slug="istanbul", title="Стамбульські переговори")
    for day in (D(2025, 5, 16), D(2025, 6, 2), D(2025, 7, 23)):
        make_event(process=process, start_date=day)
    context = new_context(locale=locale)
    page = context.new_page()

    page.goto("/processes/istanbul/")
    drawn(page)

    ticks = " ".join(page.locator("#timeline .xtick text").all_text_contents())
    assert any(month in ticks for month in months), ticks
    assert "Jun" not in ticks
    titles = page.locator("#timeline .modebar-btn[data-title]").evaluate_all(
        "(buttons) => buttons.map((b) => b.getAttribute('data-title'))"
    )
    assert "Зум" in titles
    assert "Zoom" not in titles


def test_a_title_with_quotes_and_an_ampersand_shows_as_typed(page):
    process = make_process(title="Talks \"Istanbul\" & O'Brien's track", slug="quoted")
    event = make_event(process=process, title='15 May "without preconditions" & <b>more</b>')

    page.goto("/")
    x, y = point_on_chart(page, event.get_absolute_url())
    page.mouse.move(x, y)

    hover = page.locator(".hoverlayer")
    expect(hover).to_contain_text('15 May "without preconditions" & <b>more</b>')
    assert "&quot;" not in hover.text_content()
    assert "&amp;" not in hover.text_content()
    labels = page.locator("#timeline .annotation-text").all_text_contents()
    assert "Talks \"Istanbul\" & O'Brien's track" in [" ".join(t.split()) for t in labels]
