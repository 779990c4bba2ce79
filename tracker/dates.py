"""How dates read: localised on pages, approximate when only the month or year is known.

The one formatter of an event's date. Pages (through the ``event_dates`` and
``row_dates`` template filters), tables, chart hover text, feed titles and error
messages all call :func:`date_label`, so that an event known only as “November 2016”
never reads as a day anywhere.
"""

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Event
from .models.periods import approximate_span  # noqa: F401 (the charts import it from here)


def date_label(start, end=None, precision=Event.Precision.DAY):
    """“16 May 2025”, “23 May 2025 – 25 May 2025”, “May 2025 (approx.)”, in the active
    language's format."""
    if precision == Event.Precision.YEAR:
        return _("%(year)s (approx.)") % {"year": start.year}
    if precision == Event.Precision.MONTH:
        return _("%(month)s (approx.)") % {"month": date_format(start, "YEAR_MONTH_FORMAT")}
    if end and end != start:
        return f"{date_format(start)} – {date_format(end)}"
    return date_format(start)


def event_date(event):
    """:func:`date_label` of an event."""
    return date_label(event.start_date, event.end_date, event.date_precision)


def row_date(row, prefix=""):
    """:func:`date_label` of an event read as a dict (``values()``), its keys optionally
    prefixed: ``row_date(agreement, "agreed_")`` reads ``agreed_on``… see
    ``OutcomeQuerySet.follow_through``."""
    if prefix:
        get = row.get if isinstance(row, dict) else lambda key: getattr(row, key, None)
        return date_label(get(f"{prefix}on"), get(f"{prefix}end"), get(f"{prefix}precision"))
    return date_label(row["start_date"], row.get("end_date"), row["date_precision"])
