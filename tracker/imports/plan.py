"""The plan of an import: every record it would create, change or delete, by name.

The plan is built before anything is written (``tracker.imports.planning``), shown in
full by the dry run and the admin preview, and carried out as it stands by
``tracker.imports.write``. A record the files leave as it is appears only in the counts
as unchanged: nothing is written for it, so its version and history stay as they were.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from ..cells import format_value
from ..models import (
    Citation,
    Conflict,
    Event,
    EventLink,
    Implementation,
    Outcome,
    Participation,
    Party,
    Person,
    Process,
    Source,
)

#: The order records are written in (and listed in): what others point to comes first.
MODELS = [
    Conflict,
    Process,
    Party,
    Person,
    Source,
    Event,
    Citation,
    Participation,
    Outcome,
    Implementation,
    EventLink,
]

#: The field that names a record: a change to it is a rename.
NAME_FIELDS = {Conflict: "name", Process: "title", Party: "name", Person: "name"}

CREATED, CHANGED, DELETED, UNCHANGED, SKIPPED = (
    "created",
    "changed",
    "deleted",
    "unchanged",
    "skipped",
)
THROUGH_PARTS = "changed through its parts"
#: The counts as the plan words them, in this order.
ACTIONS = {
    CREATED: gettext_lazy("created"),
    CHANGED: gettext_lazy("changed"),
    THROUGH_PARTS: gettext_lazy("changed through its parts"),
    DELETED: gettext_lazy("deleted"),
    UNCHANGED: gettext_lazy("unchanged"),
    SKIPPED: gettext_lazy("skipped"),
}


_SAME = object()


@dataclass
class Change:
    """One field's old and new value (many-to-many fields: lists of records).

    ``stored`` is the old value as the database holds it, where that differs from what
    the files show (a position stored as 0 that export writes as 1).
    """

    field: str
    old: object
    new: object
    stored: object = _SAME

    def __post_init__(self):
        if self.stored is _SAME:
            self.stored = self.old


@dataclass(slots=True)  # a plan holds a step for every row an import writes
class Step:
    action: str
    obj: object
    label: str
    changes: list = field(default_factory=list)
    many_to_many: dict = field(default_factory=dict)  # field -> records it will hold
    also: dict = field(default_factory=dict)  # fields saved without being listed: old values
    where: str = ""

    @property
    def model(self):
        return type(self.obj)

    @property
    def fields(self):
        many = set(self.many_to_many)
        return [c.field for c in self.changes if c.field not in many] + list(self.also)


def table_name(model):
    return str(model._meta.verbose_name_plural)


def show(value):
    """A value as the plan prints it."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if value is None or value == "":
        return "—"
    if isinstance(value, int):
        return str(value)
    if hasattr(value, "_meta"):
        return str(value)
    if hasattr(value, "isoformat") or hasattr(value, "total_seconds"):
        kind = "duration" if hasattr(value, "total_seconds") else "date"
        return format_value(kind, value)
    text = str(value)
    return repr(text if len(text) <= 80 else text[:77] + "…")


def _counted(table, row):
    parts = ", ".join(f"{row[a]} {label}" for a, label in ACTIONS.items() if a in row)
    return f"{table}: {parts}"


class Plan:
    """Steps per model, unchanged counts, skipped records, and notes on ignored cells."""

    def __init__(self):
        self.steps = defaultdict(list)
        self.unchanged = Counter()
        self.skipped = defaultdict(list)  # model -> [(label, reason)]
        self.touched = {}  # events changed through their parts: id(event) -> event
        self.kept_events = set()  # id() of events whose own fields stay as they are
        self.notes = []  # problems that do not stop the import (ignored derived cells)
        self._text = None  # (language, text): the text once written, per language

    def add(self, action, obj, label, **details):
        step = Step(action, obj, label, **details)
        self.steps[type(obj)].append(step)
        return step

    def keep(self, model, obj=None):
        self.unchanged[model] += 1
        if model is Event and obj is not None:
            self.kept_events.add(id(obj))

    def skip(self, model, label, reason):
        self.skipped[model].append((label, reason))

    def touch(self, *events):
        for event in events:
            if event is not None:
                self.touched[id(event)] = event

    def touched_events(self):
        """Events changed only through their parts (created or changed ones aside)."""
        written = {id(s.obj) for s in self.steps[Event]}
        return [e for key, e in self.touched.items() if key not in written and e.pk]

    def steps_of(self, model, action=None):
        return [s for s in self.steps[model] if action is None or s.action == action]

    def counts(self):
        """``{table: {action: rows}}`` for every table the plan touches."""
        counts = {}
        touched = self.touched_events()
        for model in MODELS:
            row = Counter(s.action for s in self.steps[model])
            row[UNCHANGED] = self.unchanged[model]
            if self.skipped[model]:
                row[SKIPPED] = len(self.skipped[model])
            if model is Event and touched:
                row[THROUGH_PARTS] = len(touched)
                row[UNCHANGED] -= sum(1 for e in touched if id(e) in self.kept_events)
            counts[table_name(model)] = {k: v for k, v in row.items() if v > 0}
        return {table: row for table, row in counts.items() if row}

    @property
    def changes(self):
        return [s for model in MODELS for s in self.steps[model]]

    @property
    def is_empty(self):
        return not self.changes

    def lines(self):
        """One line of counts per table: “events: 2 created, 45 unchanged”."""
        for table, row in self.counts().items():
            yield _counted(table, row)

    def describe(self, step, verbs=None):
        """A step by name: “renamed Iván Márquez → Ivan Marquez”, “changed … : status …”.
        ``verbs``: :data:`ACTIONS` translated (once, for a whole plan)."""
        verbs = verbs or ACTIONS
        if not step.changes:  # most steps: a row created or deleted, by name
            text = f"{verbs[step.action]} {step.label}"
            return f"{text} ({step.where})" if step.where else text
        name_field = NAME_FIELDS.get(step.model)
        renamed = [c for c in step.changes if c.field == name_field]
        if step.action == CHANGED and renamed:
            text = _("renamed %(old)s → %(new)s") % {
                "old": renamed[0].old,
                "new": renamed[0].new,
            }
            text += f" [{step.obj.slug}]"
        else:
            text = f"{verbs[step.action]} {step.label}"
        details = [
            f"{c.field}: {show(c.old)} → {show(c.new)}"
            for c in step.changes
            if c.field != name_field or not renamed
        ]
        if details:
            text += ": " + "; ".join(details)
        if step.where:
            text += f" ({step.where})"
        return text

    def by_table(self, limit=None):
        """``[(table, counts, [described steps], steps left out)]`` for display."""
        counts = self.counts()
        verbs = {action: str(verb) for action, verb in ACTIONS.items()}
        listed = []
        for model in MODELS:
            name = table_name(model)
            if name not in counts:
                continue
            steps = self.steps[model]
            shown = steps if limit is None else steps[:limit]
            described = [self.describe(s, verbs) for s in shown]
            described += [
                _("skipped %(label)s: %(reason)s") % {"label": label, "reason": reason}
                for label, reason in self.skipped[model]
            ]
            listed.append((name, counts[name], described, len(steps) - len(shown)))
        return listed

    def text(self):
        """The whole plan as text: what the dry run prints and the preview offers.
        Written out once per language: a plan is complete once built, and an import
        writes it out while PostgreSQL builds its indexes (``tracker.imports.write``)."""
        language = get_language()
        if self._text is None or self._text[0] != language:
            self._text = (language, self._write_text())
        return self._text[1]

    def _write_text(self):
        lines = []
        for name, counts, described, _more in self.by_table():
            lines.append(_counted(name, counts))
            lines += [f"  {line}" for line in described]
        if self.notes:
            lines.append(_("Ignored cells:"))
            lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines) + "\n"
