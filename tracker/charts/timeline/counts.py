"""Above the marker limit: the number of events per lane and period (week, month,
quarter or year: the finest that keeps the chart small), said in words, each linking to the event list of that lane and period with every other filter
kept."""

import datetime
import math
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..look import COUNT_COLOUR, plotly_text, scatter
from .spans import reach

WEEK, MONTH, QUARTER, YEAR = "week", "month", "quarter", "year"
#: Counts go by week when the events shown span at most this long.
WEEKS_UP_TO = datetime.timedelta(days=366)
#: Above that, the finest period for which lanes × periods stays within this many cells:
#: each cell is a marker and a table row, and the chart data must stay under 1 MB on the
#: demo record (50 lanes over 35 years: by year).
CELLS = 2_400
DAYS = {MONTH: 30.44, QUARTER: 91.31, YEAR: 365.25}
#: The fewest days a period has: a day within this of a period's start is in it.
SHORTEST = {
    WEEK: datetime.timedelta(days=7),
    MONTH: datetime.timedelta(days=28),
    QUARTER: datetime.timedelta(days=90),
    YEAR: datetime.timedelta(days=365),
}


def choose_period(span, lanes=1):
    days = (span.last - span.first).days
    if days <= WEEKS_UP_TO.days:
        return WEEK
    for period in (MONTH, QUARTER):
        if max(lanes, 1) * (days / DAYS[period] + 1) <= CELLS:
            return period
    return YEAR


def period_start(day, period):
    if period == WEEK:
        return day - datetime.timedelta(days=day.weekday())
    if period == QUARTER:
        return day.replace(month=day.month - (day.month - 1) % 3, day=1)
    if period == YEAR:
        return day.replace(month=1, day=1)
    return day.replace(day=1)


def _month_end(start):
    return (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - (
        datetime.timedelta(days=1)
    )


def period_end(start, period):
    if period == WEEK:
        return start + datetime.timedelta(days=6)
    if period == QUARTER:
        return _month_end(start.replace(month=start.month + 2))
    if period == YEAR:
        return start.replace(month=12, day=31)
    return _month_end(start)


def periods_between(first, last, period):
    start = period_start(first, period)
    while start <= last:
        yield start
        start = period_end(start, period) + datetime.timedelta(days=1)


def period_label(start, period):
    if period == WEEK:
        return _("week of %(date)s") % {"date": date_format(start)}
    if period == QUARTER:
        return _("quarter %(quarter)d of %(year)d") % {
            "quarter": (start.month - 1) // 3 + 1,
            "year": start.year,
        }
    if period == YEAR:
        return str(start.year)
    return date_format(start, "YEAR_MONTH_FORMAT")


@dataclass
class Count:
    conflict: str
    lane_slug: str
    lane_title: str
    start: datetime.date
    end: datetime.date
    label: str
    events: int
    url: str = ""

    @property
    def middle(self):
        return self.start + (self.end - self.start) / 2

    @property
    def words(self):
        return ngettext(
            "%(count)s event in %(period)s", "%(count)s events in %(period)s", self.events
        ) % {"count": f"{self.events:,}", "period": self.label}


def count_events(rows, period, *, after=None, before=None):
    """Counts per lane and period. An event counts in every period that the date
    filters would find it in (see ``spans.reach``) within the dates the reader chose
    (``after``, ``before``), so that each count is exactly the number of events its
    link lists."""
    counts = Counter()
    lanes = {}
    periods_of = {}  # many events share their dates: each is counted once
    for row in rows:
        slug = row["process_slug"]
        if slug not in lanes:
            lanes[slug] = (row["conflict_name"], row["process_title"])
        key = (row["start_date"], row["end_date"], row["date_precision"])
        periods = periods_of.get(key)
        if periods is None:
            first, last = reach(row)
            first, last = max(first, after or first), min(last, before or last)
            start = period_start(first, period)
            if last < start + SHORTEST[period] or period_start(last, period) == start:
                periods = (start,)  # most events: within one period
            else:
                periods = tuple(periods_between(first, last, period))
            periods_of[key] = periods
        for start in periods:
            counts[(slug, start)] += 1
    return [
        Count(
            conflict=lanes[slug][0],
            lane_slug=slug,
            lane_title=lanes[slug][1],
            start=start,
            end=period_end(start, period),
            label=period_label(start, period),
            events=number,
        )
        for (slug, start), number in sorted(counts.items(), key=lambda item: item[0][1])
    ]


def link(counts, query):
    """Give each count the address of its events: the event list with the page's own
    filters, the lane's process, and the period (within any dates already chosen).

    ``query`` holds the page's filters as the event list reads them, dates in ISO form.
    """
    base = {key: value for key, value in query.items() if value and key != "page"}
    after, before = base.pop("date_after", ""), base.pop("date_before", "")
    list_url = reverse("event-list")
    for count in counts:
        params = {
            **base,
            "process": count.lane_slug,
            "date_after": max(after, count.start.isoformat()),
            "date_before": min(before or "9999-12-31", count.end.isoformat()),
        }
        count.url = f"{list_url}?{urlencode(params)}"
    return counts


def count_trace(counts, y_of):
    """One marker per lane and period, its area growing with the count."""
    largest = max((c.events for c in counts), default=1)
    return scatter(
        x=[c.middle for c in counts],
        y=[y_of(c) for c in counts],
        mode="markers",
        name=plotly_text(_("Number of events (click to list them)")),
        marker={
            "symbol": "circle",
            "size": [6 + 12 * math.sqrt(c.events / largest) for c in counts],
            "color": COUNT_COLOUR,
            "opacity": 0.85,
            "line": {"color": "#ffffff", "width": 1},
        },
        customdata=[[c.url, count_hover(c)] for c in counts],
        hovertemplate="%{customdata[1]}<extra></extra>",
    )


def count_hover(count):
    return "<br>".join(
        [
            f"<b>{plotly_text(count.words)}</b>",
            plotly_text(count.lane_title),
            plotly_text(_("Click to list them.")),
        ]
    )
