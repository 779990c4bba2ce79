"""Counts above the marker limit, counted by the database where an event falls in one
period and spread in Python where it reaches several: for every period length, each count
is exactly the number of events its link lists, and the event list's paginator takes its
number from the timeline's outline rather than from a COUNT of its own."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_event, make_process
from tests.timeline_records import D
from tracker.charts.timeline import counts as count_parts
from tracker.models import Event

pytestmark = pytest.mark.django_db


def mixed_record():
    """Events of every precision, some over several days across weeks, months and a new
    year, in two lanes."""
    north = make_process(slug="north", title="Northern track")
    south = make_process(slug="south", title="Southern track")
    for day in (2, 3, 9, 17, 28):
        make_event(process=north, start_date=D(2024, 3, day))
    make_event(process=north, start_date=D(2024, 3, 30), end_date=D(2024, 4, 2))
    make_event(process=north, start_date=D(2024, 12, 30), end_date=D(2025, 1, 3))
    make_event(process=north, start_date=D(2024, 5, 6), end_date=D(2024, 5, 8))
    make_event(process=south, start_date=D(2024, 5, 1), date_precision=Event.Precision.MONTH)
    make_event(process=south, start_date=D(2024, 1, 1), date_precision=Event.Precision.YEAR)
    make_event(process=south, start_date=D(2024, 11, 14))
    make_event(process=south, start_date=D(2024, 11, 14))


@pytest.fixture(params=["week", "month", "quarter", "year"])
def period(request, settings, monkeypatch):
    """Force the period: weeks for any span, or as few cells as make each longer one
    the finest that fits."""
    settings.TRACKER_TIMELINE_MARKER_LIMIT = 3
    cells = {"week": 10_000, "month": 10_000, "quarter": 20, "year": 6}[request.param]
    weeks = datetime.timedelta(days=10_000 if request.param == "week" else 0)
    monkeypatch.setattr(count_parts, "CELLS", cells)
    monkeypatch.setattr(count_parts, "WEEKS_UP_TO", weeks)
    return request.param


@pytest.mark.parametrize(
    "query", [{}, {"date_after": "2024-03-05", "date_before": "2024-12-31"}, {"q": "event"}]
)
def test_every_count_is_the_number_of_events_its_link_lists(client, period, query):
    mixed_record()

    response = client.get(reverse("event-list"), query)

    timeline = response.context["timeline"]
    assert (timeline["mode"], timeline["period"]) == ("counts", period)
    listed = response.context["page"].paginator.count
    assert timeline["row_count"] == listed
    for count in timeline["counts"]:
        assert parse_qs(urlsplit(count.url).query)["process"] == [count.lane_slug]
        assert client.get(count.url).context["page"].paginator.count == count.events, count.url


def test_counts_run_in_the_order_of_their_periods_then_of_the_lanes(client, period):
    mixed_record()

    counts = client.get(reverse("home")).context["timeline"]["counts"]

    lanes = {"north": 0, "south": 1}
    keys = [(c.start, lanes[c.lane_slug]) for c in counts]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_the_event_list_counts_its_events_once(client, settings):
    settings.TRACKER_TIMELINE_MARKER_LIMIT = 3
    mixed_record()

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("event-list"), {"kind": "round_of_talks"})

    assert response.context["page"].paginator.count == 12
    assert not [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(*)")]
