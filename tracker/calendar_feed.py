"""The record as an iCalendar file (RFC 5545): one all-day event per filtered event.

- DTSTART is the first day, DTEND the day after the last (exclusive, as RFC 5545 has it
  for dates). An event known only to the month or year spans that whole month or year,
  and its SUMMARY says the date is approximate.
- An event that has not started yet is STATUS:TENTATIVE and its SUMMARY says
  “scheduled” (calendar apps show the summary; few show the status); others CONFIRMED.
- UID ``event-<id>@<host>``: the tracker's number, which stays when a slug is corrected.
- URL: the event's page.
"""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from .models import Event
from .models.periods import approximate_span

FIELDS = [
    "pk",
    "slug",
    "title",
    "start_date",
    "end_date",
    "date_precision",
    "venue",
    "city",
    "country",
    "updated_at",
]


def days(start, end, precision):
    """``(first day, day after the last)`` an event spans on a calendar."""
    if precision in (Event.Precision.MONTH, Event.Precision.YEAR):
        first, last = approximate_span(start, precision)
    else:
        first, last = start, end or start
    return first, max(last, end or last) + datetime.timedelta(days=1)


def summary(title, *, approximate, scheduled):
    if approximate and scheduled:
        return _("%(title)s (scheduled; the date is approximate)") % {"title": title}
    if approximate:
        return _("%(title)s (the date is approximate)") % {"title": title}
    if scheduled:
        return _("%(title)s (scheduled)") % {"title": title}
    return title


def calendar(events, *, base_url, host, today=None):
    """The iCalendar file of ``events`` (a queryset of public events), as bytes; ``base_url``
    (``https://host``) makes the events' addresses absolute."""
    today = today or timezone.localdate()
    cal = Calendar()
    cal.add("prodid", "-//Peace negotiation tracker//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", _("Peace negotiation tracker"))
    for row in events.order_by(*Event._meta.ordering).values(*FIELDS).iterator(2000):
        first, after = days(row["start_date"], row["end_date"], row["date_precision"])
        approximate = row["date_precision"] != Event.Precision.DAY
        scheduled = first > today
        item = CalendarEvent()
        item.add("uid", f"event-{row['pk']}@{host}")
        item.add("dtstamp", row["updated_at"])
        item.add("dtstart", first)
        item.add("dtend", after)
        item.add("summary", summary(row["title"], approximate=approximate, scheduled=scheduled))
        item.add("status", "TENTATIVE" if scheduled else "CONFIRMED")
        item.add("transp", "TRANSPARENT")
        item.add("url", base_url + reverse("event-detail", kwargs={"slug": row["slug"]}))
        place = [
            row["venue"],
            row["city"],
            countries.name(row["country"]) if row["country"] else "",
        ]
        if any(place):
            item.add("location", ", ".join(p for p in place if p))
        cal.add_component(item)
    return cal.to_ical()
