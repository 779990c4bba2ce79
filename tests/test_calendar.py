"""/calendar.ics: the filtered events as all-day calendar events, read back with icalendar."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from tests.factories import make_event, make_process
from tracker.filters import filter_events
from tracker.models import Event

pytestmark = pytest.mark.django_db

D = datetime.date


def parsed(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="peace-negotiations.ics"'
    return {str(item["uid"]): item for item in Calendar.from_ical(response.content).walk("VEVENT")}


@pytest.mark.parametrize(
    "query",
    ["", "?q=talks", "?process=geneva", "?date_after=2025-01-01", "?kind=summit&q=talks"],
)
def test_the_calendar_holds_exactly_the_filtered_events(client, query):
    geneva = make_process(slug="geneva", title="Geneva")
    make_event(title="Geneva talks", process=geneva, start_date=D(2024, 3, 1))
    make_event(title="Summit talks", kind=Event.Kind.SUMMIT, start_date=D(2025, 2, 1))
    make_event(title="A call", kind=Event.Kind.PHONE_CALL, start_date=D(2025, 6, 1))
    make_event(title="Draft talks", status=Event.Status.DRAFT)

    items = parsed(client.get(reverse("calendar") + query))

    request = client.get(reverse("event-list") + query).wsgi_request
    _filterset, expected = filter_events(request.GET)
    assert sorted(items) == sorted(
        f"event-{pk}@testserver" for pk in expected.values_list("pk", flat=True)
    )
    assert "Draft talks" not in {str(item["summary"]) for item in items.values()}


def test_all_day_spans_approximate_dates_and_scheduled_events(client):
    today = timezone.localdate()
    day = make_event(title="One day", slug="one-day", start_date=D(2025, 5, 16))
    days = make_event(
        title="Three days", start_date=D(2025, 5, 23), end_date=D(2025, 5, 25), venue="Hall"
    )
    month = make_event(
        title="In February", start_date=D(2024, 2, 1), date_precision=Event.Precision.MONTH
    )
    year = make_event(
        title="In 2016", start_date=D(2016, 1, 1), date_precision=Event.Precision.YEAR
    )
    later = make_event(title="Next talks", start_date=today + datetime.timedelta(days=10))

    items = parsed(client.get(reverse("calendar")))

    def seen(event):
        item = items[f"event-{event.pk}@testserver"]
        return (
            item.decoded("dtstart"),
            item.decoded("dtend"),
            str(item["summary"]),
            str(item["status"]),
        )

    assert seen(day) == (D(2025, 5, 16), D(2025, 5, 17), "One day", "CONFIRMED")
    assert seen(days) == (D(2025, 5, 23), D(2025, 5, 26), "Three days", "CONFIRMED")
    assert seen(month) == (
        D(2024, 2, 1),
        D(2024, 3, 1),
        "In February (the date is approximate)",
        "CONFIRMED",
    )
    assert seen(year) == (
        D(2016, 1, 1),
        D(2017, 1, 1),
        "In 2016 (the date is approximate)",
        "CONFIRMED",
    )
    assert seen(later)[2:] == ("Next talks (scheduled)", "TENTATIVE")
    one_day = items[f"event-{day.pk}@testserver"]
    assert str(one_day["url"]) == "https://testserver/events/one-day/"
    assert str(items[f"event-{days.pk}@testserver"]["location"]) == "Hall, Istanbul, Türkiye"


def test_titles_come_back_exactly_as_written(client):
    title = "Talks; in Geneva, «round 2»\\ <b>Переговори</b> " + "long " * 30
    make_event(title=title.strip())
    (item,) = parsed(client.get(reverse("calendar"))).values()
    assert str(item["summary"]) == title.strip()


def test_an_invalid_filter_is_a_400_naming_it(client):
    response = client.get(reverse("calendar") + "?date_after=someday")
    assert response.status_code == 400
    assert "date_after" in response.content.decode()
    assert "BEGIN:VCALENDAR" not in response.content.decode()


def test_the_calendars_queries_do_not_grow(client):
    for i in range(2):
        make_event(start_date=D(2025, 1, 1 + i))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("calendar") + "?q=event")
    for i in range(40):
        make_event(start_date=D(2025, 2, 1 + i % 28))
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("calendar") + "?q=event")
    assert len(parsed(response)) == 42
    assert len(large) <= len(small)
