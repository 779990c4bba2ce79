"""Reverting an import: every record it changed gets its old values back, what it created
goes, and what it deleted comes back, with the same bookkeeping as any other write.

A revert is refused, with the record named, when a record the import wrote has changed
since (its version moved on), or when something made since depends on what the import
created: nothing is written then.
"""

from django.apps import apps
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Event, RecordVersion
from ..models.base import Record
from ..models.bulk import create_with_history, delete_with_history, update_with_history
from .plan import MODELS
from .references import in_chunks


class RevertRefused(Exception):
    """The import cannot be reverted; the message says which record stands in the way."""


def _model(label):
    return apps.get_model(label)


def id_runs(ids):
    """Ids as the undo data keeps those an import created: each run of consecutive ids
    as ``[first, last]``, an id next to none alone (an import of 10,000 events creates
    some 80,000 rows in a few runs: a few bytes instead of half a megabyte)."""
    entries, ids = [], sorted(ids)
    start = 0
    for n in range(1, len(ids) + 1):
        if n == len(ids) or ids[n] != ids[n - 1] + 1:
            first, last = ids[start], ids[n - 1]
            entries.append([first, last] if last > first else first)
            start = n
    return entries


def _runs(entries):
    """``entries`` (:func:`id_runs`, or a plain list of ids: older batches) as
    ``(single ids, [(first, last)])``."""
    single, runs = [], []
    for entry in entries:
        if isinstance(entry, list):
            runs.append(tuple(entry))
        else:
            single.append(entry)
    return single, runs


def created_ids(undo, label):
    """The set of ids of ``label`` (a model's label) the import created."""
    single, runs = _runs(undo["created"].get(label, []))
    return set(single).union(*(range(first, last + 1) for first, last in runs))


def _created(model, entries):
    """The rows of ``model`` an import created that are still there."""
    single, runs = _runs(entries)
    where = Q(pk__in=single)
    for first, last in runs:
        where |= Q(pk__range=(first, last))
    return model.objects.filter(where)


def _ordered(data):
    """``data``'s entries by model, in the order the plan writes models."""
    order = {model._meta.label_lower: n for n, model in enumerate(MODELS)}
    return sorted(data.items(), key=lambda item: order.get(item[0], len(order)))


def _check_versions(undo):
    for label, versions in undo["versions"].items():
        model = _model(label)
        created_here = created_ids(undo, label)
        for chunk in in_chunks(list(versions)):
            current = {str(obj.pk): obj for obj in model.objects.filter(pk__in=chunk)}
            for pk in chunk:
                if pk not in current:
                    if int(pk) in created_here:
                        continue  # deleted since: nothing left to undo for it
                    raise RevertRefused(
                        _("The %(model)s with id %(pk)s was deleted after the import.")
                        % {"model": model._meta.verbose_name, "pk": pk}
                    )
                obj = current[pk]
                if obj.version != versions[pk]:
                    raise RevertRefused(
                        _(
                            "The %(model)s “%(name)s” was changed after the import (it is at "
                            "version %(now)s, the import left it at %(then)s); reverting "
                            "would lose that change."
                        )
                        % {
                            "model": model._meta.verbose_name,
                            "name": obj,
                            "now": obj.version,
                            "then": versions[pk],
                        }
                    )


def _delete_created(undo, *, by, reason, records):
    """Delete what the import created: the parts of events (``records=False``), or the
    curated records, once nothing restored points to them any more."""
    for label, entries in reversed(_ordered(undo["created"])):
        model = _model(label)
        if issubclass(model, Record) != records:
            continue
        objs = list(_created(model, entries))
        try:
            with transaction.atomic():
                delete_with_history(objs, by=by, reason=reason)
        except ProtectedError as error:
            used = next(iter(error.protected_objects))
            raise RevertRefused(
                _("The import created %(what)s, which %(user)s now refers to: it cannot go.")
                % {
                    "what": objs[0] if len(objs) == 1 else model._meta.verbose_name_plural,
                    "user": used,
                }
            ) from None


def _restore_changed(undo, *, by, reason):
    for label, rows in _ordered(undo["changed"]):
        model = _model(label)
        objs = {str(o.pk): o for o in model.objects.filter(pk__in=list(rows))}
        fields, many = set(), {}
        by_name = {f.attname: f for f in model._meta.concrete_fields}
        by_name |= {f.name: f for f in model._meta.many_to_many}
        for pk, old in rows.items():
            obj = objs[pk]
            for name, value in old.items():
                field = by_name[name]
                if field.many_to_many:
                    many.setdefault(name, []).append((obj, value))
                    continue
                setattr(
                    obj, field.attname, field.to_python(value) if not field.is_relation else value
                )
                fields.add(field.name)
        update_with_history(
            model, objs.values(), sorted(fields), by=by, reason=reason, many_to_many=many
        )


def _recreate_deleted(undo, *, by, reason):
    for label, snapshots in _ordered(undo["deleted"]):
        model = _model(label)
        objs, many = [], {}
        for snapshot in snapshots:
            values = {}
            for attname, value in snapshot["fields"].items():
                field = next(f for f in model._meta.concrete_fields if f.attname == attname)
                values[attname] = value if field.is_relation else field.to_python(value)
            obj = model(**values)
            objs.append(obj)
            for name, ids in snapshot["many_to_many"].items():
                many.setdefault(name, []).append((obj, ids))
        create_with_history(model, objs, by=by, reason=reason, many_to_many=many)


def revert_batch(*, batch, user):
    """Undo ``batch`` in one transaction; raise :class:`RevertRefused` if it cannot be."""
    if batch.reverted_at:
        raise RevertRefused(_("This import was already reverted."))
    reason = _("Reverted import %(number)s") % {"number": batch.pk}
    with transaction.atomic():
        RecordVersion.queue_write()
        undo = batch.undo
        _check_versions(undo)
        _delete_created(undo, by=user, reason=reason, records=False)
        _restore_changed(undo, by=user, reason=reason)
        _delete_created(undo, by=user, reason=reason, records=True)
        _recreate_deleted(undo, by=user, reason=reason)
        created_events = created_ids(undo, Event._meta.label_lower)
        kept = [pk for pk in undo["events"] if pk not in created_events]
        for chunk in in_chunks(kept):
            Event.objects.filter(pk__in=chunk).record_change(by=user, reason=reason)
        batch.reverted_at = timezone.now()
        batch.reverted_by = user
        batch.save(update_fields=["reverted_at", "reverted_by"])
