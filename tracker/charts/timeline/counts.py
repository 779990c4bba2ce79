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

from ...models import Event
from ..look import COUNT_COLOUR, plotly_text, scatter
from .spans import reach

WEEK, MONTH, QUARTER, YEAR = "week", "month", "quarter", "year"
DAY_ONLY, TO_THE_MONTH = [Event.Precision.DAY], [Event.Precision.DAY, Event.Precision.MONTH]
#: The date precisions whose events the database counts in one period of each length: a
#: date known only to the month spans several weeks, one known only to the year several
#: months and quarters.
PRECISIONS = {
    WEEK: DAY_ONLY,
    MONTH: TO_THE_MONTH,
    QUARTER: TO_THE_MONTH,
    YEAR: [*TO_THE_MONTH, Event.Precision.YEAR],
}
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
    #: "12 events in 2024", in the reader's language (``count_events`` writes it).
    words: str = ""

    @property
    def middle(self):
        return self.start + (self.end - self.start) / 2


def count_words(events, label):
    return ngettext("%(count)s event in %(period)s", "%(count)s events in %(period)s", events) % {
        "count": f"{events:,}",
        "period": label,
    }


def count_events(rows, period, lanes, lane_order, *, after=None, before=None):
    """Counts per lane and period, from ``EventQuerySet.for_timeline_counts`` rows
    (``lanes``: {process id: lane slug}; ``lane_order``: the chart's lanes, in order),
    in the order of the periods, then of the lanes.

    An event counts in every period that the date filters would find it in (see
    ``spans.reach``) within the dates the reader chose (``after``, ``before``), so that
    each count is exactly the number of events its link lists. Those the database
    counted fall in one period whatever those dates (an event within one period is
    found only in it); the others are spread here."""
    counts = Counter()
    periods_of = {}  # many events share their dates: each is counted once
    for row in rows:
        slug = lanes[row["process_id"]]
        if row["within"]:
            counts[(slug, row["start"])] += row["events"]
            continue
        key = (row["start"], row["end"], row["precision"])
        periods = periods_of.get(key)
        if periods is None:
            start, end, precision = key
            first, last = reach({"start_date": start, "end_date": end, "date_precision": precision})
            first, last = max(first, after or first), min(last, before or last)
            start = period_start(first, period)
            if last < start + SHORTEST[period] or period_start(last, period) == start:
                periods = (start,)
            else:
                periods = tuple(periods_between(first, last, period))
            periods_of[key] = periods
        for start in periods:
            counts[(slug, start)] += row["events"]
    return described(counts, period, lane_order)


def described(counts, period, lane_order):
    """``Count`` objects from ``{(lane slug, period start): events}``; labels and words
    are put into the reader's language once per period and number."""
    place = {lane.slug: (i, lane) for i, lane in enumerate(lane_order)}
    labels, words = {}, {}
    found = []
    for slug, start in sorted(counts, key=lambda key: (key[1], place[key[0]][0])):
        lane, number = place[slug][1], counts[(slug, start)]
        if start not in labels:
            labels[start] = period_label(start, period)
        if (number, start) not in words:
            words[(number, start)] = count_words(number, labels[start])
        found.append(
            Count(
                conflict=lane.conflict,
                lane_slug=slug,
                lane_title=lane.title,
                start=start,
                end=period_end(start, period),
                label=labels[start],
                events=number,
                words=words[(number, start)],
            )
        )
    return found


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
