"""How dates read: localised on pages, approximate when only the month or year is known."""

import datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Event


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


def approximate_span(start, precision):
    """The whole month or year an approximate date stands for."""
    if precision == Event.Precision.YEAR:
        return datetime.date(start.year, 1, 1), datetime.date(start.year, 12, 31)
    next_month = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return start.replace(day=1), next_month - datetime.timedelta(days=1)
