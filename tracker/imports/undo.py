"""Reverting an import: every record it changed gets its old values back, what it created
goes, and what it deleted comes back, with the same bookkeeping as any other write.

A revert is refused, with the record named, when a record the import wrote has changed
since (its version moved on), or when something made since depends on what the import
created: nothing is written then.
"""

from django.apps import apps
from django.db import transaction
from django.db.models import ProtectedError
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


def _ordered(data):
    """``data``'s entries by model, in the order the plan writes models."""
    order = {model._meta.label_lower: n for n, model in enumerate(MODELS)}
    return sorted(data.items(), key=lambda item: order.get(item[0], len(order)))


def _check_versions(undo):
    for label, versions in undo["versions"].items():
        model = _model(label)
        for chunk in in_chunks(list(versions)):
            current = {str(obj.pk): obj for obj in model.objects.filter(pk__in=chunk)}
            for pk in chunk:
                if pk not in current:
                    created = int(pk) in undo["created"].get(label, [])
                    if created:
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
    for label, ids in reversed(_ordered(undo["created"])):
        model = _model(label)
        if issubclass(model, Record) != records:
            continue
        objs = list(model.objects.filter(pk__in=ids))
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
        kept = [pk for pk in undo["events"] if pk not in undo["created"].get("tracker.event", [])]
        for chunk in in_chunks(kept):
            Event.objects.filter(pk__in=chunk).record_change(by=user, reason=reason)
        batch.reverted_at = timezone.now()
        batch.reverted_by = user
        batch.save(update_fields=["reverted_at", "reverted_by"])
