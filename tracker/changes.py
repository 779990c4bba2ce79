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
publication compares with the last published state. Three queries on the history tables
and one on the events, whatever the number of rows (``values_list``, no per-row lookup).
"""

import functools
from dataclasses import dataclass, field

from django.db import models
from django.urls import reverse
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
    lines: list = field(default_factory=list)
    first_published: object = None

    @property
    def url(self):
        return reverse("event-detail", kwargs={"slug": self.slug}) if self.slug else ""

    @property
    def headline(self):
        if self.kind == "withdrawn":
            return _("An event first published on %(first)s was withdrawn on %(when)s.") % {
                "first": date_format(self.first_published),
                "when": date_format(self.when),
            }
        return {
            "published": _("Published: %(title)s"),
            "republished": _("Published again: %(title)s"),
            "corrected": _("Corrected: %(title)s"),
            "outcome": _("Outcome status changed: %(title)s"),
        }[self.kind] % {"title": self.title}


def change_log():
    """Every change the public may see, newest first."""
    return _build(events=Event.history.model.objects.all())


def corrections(event):
    """The changes of one published event after its first publication (its page's
    “Corrections”), newest first."""
    entries = _build(events=Event.history.model.objects.filter(id=event.pk), event_id=event.pk)
    return [entry for entry in entries if entry.kind != "published"]


def _build(*, events, event_id=None):
    current = Event.objects.published()
    outcomes = Outcome.history.model.objects.all()
    if event_id is not None:
        current = current.filter(pk=event_id)
        outcomes = outcomes.filter(event_id=event_id)
    public_now = {
        pk: (title, slug) for pk, title, slug in current.values_list("pk", "title", "slug")
    }
    entries, published_spans = _event_changes(events, public_now)
    entries += _outcome_changes(outcomes, current, public_now, published_spans)
    entries.sort(key=lambda entry: (entry.when, entry.key), reverse=True)
    return entries


def _event_changes(history, public_now):
    """The event entries, and when each event was published: ``{id: [(from, to), …]}``
    (``to`` None while it still is)."""
    fields = compared_fields()
    names = [f.attname for f in fields]
    ever_published = history.filter(status=PUBLISHED).values("id")
    rows = (
        history.filter(id__in=ever_published)
        .order_by("id", "history_date", "history_id")
        .values_list(
            "id", "history_id", "history_date", "history_type", "status", "published_at", *names
        )
    )
    describe = _Describer(fields)
    entries, spans = [], {}
    last_id, last_public, was_public = None, None, False
    for event_id, history_id, when, kind, status, first, *values in rows.iterator(2000):
        if event_id != last_id:
            last_id, last_public, was_public = event_id, None, False
        is_public = kind != "-" and status == PUBLISHED
        key = f"event-{history_id}"
        if is_public:
            lines = describe.lines(last_public[1], values) if last_public else []
            if last_public is None:
                entries.append(Change("published", when, key, event_id))
            elif not was_public:
                entries.append(Change("republished", when, key, event_id, lines=lines))
            elif lines:
                entries.append(Change("corrected", when, key, event_id, lines=lines))
            if not was_public:
                spans.setdefault(event_id, []).append([when, None])
            last_public = (first or when, values)
        elif was_public:
            spans[event_id][-1][1] = when
            entries.append(Change("withdrawn", when, key, first_published=last_public[0]))
        was_public = is_public
    return _named(entries, public_now, describe), spans


def _named(entries, public_now, describe):
    """Entries of events public now get their title, slug and the titles of the
    processes they name; the others are left out, save their withdrawals (nameless)."""
    kept = []
    for entry in entries:
        if entry.kind == "withdrawn":
            kept.append(entry)
        elif entry.event_id in public_now:
            entry.title, entry.slug = public_now[entry.event_id]
            kept.append(entry)
    describe.resolve(kept)
    return kept


def _outcome_changes(history, current, public_now, spans):
    """Status moves of the outcomes of events public now (``current``), made while the
    event was published."""
    rows = (
        history.filter(event_id__in=current.values("pk"))
        .order_by("id", "history_date", "history_id")
        .values_list("id", "event_id", "history_id", "history_date", "history_type", "status")
    )
    descriptions = dict(
        Outcome.objects.filter(event_id__in=current.values("pk")).values_list("pk", "description")
    )
    labels = dict(Outcome.Status.choices)
    entries, last = [], {}
    for outcome_id, event_id, history_id, when, kind, status in rows.iterator(2000):
        before = last.get(outcome_id)
        last[outcome_id] = status
        if kind == "-" or before in (None, status) or outcome_id not in descriptions:
            continue
        if not any(
            start <= when and (end is None or when < end) for start, end in spans.get(event_id, ())
        ):
            continue
        title, slug = public_now[event_id]
        line = _("%(outcome)s: %(old)s → %(new)s") % {
            "outcome": _short(descriptions[outcome_id]),
            "old": labels.get(before, before),
            "new": labels.get(status, status),
        }
        entries.append(
            Change("outcome", when, f"outcome-{history_id}", event_id, title, slug, [line])
        )
    return entries


def _short(text):
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_LENGTH else text[: DESCRIPTION_LENGTH - 1] + "…"


class _Describer:
    """Field-by-field differences in plain words: “Title: «old» → «new»”; a long text
    (a text area) only says it was added, removed or rewritten. Related records (the
    process) are named by their titles, read once for every entry."""

    def __init__(self, fields):
        self.fields = fields
        self.related = {}  # {(model, pk): None until resolved}

    def lines(self, old, new):
        found = []
        for f, before, after in zip(self.fields, old, new, strict=True):
            if _plain(before) == _plain(after):
                continue
            if f.is_relation:
                for pk in (before, after):
                    self.related.setdefault((f.related_model, pk), None)
            found.append((f, before, after))
        return found

    def resolve(self, entries):
        """Replace each entry's differences by their sentences."""
        wanted = {}
        for model, pk in self.related:
            wanted.setdefault(model, set()).add(pk)
        names = {}
        if Process in wanted:  # only processes the public sees are named
            rows = (
                Process.objects.public().filter(pk__in=wanted[Process]).values_list("pk", "title")
            )
            names = {(Process, pk): title for pk, title in rows}
        for entry in entries:
            if entry.kind in ("corrected", "republished"):
                entry.lines = [self.sentence(*diff, names) for diff in entry.lines]

    @staticmethod
    def sentence(f, before, after, names):
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
        return names.get((f.related_model, value), _("a record that is not public"))
    if f.name == "country":
        return countries.name(str(value)) or str(value)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(f, models.DateField):
        return date_format(value)
    if isinstance(f, models.TimeField):
        return value.strftime("%H:%M")
    return str(value)
