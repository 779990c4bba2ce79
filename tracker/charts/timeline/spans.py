"""Where an event sits in time: the days it is drawn over, the days the filters count
it in, and the lines drawn for events longer than a day."""

from django.utils.translation import gettext as _

from ...dates import approximate_span
from ...models import Event
from ..look import MUTED, scatter


def is_approximate(row):
    return row["date_precision"] != Event.Precision.DAY


def drawn_span(row):
    """(first, last) day drawn: the event's days, or the whole month or year an
    approximate date stands for."""
    if is_approximate(row):
        return approximate_span(row["start_date"], row["date_precision"])
    return row["start_date"], row["end_date"] or row["start_date"]


def reach(row):
    """(first, last) day by which the date filters find the event.

    Mirrors ``EventFilter.on_or_after``/``on_or_before``: an event matches a range when
    it starts on or before the range's end and its last day, or the last day of the
    month or year an approximate date stands for, is on or after the range's start.
    ``tests/test_charts.py`` checks every count against the filtered list it links to.
    """
    start = row["start_date"]
    last = max(start, row["end_date"] or start)
    if is_approximate(row):
        last = max(last, approximate_span(start, row["date_precision"])[1])
    return start, last


def span_traces(rows, y_of):
    """One line per event longer than a day: solid for known days, dashed for the month
    or year of an approximate date. ``y_of(row)`` gives the event's height."""
    lines = {"solid": ([], []), "dash": ([], [])}
    for row in rows:
        first, last = drawn_span(row)
        if last != first:
            xs, ys = lines["dash" if is_approximate(row) else "solid"]
            y = y_of(row)
            xs.extend([first, last, None])
            ys.extend([y, y, None])
    return [
        scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": MUTED, "width": 5 if style == "solid" else 2, "dash": style},
            hoverinfo="skip",
            showlegend=False,
            name=_("duration"),
        )
        for style, (xs, ys) in lines.items()
        if xs
    ]
