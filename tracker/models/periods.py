"""The arithmetic of approximate dates: the period a month or year date stands for, and
where an event in that period sorts among dated events. Plain functions on plain values,
used by the models (the stored sort date) and by ``tracker.dates`` (labels, charts)."""

import datetime

DAY, MONTH, YEAR = "day", "month", "year"
EARLY, MIDDLE, LATE = "early", "middle", "late"


def period_start(start, precision):
    """The first day of the period a date of ``precision`` stands for: the date itself for
    a day, the 1st of the month, or 1 January."""
    if precision == YEAR:
        return datetime.date(start.year, 1, 1)
    if precision == MONTH:
        return start.replace(day=1)
    return start


def approximate_span(start, precision):
    """The whole month or year an approximate date stands for."""
    if precision == YEAR:
        return datetime.date(start.year, 1, 1), datetime.date(start.year, 12, 31)
    next_month = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return start.replace(day=1), next_month - datetime.timedelta(days=1)


def sort_date(start, precision, position=MIDDLE):
    """The day an event sorts on: its own day, or the first, middle or last day of the
    month or year it is known by, as the editor placed it (``position``)."""
    if precision not in (MONTH, YEAR):
        return start
    first, last = approximate_span(start, precision)
    if position == EARLY:
        return first
    if position == LATE:
        return last
    return first + (last - first) // 2


def earliest_day(start, precision):
    """The first day the event may have taken place on."""
    return period_start(start, precision)


def latest_day(start, precision):
    """The last day the event may have started on: its own day, or the end of its period."""
    if precision in (MONTH, YEAR):
        return approximate_span(start, precision)[1]
    return start
