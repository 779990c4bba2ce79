"""The timeline's figure, table and endpoint, through the Django test client and the real
database: lanes under their conflicts, the span it opens on, stacking, counts above the
marker limit, and text exactly as typed."""

import datetime
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import plotly.graph_objects as go
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_event, make_outcome, make_process
from tests.timeline_records import D, many_events, two_conflicts
from tracker.charts.look import plotly_text
from tracker.models import Event
from tracker.staticfiles import plotly_js_path

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def chart_data(response, chart_id="timeline"):
    match = re.search(
        rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, f"no {chart_id} figure on the page"
    return json.loads(match.group(1))


def markers(figure):
    """{event URL: (x, y)} for every event drawn as a marker."""
    return {
        data[0]: (trace["x"][i], trace["y"][i])
        for trace in figure["data"]
        if trace.get("mode") == "markers"
        for i, data in enumerate(trace.get("customdata") or [])
    }


def table_links(response):
    table = response.content.decode().split('class="chart-table"', 1)[1].split("</details>")[0]
    return [link.replace("&amp;", "&") for link in re.findall(r'<a href="([^"]+)"', table)]


def lane_texts(figure):
    return [
        re.sub(r"\s*<br>\s*", " ", note["text"])
        for note in figure["layout"]["annotations"]
        if note.get("name") == "lane-label"
    ]


# Safe text: exactly as typed, markup inert


def test_plotly_text_escapes_exactly_what_plotly_decodes():
    typed = """Talks "without preconditions" & O'Brien's <b>plan</b> &quot;"""
    assert plotly_text(typed) == (
        """Talks "without preconditions" &amp; O'Brien's &lt;b&gt;plan&lt;/b&gt; &amp;quot;"""
    )


def test_the_bundled_plotly_decodes_only_the_entities_we_rely_on():
    """plotly_text relies on Plotly decoding &amp;, &lt; and &gt; but not &quot;: the
    bundled plotly.js says so itself, and a new version that changed it fails here."""
    script = plotly_js_path().read_text(encoding="utf-8")
    table = re.search(r"\{mu:\"\\u03BC\",amp:\"&\",lt:\"<\",gt:\">\",nbsp:[^}]*\}", script)
    assert table, "plotly.js no longer decodes exactly mu, amp, lt, gt, nbsp, times, plusmn, deg"
    assert "quot" not in table.group(0)


def test_quotes_apostrophes_and_ampersands_reach_the_chart_as_typed(client):
    process = make_process(title="Talks \"Istanbul\" & O'Brien's track", slug="quoted")
    make_event(process=process, title='15 May "without preconditions" & more', slug="q")

    figure = chart_data(client.get(reverse("home")))

    assert lane_texts(figure) == ["Talks \"Istanbul\" &amp; O'Brien's track"]
    hover = next(iter(markers(figure)))
    assert "&quot;" not in json.dumps(figure)
    hovers = [c[1] for t in figure["data"] if t.get("customdata") for c in t["customdata"]]
    assert '15 May "without preconditions" &amp; more' in hovers[0]
    assert hover == "/events/q/"


# Lanes, the opening span and its buttons


def test_lanes_are_grouped_under_their_conflict_and_named_in_full(client):
    two_conflicts()

    figure = chart_data(client.get(reverse("home")))

    notes = [
        (note.get("name"), re.sub(r"\s*<br>\s*", " ", note["text"]), note["y"])
        for note in figure["layout"]["annotations"]
    ]
    assert [(name, text) for name, text, _y in notes] == [
        ("conflict-heading", "Russia–Ukraine war"),
        ("lane-label", "Russia–Ukraine direct talks in Istanbul, 2025"),
        ("lane-label", "Black Sea Grain Initiative"),
        ("conflict-heading", "War in Donbas"),
        ("lane-label", "Trilateral Contact Group (Minsk)"),
    ]
    assert [y for _n, _t, y in notes] == sorted(y for _n, _t, y in notes)
    assert figure["layout"]["yaxis"]["visible"] is False


def test_the_timeline_opens_on_the_latest_conflict_with_buttons_to_widen(client):
    two_conflicts()

    response = client.get(reverse("home"))
    figure = chart_data(response)

    first, last = figure["layout"]["xaxis"]["range"]
    assert "2022-06-01" < first < "2022-07-22"
    assert "2025-08-20" < last < "2025-11-01"
    buttons = [(b.label, b.first, b.last, b.years) for b in response.context["timeline"]["buttons"]]
    labels = [label for label, *_rest in buttons]
    assert labels == [
        "War in Donbas (2014–2015)",
        "Russia–Ukraine war (2022–2025)",
        "1 year",
        "5 years",
        "All",
    ]
    donbas, everything = buttons[0], buttons[-1]
    assert donbas[1] < "2014-09-05"
    assert "2015-04-30" < donbas[2] < "2015-12-31"
    assert everything[1] < "2014-09-05"
    assert everything[2] > "2025-08-20"
    assert figure["layout"]["meta"]["extent"] == [everything[1], everything[2]]


def test_a_process_page_opens_on_its_own_events(client):
    two_conflicts()

    figure = chart_data(client.get(reverse("process-detail", args=["minsk"])))

    first, last = figure["layout"]["xaxis"]["range"]
    assert "2014-06-01" < first < "2014-09-05"
    assert "2015-04-30" < last < "2015-08-01"
    assert len(markers(figure)) == 3


def test_events_on_the_same_day_in_one_lane_are_stacked_apart(client):
    events = two_conflicts()

    figure = chart_data(client.get(reverse("home")))

    drawn = markers(figure)
    same_day = [drawn[events[f"same-day-{n}"].get_absolute_url()] for n in (1, 2, 3)]
    assert {x for x, _y in same_day} == {"2025-05-16"}
    heights = sorted(y for _x, y in same_day)
    assert heights[1] - heights[0] >= 12
    assert heights[2] - heights[1] >= 12
    august = drawn[events["istanbul-august"].get_absolute_url()]
    assert august[1] == heights[0], "an event months later goes back to the lane's first row"


# Counts above the marker limit


def test_up_to_the_limit_every_event_is_a_marker_and_above_it_counts(client):
    """At the real limit: 1,500 events are 1,500 markers, 1,501 are counts; no trace is
    WebGL."""
    assert settings.TRACKER_TIMELINE_MARKER_LIMIT == 1500
    process = many_events(1500)

    figure = chart_data(client.get(reverse("home")))
    assert len(markers(figure)) == 1500
    assert figure["layout"]["meta"]["mode"] == "events"

    make_event(process=process, slug="one-more", start_date=D(2023, 3, 3))
    response = client.get(reverse("home"))
    figure = chart_data(response)
    assert figure["layout"]["meta"]["mode"] == "counts"
    counts = response.context["timeline"]["counts"]
    assert sum(c.events for c in counts) == 1501
    assert len(markers(figure)) == len(counts) < 30
    assert {t["type"] for t in chart_data(response)["data"]} == {"scatter"}
    assert "1,501 events: too many to draw one by one" in response.content.decode()

    narrowed = client.get(reverse("event-list"), {"date_before": "2024-11-01"})
    assert chart_data(narrowed)["layout"]["meta"]["mode"] == "events"


@pytest.fixture
def low_limit(settings):
    settings.TRACKER_TIMELINE_MARKER_LIMIT = 3
    return settings


def varied_record():
    """Events that cross months, and dates known only to the month or year."""
    track = make_process(slug="track", title="Track")
    other = make_process(slug="other", title="Other track")
    for day in (3, 9, 17, 28):
        make_event(process=track, start_date=D(2024, 3, day), kind=Event.Kind.PHONE_CALL)
    make_event(process=track, start_date=D(2024, 3, 30), end_date=D(2024, 4, 2))
    make_event(process=track, start_date=D(2024, 5, 1), date_precision=Event.Precision.MONTH)
    make_event(process=other, start_date=D(2024, 1, 1), date_precision=Event.Precision.YEAR)
    make_event(process=other, start_date=D(2025, 2, 14))
    make_event(process=other, start_date=D(2025, 2, 20), kind=Event.Kind.PHONE_CALL)


@pytest.mark.parametrize(
    "query",
    [{}, {"kind": "phone_call"}, {"date_after": "2024-03-10", "date_before": "2025-02-16"}],
)
def test_each_count_links_to_exactly_its_events_with_every_filter_kept(client, low_limit, query):
    varied_record()

    response = client.get(reverse("event-list"), query)
    counts = response.context["timeline"]["counts"]

    assert response.context["timeline"]["mode"] == "counts"
    assert counts
    for count in counts:
        params = parse_qs(urlsplit(count.url).query)
        for key, value in query.items():
            if not key.startswith("date_"):
                assert params[key] == [value]
        assert params["process"] == [count.lane_slug]
        listed = client.get(count.url)
        assert listed.context["page"].paginator.count == count.events, count.url
        assert count.words in response.content.decode()


def test_counts_go_by_week_over_a_short_span(client, low_limit):
    many_events(12, first=D(2025, 1, 6), days=60)

    response = client.get(reverse("home"))

    timeline = response.context["timeline"]
    assert timeline["period"] == "week"
    assert [c.label for c in timeline["counts"]][:2] == [
        "week of 6 January 2025",
        "week of 13 January 2025",
    ]
    assert "counted per process and week" in response.content.decode()


@pytest.mark.parametrize(
    ("cells", "period", "labels"),
    # Two lanes over some 14 months: 29 cells by month, 11 by quarter, 4 by year.
    [(20, "quarter", ["quarter 1 of 2024", "quarter 1 of 2025"]), (8, "year", ["2024", "2025"])],
)
def test_many_lanes_over_a_long_span_are_counted_by_quarter_or_year(
    client, low_limit, monkeypatch, cells, period, labels
):
    """The finest period whose lanes × periods stay within the budget (the chart data's
    size follows it); each count still lists exactly its events."""
    from tracker.charts.timeline import counts as count_parts

    monkeypatch.setattr(count_parts, "CELLS", cells)
    varied_record()

    response = client.get(reverse("event-list"))

    timeline = response.context["timeline"]
    assert timeline["period"] == period
    assert sorted({c.label for c in timeline["counts"]})[:2] == labels
    assert f"counted per process and {period}" in response.content.decode()
    for count in timeline["counts"]:
        assert client.get(count.url).context["page"].paginator.count == count.events


@pytest.mark.parametrize("limit", [3, 1500])
def test_the_table_lists_what_the_chart_shows(client, settings, limit):
    """The events drawn, or every count with the same link as its marker."""
    settings.TRACKER_TIMELINE_MARKER_LIMIT = limit
    varied_record()

    response = client.get(reverse("home"))

    figure = chart_data(response)
    assert sorted(table_links(response)) == sorted(markers(figure))
    assert "Too many events" not in response.content.decode()


def test_counts_cost_the_same_queries_however_many_events(
    client, low_limit, django_assert_max_num_queries
):
    many_events(10)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("home"))
    many_events(400, process=make_process(slug="big"))
    with django_assert_max_num_queries(len(small)):
        response = client.get(reverse("home"))
    assert response.context["timeline"]["mode"] == "counts"


# The endpoint that brings single events back


def test_the_endpoint_draws_the_event_lists_filters(client, low_limit):
    low_limit.TRACKER_TIMELINE_MARKER_LIMIT = 4
    varied_record()
    query = {"kind": "phone_call", "date_after": "2024-03-01", "date_before": "2024-03-31"}

    answer = client.get(reverse("events-timeline"), query)
    listed = client.get(reverse("event-list"), query)

    assert answer.status_code == 200
    data = answer.json()
    assert data["mode"] == "events"
    assert data["total"] == 4
    assert sorted(markers(data["figure"])) == sorted(
        e.get_absolute_url() for e in listed.context["page"].object_list
    )
    assert sorted(re.findall(r'href="([^"]+)"', data["table"])) == sorted(markers(data["figure"]))
    assert "Colour: strongest outcome." in data["caption"]
    assert data["figure"]["layout"]["meta"]["query"] == query


def test_the_endpoint_refuses_filters_it_cannot_read(client):
    make_event()

    answer = client.get(reverse("events-timeline"), {"date_after": "2025-13-45"})

    assert answer.status_code == 400
    assert answer.json() == {"errors": "date_after: Enter a valid date."}


def test_drafts_stay_out_of_the_timeline_and_its_endpoint(client, low_limit):
    make_event(slug="public")
    make_event(slug="draft", status=Event.Status.DRAFT)
    make_outcome(event=make_event(slug="another"))

    figure = client.get(reverse("events-timeline")).json()["figure"]

    assert sorted(markers(figure)) == ["/events/another/", "/events/public/"]


@pytest.mark.parametrize("limit", [3, 1500])
def test_every_figure_passes_plotlys_own_checks(client, settings, limit):
    """Figures are built as plain dicts for speed; Plotly's validators still check every
    attribute of each kind (markers, spans, counts, lanes, follow-through)."""
    settings.TRACKER_TIMELINE_MARKER_LIMIT = limit
    varied_record()
    make_outcome(event=Event.objects.filter(process__slug="track").first())

    for url in (reverse("home"), reverse("process-detail", args=["track"])):
        response = client.get(url)
        charts = ["timeline", "follow-through"] if "process" in url else ["timeline"]
        for chart_id in charts:
            figure = chart_data(response, chart_id)
            assert {trace["type"] for trace in figure["data"]} == {"scatter"}
            go.Figure(figure)  # raises on any attribute Plotly does not know


# Vendored locales and the code's shape


def test_plotly_locales_match_the_bundled_plotly_for_every_language():
    version = re.search(rb"plotly\.js v([\d.]+)", plotly_js_path().read_bytes()[:300]).group(1)
    vendor = ROOT / "tracker" / "static" / "tracker" / "vendor"
    assert (vendor / "LICENSE-plotly.js.txt").read_text().startswith("MIT License")
    for code, _name in settings.LANGUAGES:
        if code == "en":
            continue
        locale = (vendor / f"plotly-locale-{code}.js").read_text(encoding="utf-8")
        assert f"plotly.js v{version.decode()} " in locale.splitlines()[0], code
        assert f'name:"{code}"' in locale


def test_the_tracker_never_imports_the_benchmarks():
    sources = (ROOT / "tracker").rglob("*.py")
    assert not [
        p for p in sources if re.search(r"^\s*(from|import) benchmarks", p.read_text(), re.M)
    ]


def test_dates_are_counted_as_the_filters_count_them():
    """The one rule copied from the FilterSet into ``spans.reach``, checked on its edges."""
    from tracker.charts.timeline.spans import reach

    def row(start, end=None, precision=Event.Precision.DAY):
        return {"start_date": start, "end_date": end, "date_precision": precision}

    assert reach(row(D(2024, 3, 30), D(2024, 4, 2))) == (D(2024, 3, 30), D(2024, 4, 2))
    assert reach(row(D(2024, 5, 1), precision=Event.Precision.MONTH)) == (
        D(2024, 5, 1),
        D(2024, 5, 31),
    )
    assert reach(row(D(2024, 1, 1), precision=Event.Precision.YEAR))[1] == D(2024, 12, 31)
    assert reach(row(datetime.date(2024, 2, 9)))[1] == D(2024, 2, 9)
