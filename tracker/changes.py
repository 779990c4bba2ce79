"""The public change log: what changed between consecutive published states of the record.

Built from the history the tracker keeps (django-simple-history), never from editors'
names. An event's history is walked row by row; each row in which it is published is
compared with the previous row in which it was published, field by field, over the
fields the events file publishes (:func:`compared_fields`, read from the column map).
What the walk finds, newest first:

- ``published``: an event published for the first time;
- ``republished``: published again after a withdrawal, with what changed meanwhile;
- ``corrected``: a published event whose public fields changed;
- ``outcome``: an outcome of a published event whose status moved (agreed → implemented);
- ``withdrawn``: a published event returned to draft or review, or deleted. It is told
  without title, slug or link, and an event that is not public now shows nothing else:
  no earlier entry of it names it.

Edits made while an event is not published never show on their own: the next
publication compares with the last published state. Four queries whatever the number of
rows (``values_list``, no per-row lookup): the published events, the events' and the
outcomes' history, the outcomes' descriptions. The walk keeps the differences as values;
:func:`described` puts those of the entries shown into words (one more query when they
name a process), so that a page of the log costs the same whatever its length.
"""

import functools
from dataclasses import dataclass, field

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django_countries import countries

from .columns import EVENTS
from .models import Event, Outcome, Process

PUBLISHED = Event.Status.PUBLISHED
#: How long an outcome's description may be in a line of the change log.
DESCRIPTION_LENGTH = 80


@functools.cache
def compared_fields():
    """The event's own fields the events file publishes, in the file's order: every
    field a column carries (a related record through its foreign key), except the
    event's number and its status, whose changes are the kinds of entry themselves."""
    found = []
    for column in EVENTS.columns:
        if column.codec or column.derived:
            continue
        first = column.chain[0][1]
        if first.primary_key or first.name == "status" or first in found:
            continue
        found.append(first)
    return tuple(found)


@dataclass
class Change:
    """One entry of the change log."""

    kind: str
    when: object  # the history row's datetime
    key: str  # stable and unique: the history row it comes from
    event_id: int | None = None
    title: str = ""
    slug: str = ""
    #: ``[(model field, old, new)]`` of a correction or a publication after a
    #: withdrawal; ``[(outcome description, old status, new status)]`` of an outcome.
    diffs: list = field(default_factory=list)
    first_published: object = None
    #: The differences in plain words, once :func:`described` has been called.
    lines: list = field(default_factory=list)

    @property
    def url(self):
        return reverse("event-detail", kwargs={"slug": self.slug}) if self.slug else ""

    @property
    def headline(self):
        if self.kind == "withdrawn":
            return _("An event first published on %(first)s was withdrawn on %(when)s.") % {
                "first": date_format(timezone.localtime(self.first_published)),
                "when": date_format(timezone.localtime(self.when)),
            }
        return {
            "published": _("Published: %(title)s"),
            "republished": _("Published again: %(title)s"),
            "corrected": _("Corrected: %(title)s"),
            "outcome": _("Outcome status changed: %(title)s"),
        }[self.kind] % {"title": self.title}


def change_log():
    """Every change the public may see, newest first: call :func:`described` on the
    entries shown, to put their differences in words."""
    return _build(events=Event.history.model.objects.all())


def corrections(event):
    """The changes of one published event after its first publication (its page's
    “Corrections”), newest first, described; none for an event that is not published.

    Two queries: the event's and its outcomes' history. Its title, slug and outcomes are
    read from ``event`` (prefetch its outcomes to spare a third)."""
    if not event.is_published:
        return []
    public_now = {event.pk: (event.title, event.slug)}
    events = Event.history.model.objects.filter(id=event.pk)
    entries, published_spans = _event_changes(events, public_now, chunked=False)
    outcomes = Outcome.history.model.objects.filter(event_id=event.pk)
    descriptions = {outcome.pk: outcome.description for outcome in event.outcomes.all()}
    entries += _outcome_changes(outcomes, descriptions, public_now, published_spans, chunked=False)
    entries.sort(key=lambda entry: (entry.when, entry.key), reverse=True)
    return described([entry for entry in entries if entry.kind != "published"])


def described(entries):
    """``entries`` with their differences in plain words (``lines``): “Title: «old» →
    «new»”; a long text (a text area) only says it was added, removed or rewritten. The
    processes they name are read in one query; only those the public sees are named."""
    entries = list(entries)
    processes = {
        pk
        for entry in entries
        for f, *values in entry.diffs
        if entry.kind != "outcome" and f.is_relation
        for pk in values
    }
    names = {}
    if processes:
        rows = Process.objects.public().filter(pk__in=processes).values_list("pk", "title")
        names = dict(rows)
    for entry in entries:
        if entry.kind == "outcome":
            entry.lines = [_outcome_sentence(*diff) for diff in entry.diffs]
        else:
            entry.lines = [_sentence(*diff, names) for diff in entry.diffs]
    return entries


def _build(*, events):
    current = Event.objects.published()
    public_now = {
        pk: (title, slug) for pk, title, slug in current.values_list("pk", "title", "slug")
    }
    entries, published_spans = _event_changes(events, public_now)
    outcomes = Outcome.history.model.objects.filter(event_id__in=current.values("pk"))
    descriptions = dict(
        Outcome.objects.filter(event_id__in=current.values("pk")).values_list("pk", "description")
    )
    entries += _outcome_changes(outcomes, descriptions, public_now, published_spans)
    entries.sort(key=lambda entry: (entry.when, entry.key), reverse=True)
    return entries


def _event_changes(history, public_now, *, chunked=True):
    """The event entries, and when each event was published: ``{id: [(from, to), …]}``
    (``to`` None while it still is). ``chunked``: read the rows in chunks (the whole
    record's history), not at once (one event's)."""
    fields = compared_fields()
    ever_published = history.filter(status=PUBLISHED).values("id")
    rows = (
        history.filter(id__in=ever_published)
        .order_by("id", "history_date", "history_id")
        .values_list(
            "id",
            "history_id",
            "history_date",
            "history_type",
            "status",
            *(f.attname for f in fields),
        )
    )
    entries, spans = [], {}
    last_id, last_public, first_seen, was_public = None, None, None, False
    for event_id, history_id, when, kind, status, *values in _rows(rows, chunked):
        if event_id != last_id:
            last_id, last_public, first_seen, was_public = event_id, None, None, False
        is_public = kind != "-" and status == PUBLISHED
        key = f"event-{history_id}"
        if is_public:
            diffs = _differences(fields, last_public, values) if last_public else []
            if last_public is None:
                first_seen = when
                entries.append(Change("published", when, key, event_id))
            elif not was_public:
                entries.append(Change("republished", when, key, event_id, diffs=diffs))
            elif diffs:
                entries.append(Change("corrected", when, key, event_id, diffs=diffs))
            if not was_public:
                spans.setdefault(event_id, []).append([when, None])
            last_public = values
        elif was_public:
            spans[event_id][-1][1] = when
            entries.append(Change("withdrawn", when, key, first_published=first_seen))
        was_public = is_public
    return _named(entries, public_now), spans


def _differences(fields, old, new):
    return [
        (f, before, after)
        for f, before, after in zip(fields, old, new, strict=True)
        if _plain(before) != _plain(after)
    ]


def _named(entries, public_now):
    """Entries of events public now get their title and slug; the others are left out,
    save their withdrawals (nameless)."""
    kept = []
    for entry in entries:
        if entry.kind == "withdrawn":
            kept.append(entry)
        elif entry.event_id in public_now:
            entry.title, entry.slug = public_now[entry.event_id]
            kept.append(entry)
    return kept


def _outcome_changes(history, descriptions, public_now, spans, *, chunked=True):
    """Status moves of the outcomes of events public now (``history``: their outcomes'
    history rows; ``descriptions``: ``{id: description}`` of those that still exist),
    made while the event was published."""
    rows = history.order_by("id", "history_date", "history_id").values_list(
        "id", "event_id", "history_id", "history_date", "history_type", "status"
    )
    entries, last = [], {}
    for outcome_id, event_id, history_id, when, kind, status in _rows(rows, chunked):
        before = last.get(outcome_id)
        last[outcome_id] = status
        if kind == "-" or before in (None, status) or outcome_id not in descriptions:
            continue
        if not any(
            start <= when and (end is None or when < end) for start, end in spans.get(event_id, ())
        ):
            continue
        title, slug = public_now[event_id]
        diffs = [(descriptions[outcome_id], before, status)]
        entries.append(
            Change("outcome", when, f"outcome-{history_id}", event_id, title, slug, diffs)
        )
    return entries


def _rows(rows, chunked):
    """The rows of ``rows``, in chunks of 2,000 when ``chunked`` (a server-side cursor
    on PostgreSQL: three round trips, worth it for the whole record only)."""
    return rows.iterator(2000) if chunked else rows


def _outcome_sentence(description, old, new):
    labels = dict(Outcome.Status.choices)
    return _("%(outcome)s: %(old)s → %(new)s") % {
        "outcome": _short(description),
        "old": labels.get(old, old),
        "new": labels.get(new, new),
    }


def _short(text):
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_LENGTH else text[: DESCRIPTION_LENGTH - 1] + "…"


def _sentence(f, before, after, names):
    label = capfirst(f.verbose_name)
    if isinstance(f, models.TextField):
        if not _plain(before):
            return _("%(field)s was added.") % {"field": label}
        if not _plain(after):
            return _("%(field)s was removed.") % {"field": label}
        return _("%(field)s was rewritten.") % {"field": label}
    return _("%(field)s: «%(old)s» → «%(new)s»") % {
        "field": label,
        "old": _shown(f, before, names),
        "new": _shown(f, after, names),
    }


def _plain(value):
    return "" if value is None else value


def _shown(f, value, names):
    """A value as a reader reads it."""
    if value in (None, ""):
        return _("none")
    if f.is_relation:
        return names.get(value, _("a record that is not public"))
    if f.name == "country":
        return countries.name(str(value)) or str(value)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(f, models.DateField):
        return date_format(value)
    if isinstance(f, models.TimeField):
        return value.strftime("%H:%M")
    return str(value)
