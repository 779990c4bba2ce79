from urllib.parse import urlsplit

from django import template

from tracker.dates import date_label
from tracker.models import Outcome

register = template.Library()


@register.filter
def event_dates(event):
    """The event's date or span, localised, marked approximate where it is."""
    return date_label(event.start_date, event.end_date, event.date_precision)


@register.filter
def http_url(value):
    """The URL if it is http(s), else nothing: a stored ``javascript:`` URL never
    becomes a link."""
    if value and urlsplit(str(value)).scheme in ("http", "https"):
        return value
    return ""


@register.filter
def row_dates(row):
    """Like ``event_dates``, for a timeline row (a dict)."""
    return date_label(row["start_date"], row["end_date"], row["date_precision"])


@register.filter
def outcome_status(value):
    """The reader-facing label of an outcome status value."""
    return Outcome.Status(value).label if value else ""
