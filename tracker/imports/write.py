"""Step 4 of an import: carry out the plan, in bulk, and keep what it takes to undo it.

Each model's rows are written with a few statements (``tracker.models.bulk``), with the
same bookkeeping a single save has: versions, who and why, history rows, the record-wide
version. Events whose parts changed move to their next version too
(``record_change``), so that a form opened before the import is refused, not saved over
it. The undo data records, per model, what was created, the old values of what was
changed, and the whole of what was deleted.
"""

import json
from operator import attrgetter

from django.core.serializers.json import DjangoJSONEncoder

from ..models import Event, Participation
from ..models.base import Record
from ..models.bulk import (
    create_with_history,
    delete_with_history,
    pages_in_memory,
    update_with_history,
)
from ..models.bulk_pg import built_after_load
from .pauses import collector_paused
from .plan import CHANGED, CREATED, DELETED, MODELS
from .references import in_chunks
from .stored import stored_rows
from .undo import id_runs


def model_label(model):
    return model._meta.label_lower


def as_json(value):
    """A field value as JSON data (dates and durations as ISO text, records as ids)."""
    if hasattr(value, "_meta"):
        return value.pk
    if hasattr(value, "code"):  # a country
        return value.code
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def snapshot(obj):
    """Every column of a row, and its many-to-many ids: enough to create it again."""
    data = {f.attname: as_json(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}
    many = {
        f.name: sorted(related.pk for related in stored_rows(obj, f.name))
        for f in obj._meta.many_to_many
    }
    return {"fields": data, "many_to_many": many}


class Undo:
    """What it takes to undo the plan, as JSON data."""

    def __init__(self):
        self.data = {"created": {}, "changed": {}, "deleted": {}, "versions": {}, "events": []}

    def created(self, model, objs):
        """Keep the ids of ``objs`` (each model's created rows are kept at once), in runs
        (``undo.id_runs``)."""
        ids = map(attrgetter(model._meta.pk.attname), objs)
        self.data["created"][model_label(model)] = id_runs(ids)

    def changed(self, step):
        old = {}
        for change in step.changes:
            field = step.model._meta.get_field(change.field)
            if field.many_to_many:
                old[change.field] = sorted(p.pk for p in change.old)
            else:
                old[field.attname] = as_json(change.stored)
        for name, value in step.also.items():
            old[step.model._meta.get_field(name).attname] = as_json(value)
        self.data["changed"].setdefault(model_label(step.model), {})[str(step.obj.pk)] = old

    def deleted(self, obj):
        self.data["deleted"].setdefault(model_label(type(obj)), []).append(snapshot(obj))

    def versions(self, written, touched=()):
        """The version each curated record was left at: a revert checks nothing moved.
        ``written``: ``{model: [records written, at the version they were written at]}``;
        ``touched``: events moved on in the database (``record_change``), read back."""
        for model, objs in written.items():
            self.data["versions"][model_label(model)] = {str(o.pk): o.version for o in objs}
        found = {}
        for chunk in in_chunks([e.pk for e in touched]):
            found |= dict(Event.objects.filter(pk__in=chunk).values_list("pk", "version"))
        if found:
            versions = self.data["versions"].setdefault(model_label(Event), {})
            versions |= {str(k): v for k, v in found.items()}


def _pairs(steps):
    """``{field: [(obj, [related ids])]}`` for the steps' many-to-many fields."""
    many = {}
    for step in steps:
        for name, related in step.many_to_many.items():
            many.setdefault(name, []).append((step.obj, [p.pk for p in related]))
    return many


def _write_model(model, steps, *, by, reason, undo):
    created = [s for s in steps if s.action == CREATED]
    changed = [s for s in steps if s.action == CHANGED]
    for step in changed:
        undo.changed(step)
    objs = [s.obj for s in created]
    create_with_history(model, objs, by=by, reason=reason, many_to_many=_pairs(created))
    undo.created(model, objs)
    fields = sorted({name for s in changed for name in s.fields})
    update_with_history(
        model, [s.obj for s in changed], fields, by=by, reason=reason, many_to_many=_pairs(changed)
    )


def _introduce_participants(plan):
    """Each new event learns the participations created with it, in the order their ids
    will give them, so that it is written naming them (``Event.written_with``)."""
    new = {id(s.obj): [] for s in plan.steps[Event] if s.action == CREATED}
    for step in plan.steps_of(Participation, CREATED):
        event = step.obj.event
        if id(event) in new:
            new[id(event)].append(step.obj)
    for step in plan.steps[Event]:
        if step.action == CREATED:
            step.obj.written_with(sorted(new[id(step.obj)], key=lambda p: p.position))


def _rows_created(plan):
    """``{model: rows the plan creates}``, a many-to-many field's pairs under its
    through model."""
    rows = {}
    for model in MODELS:
        created = plan.steps_of(model, CREATED)
        rows[model] = len(created)
        for field in model._meta.many_to_many:
            pairs = sum(len(step.many_to_many.get(field.name, ())) for step in created)
            rows[field.remote_field.through] = pairs
    return rows


def write_plan(plan, *, by, reason):
    """Carry out ``plan`` (inside the caller's transaction); return the undo data."""
    with (
        collector_paused(),
        pages_in_memory(),
        # The batch keeps the plan's text: written out while the indexes are built.
        built_after_load(_rows_created(plan), meanwhile=[plan.text]),
    ):
        return _write_plan(plan, by=by, reason=reason)


def _write_plan(plan, *, by, reason):
    undo = Undo()
    _introduce_participants(plan)
    deleted = [s.obj for model in reversed(MODELS) for s in plan.steps_of(model, DELETED)]
    for obj in deleted:
        undo.deleted(obj)
    delete_with_history(deleted, by=by, reason=reason)
    for model in MODELS:
        _write_model(model, plan.steps[model], by=by, reason=reason, undo=undo)
    touched = plan.touched_events()
    for chunk in in_chunks([e.pk for e in touched]):
        Event.objects.filter(pk__in=chunk).record_change(by=by, reason=reason)
    undo.data["events"] = sorted({e.pk for e in touched})
    written = {}
    for model in MODELS:
        if issubclass(model, Record):
            objs = [s.obj for s in plan.steps[model] if s.action != DELETED]
            if objs:
                written[model] = objs
    undo.versions(written, touched)
    return undo.data
