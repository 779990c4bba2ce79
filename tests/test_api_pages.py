"""Keyset pages of the API's events: events added between two page fetches, before, at
and after the cursor, never make an event that was there repeat or go missing, on the
CSV's whole ordering (sort date, which follows the within-period hint of an approximate
date, then start time with NULL first, start date, id)."""

import datetime
import itertools

import pytest
from django.urls import reverse

from tests.factories import make_event, make_process
from tests.test_api import csv_slugs
from tracker.models import Event, periods

pytestmark = pytest.mark.django_db

EVENTS = reverse("api-event-list")
SHARED_DAY = datetime.date(2024, 6, 1)
TIMES = [None, datetime.time(9), None, datetime.time(14, 30), datetime.time(9)]
HINTS = list(Event.PeriodPosition)


def sorting_on(day, time):
    """A month-precision event whose within-period hint makes it sort on ``day`` (the
    first, middle or last of its month), at ``time``; a dated event on ``day`` otherwise."""
    for hint in HINTS:
        if periods.sort_date(day, periods.MONTH, hint) == day:
            return {"start_date": day.replace(day=1), "date_precision": Event.Precision.MONTH,
                    "period_position": hint, "start_time": time}  # fmt: skip
    return {"start_date": day, "start_time": time}


def make_120(process):
    """120 events: 30 on one day (some without a time, some at the same time), the rest
    spread over other days, month-precision dates among them."""
    n = itertools.count()
    for i in range(30):
        make_event(process=process, slug=f"same-day-{next(n)}", start_date=SHARED_DAY,
                   start_time=TIMES[i % len(TIMES)])  # fmt: skip
    for i in range(90):
        month = i % 12 + 1
        approximate = i % 9 == 0
        make_event(
            process=process,
            slug=f"other-{next(n)}",
            start_date=datetime.date(2020 + i % 7, month, 1 if approximate else 1 + i % 27),
            date_precision=Event.Precision.MONTH if approximate else Event.Precision.DAY,
            period_position=HINTS[i // 9 % len(HINTS)],  # early, middle, late in turn
            start_time=TIMES[i % len(TIMES)],
        )


def test_inserts_before_at_and_after_the_cursor_are_neither_repeated_nor_skipped(client, settings):
    settings.TRACKER_API_PAGE_SIZE = 7
    process = make_process()
    make_120(process)
    existing = csv_slugs(client)
    assert len(existing) == 120

    seen, inserted = [], itertools.count()
    response = client.get(EVENTS)
    while True:
        page = response.json()
        seen += [event["slug"] for event in page["results"]]
        if not page["next"]:
            break
        last = Event.objects.get(slug=seen[-1])
        at_cursor = {"start_date": last.start_date, "start_time": last.start_time}
        for where in (
            {"start_date": datetime.date(2019, 1, 1)},  # before every page so far
            at_cursor,  # the same day and time as the cursor's event: after it, by id
            {**at_cursor, "start_time": None},  # the same day, before it (no time)
            # On the cursor's sort date and time, placed there by a within-period hint
            # when the day allows, or dated on it: after the cursor, by start date or id.
            sorting_on(last.sort_date, last.start_time),
            {"start_date": SHARED_DAY},  # on the crowded day, wherever the cursor is
            {"start_date": datetime.date(2027, 1, 1)},  # after everything
        ):
            make_event(process=process, slug=f"new-{next(inserted)}", **where)
        response = client.get(page["next"])
        assert response.status_code == 200

    assert len(seen) == len(set(seen)), "an event came twice"
    assert [slug for slug in seen if not slug.startswith("new-")] == existing
    final = csv_slugs(client)
    assert seen == [slug for slug in final if slug in seen], "the pages follow the CSV's order"
    assert any(slug.startswith("new-") for slug in seen)
    hinted = Event.objects.filter(slug__startswith="new-", date_precision=Event.Precision.MONTH)
    early_or_middle = {Event.PeriodPosition.EARLY, Event.PeriodPosition.MIDDLE}
    assert early_or_middle <= {e.period_position for e in hinted}, "hints put events at cursors"
    assert len(final) == 120 + next(inserted)


def test_nulls_first_holds_on_this_database(client, settings):
    settings.TRACKER_API_PAGE_SIZE = 1
    process = make_process()
    for slug, time in [
        ("at-nine", datetime.time(9)),
        ("no-time", None),
        ("at-eight", datetime.time(8)),
    ]:
        make_event(process=process, slug=slug, start_date=SHARED_DAY, start_time=time)
    response, seen = client.get(EVENTS), []
    while True:
        seen += [event["slug"] for event in response.json()["results"]]
        if not response.json()["next"]:
            break
        response = client.get(response.json()["next"])
    assert seen == ["no-time", "at-eight", "at-nine"] == csv_slugs(client)
