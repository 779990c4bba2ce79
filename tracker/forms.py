"""Admin forms that carry domain rules the models cannot check on their own.

Three kinds of rule live here:

- **No lost edits.** A page carries the versions of the events it shows; saving it locks
  those events, refuses the save if one moved on since the page was opened, and tells
  the admin which events the save touches (so that their versions move on in turn). An
  event is touched by a change to the event, to one of its parts, or to a row that points
  at it: participations, outcomes, citations, links in either direction, and “carried
  out” rows, which belong to two events (the outcome's and the one that carried it out).
- **Every constraint is a form error**, inline rows included, and an “already exists”
  error links to the record that exists.
- **Editing comfort**: new rows numbered in the order shown, the side of a participant
  taken from their party.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Max, Q, UniqueConstraint
from django.forms.models import BaseInlineFormSet, InlineForeignKeyField
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from .models import Event, EventLink, Participation

STALE_RECORD = _(
    "%(who)s saved a newer version of this record at %(when)s, after you opened it. Your "
    "changes were not saved, so theirs are not lost: copy what you typed, reload the page, "
    "and make your change again."
)
STALE_EVENT = _(
    "%(who)s saved a newer version of the event “%(event)s” at %(when)s, after you opened "
    "this page. Your changes were not saved, so theirs are not lost: copy what you typed, "
    "reload the page, and make your change again."
)
GONE_RECORD = _("Someone deleted this record after you opened it; nothing was saved.")
GONE_EVENT = _(
    "Someone deleted or moved a row of the event “%(event)s” after you opened this page; "
    "nothing was saved. Reload the page and make your change again."
)


# Which events a row belongs to -------------------------------------------------------------


def event_paths(model):
    """How a row of ``model`` reaches the events it belongs to, walked from its foreign
    keys: ``[("event", None)]`` for a participation, ``[("from_event", None), ("to_event",
    None)]`` for a link, ``[("outcome", "event"), ("event", None)]`` for a “carried out”
    row. An event belongs to itself: ``[(None, None)]``."""
    if model is Event:
        return [(None, None)]
    paths = []
    for field in model._meta.concrete_fields:
        if not field.many_to_one:
            continue
        if field.related_model is Event:
            paths.append((field.name, None))
            continue
        for hop in field.related_model._meta.concrete_fields:
            if hop.many_to_one and hop.related_model is Event:
                paths.append((field.name, hop.name))
    return paths


def events_by_row(model, pks):
    """``{row pk: {event ids}}``: the events each stored row of ``model`` belongs to, in
    one query."""
    if model is Event:
        return {pk: {pk} for pk in pks}
    lookups = [f"{name}__{hop}_id" if hop else f"{name}_id" for name, hop in event_paths(model)]
    if not lookups:
        return {}
    rows = model._base_manager.filter(pk__in=pks).values_list("pk", *lookups)
    return {pk: {event for event in events if event is not None} for pk, *events in rows}


def stored_event_ids(model, pk):
    """The events the stored row ``pk`` of ``model`` belongs to (none for a new row)."""
    return set() if pk is None else events_by_row(model, [pk]).get(pk, set())


def event_ids_of_rows(model, pks):
    """The events the stored rows ``pks`` of ``model`` belong to."""
    return set().union(*events_by_row(model, pks).values())


def submitted_event_ids(model, cleaned_data, instance):
    """The events a row will belong to once the submitted values are saved."""
    if model is Event:
        return {instance.pk} if instance.pk else set()
    ids = set()
    for name, hop in event_paths(model):
        target = cleaned_data[name] if name in cleaned_data else getattr(instance, name, None)
        if target is not None and hop:
            target = getattr(target, hop, None)
        if target is not None and target.pk is not None:
            ids.add(target.pk)
    return ids


def current_versions(event_ids):
    return dict(Event.objects.filter(pk__in=event_ids).values_list("pk", "version"))


# Refusing stale saves ----------------------------------------------------------------------


def _stale_params(row):
    return {
        "who": row["changed_by__username"] or _("The seed loader"),
        "when": date_format(localtime(row["updated_at"]), "DATETIME_FORMAT"),
        "event": row.get("title", ""),
    }


def refuse_if_stale(model, pk, seen_version):
    """Raise a ValidationError if the record moved past ``seen_version`` (or is gone).

    Locks the row on databases that can, inside the admin's transaction, so that two
    saves from the same version cannot both pass.
    """
    current = (
        model.objects.select_for_update(of=("self",))
        .filter(pk=pk)
        .values("version", "updated_at", "changed_by__username")
        .first()
    )
    if current is None:
        raise ValidationError(GONE_RECORD, code="conflict")
    if seen_version != current["version"]:
        raise ValidationError(STALE_RECORD, code="conflict", params=_stale_params(current))


def refuse_stale_events(*, seen, touched, message=STALE_EVENT):
    """Lock the ``touched`` events (in one order, so that two saves cannot deadlock) and
    raise a ValidationError if one of them that the page showed (``seen``: id → version)
    moved on or disappeared since."""
    rows = {
        row["pk"]: row
        for row in Event.objects.select_for_update(of=("self",))
        .filter(pk__in=touched)
        .order_by("pk")
        .values("pk", "version", "title", "updated_at", "changed_by__username")
    }
    for pk in sorted(seen):
        row = rows.get(pk)
        if row is None:
            raise ValidationError(GONE_RECORD, code="conflict")
        if row["version"] != seen[pk]:
            raise ValidationError(message, code="conflict", params=_stale_params(row))


class EventVersionsField(forms.Field):
    """The versions of the events a form showed, as a hidden ``"12:3 15:7"``."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, dict):
            return " ".join(f"{pk}:{version}" for pk, version in sorted(value.items()))
        return value

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        try:
            return {
                int(pk): int(version)
                for pk, version in (pair.split(":") for pair in (value or "").split())
            }
        except ValueError:
            raise ValidationError(
                _("This page is damaged: reload it and make your change again."), code="invalid"
            ) from None

    def has_changed(self, initial, data):
        return False


VERSIONS = "seen_event_versions"


# Every constraint a form error, “already exists” with a link --------------------------------


def _condition_fields(condition):
    names = set()
    for child in getattr(condition, "children", []):
        if isinstance(child, Q):
            names |= _condition_fields(child)
        else:
            lookup, value = child
            names.add(lookup.split("__")[0])
            if isinstance(value, F):
                names.add(value.name.split("__")[0])
    return names


def constraint_fields(constraint):
    """The fields a model constraint refers to (for the ones this project uses)."""
    fields = set(getattr(constraint, "fields", ()))
    return fields | _condition_fields(getattr(constraint, "condition", None))


def admin_link(obj):
    """An escaped link to ``obj``'s admin page, or None where it has none."""
    opts = obj._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return None
    return format_html('<a href="{}">{}</a>', url, _("Open “%(record)s”") % {"record": obj})


class RecordForm(forms.ModelForm):
    """Base of every admin form: “already exists” errors link to the record that exists."""

    def _post_clean(self):
        super()._post_clean()
        for errors in self._errors.values():
            errors.data = [self._linked(error) for error in errors.as_data()]

    def _linked(self, error):
        existing = self._existing_duplicate(error)
        link = admin_link(existing) if existing is not None else None
        if not link:
            return error
        return ValidationError(format_html("{} {}", next(iter(error)), link), code=error.code)

    def _existing_duplicate(self, error):
        """The stored row that ``error`` (a uniqueness error) says already exists."""
        model, instance = type(self.instance), self.instance
        if error.code in ("unique", "unique_together") and "unique_check" in (error.params or {}):
            fields, condition = error.params["unique_check"], None
        else:
            message = next(iter(error), None)
            matching = [
                constraint
                for constraint in model._meta.constraints
                if isinstance(constraint, UniqueConstraint)
                and str(constraint.get_violation_error_message()) == message
            ]
            if not matching:
                return None
            fields, condition = matching[0].fields, matching[0].condition
        lookup = {model._meta.get_field(name).attname: None for name in fields}
        lookup = {attname: getattr(instance, attname) for attname in lookup}
        rows = model._default_manager.filter(**lookup)
        if condition is not None:
            rows = rows.filter(condition)
        if instance.pk is not None:
            rows = rows.exclude(pk=instance.pk)
        return rows.first()


class ConflictCheckForm(RecordForm):
    """Refuses to save over a change that someone else saved after this form was opened.

    The form carries the version it was opened at; the check locks the row (on databases
    that support it) inside the admin's transaction, so two saves cannot both pass.
    """

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # From the database, not the instance: a history page edits an old copy.
        model, pk = type(self.instance), self.instance.pk
        current = model.objects.filter(pk=pk).values_list("version", flat=True).first()
        self.fields["seen_version"].initial = current or self.instance.version
        self.touched_events = set()

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is not None:
            refuse_if_stale(type(self.instance), self.instance.pk, cleaned_data.get("seen_version"))
            if isinstance(self.instance, Event):
                self.touched_events = {self.instance.pk}
        return cleaned_data


class EventForm(ConflictCheckForm):
    """The event form: only a publisher may move an event to or from “published”."""

    can_publish = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The status now in the database: on a history page the instance is an old copy,
        # and reverting to it must not publish or unpublish behind a publisher's back.
        self.current_status = (
            Event.objects.filter(pk=self.instance.pk).values_list("status", flat=True).first()
            or Event.Status.DRAFT
        )
        status = self.fields.get("status")
        if status is None or self.can_publish:
            return
        if self.current_status == Event.Status.PUBLISHED:
            status.disabled = True
            status.help_text = _("Published. Only a publisher can return it to draft.")
        else:
            status.choices = [c for c in status.choices if c[0] != Event.Status.PUBLISHED]
            status.help_text = _("A publisher makes the event public.")

    def clean_status(self):
        status = self.cleaned_data["status"]
        was = self.current_status
        publishing_changes = Event.Status.PUBLISHED in {status, was} and status != was
        if publishing_changes and not self.can_publish:
            raise ValidationError(_("Only a publisher can publish or unpublish an event."))
        return status


# Parts of events ---------------------------------------------------------------------------


class EventRowForm(RecordForm):
    """A row that belongs to one or more events (a participation, an outcome, a link, a
    citation, a “carried out” row), on its own page or inline.

    It carries the versions of its events as they were when the page was opened, and
    knows which events saving it touches: those it belonged to and those it will belong to.
    """

    seen_event_versions = EventVersionsField()

    def __init__(self, *args, stored=None, **kwargs):
        """``stored``: ``(events of each row, version of each event)`` looked up once for
        a whole inline, or None to look this row up."""
        super().__init__(*args, **kwargs)
        pk = self.instance.pk
        if stored is None:
            # From the database, not the instance: a history page edits an old copy.
            self.stored_events = stored_event_ids(type(self.instance), pk)
            versions = current_versions(self.stored_events)
        else:
            rows, all_versions = stored
            self.stored_events = rows.get(pk, set())
            versions = {e: all_versions[e] for e in self.stored_events if e in all_versions}
        self.fields[VERSIONS].initial = versions
        if "position" in self.fields and self.instance.pk is None:
            # Numbered on saving, after the rows above (see EventPartsFormSet).
            self.initial.pop("position", None)
            self.fields["position"].initial = None
            self.fields["position"].required = False
            self.fields["position"].widget.attrs["placeholder"] = _("next")

    def events_touched(self):
        """The events this row belonged to and will belong to."""
        data = getattr(self, "cleaned_data", {})
        return self.stored_events | submitted_event_ids(type(self.instance), data, self.instance)

    def seen_versions(self):
        return getattr(self, "cleaned_data", {}).get(VERSIONS) or {}

    def clean_position(self):
        return self.cleaned_data.get("position") or 0

    def _post_clean(self):
        super()._post_clean()
        self._validate_constraints_on_the_inline_key()

    def _validate_constraints_on_the_inline_key(self):
        """Inline, Django leaves out the constraints that name the parent's key (an event
        linked to itself, a source cited twice): check them here, so that they are form
        errors on the row rather than database errors."""
        keys = {n for n, f in self.fields.items() if isinstance(f, InlineForeignKeyField)}
        opts = self._meta.model._meta
        if not keys or any(getattr(self.instance, opts.get_field(k).attname) is None for k in keys):
            return
        exclude = self._get_validation_exclusions()
        for model, constraints in self.instance.get_constraints():
            for constraint in constraints:
                if not constraint_fields(constraint) & keys:
                    continue
                try:
                    constraint.validate(model, self.instance, exclude=exclude)
                except ValidationError as error:
                    self._update_errors(error)


class EventPartForm(EventRowForm):
    """A part of an event (an outcome, a participation, a link) on its own page: refused
    when one of its events changed after the page was opened, as the event's own form is.
    A new part left without a position comes after the event's other parts."""

    def clean(self):
        cleaned_data = super().clean()
        self._number_if_new(cleaned_data)
        self.touched_events = self.events_touched()
        seen = self.seen_versions()
        missing = self.stored_events - set(seen)
        if missing:
            raise ValidationError(GONE_RECORD, code="conflict")
        refuse_stale_events(
            seen={pk: seen[pk] for pk in self.stored_events},
            touched=self.touched_events,
            message=STALE_RECORD,
        )
        return cleaned_data

    def _number_if_new(self, cleaned_data):
        event = cleaned_data.get("event")
        if "position" not in self.fields or self.instance.pk or cleaned_data.get("position"):
            return
        if isinstance(event, Event):
            siblings = type(self.instance).objects.filter(event=event)
            last = siblings.aggregate(last=Max("position"))["last"] or 0
            cleaned_data["position"] = last + 1


class ParticipationForm(EventRowForm):
    """A participation: the side represented defaults to the participant's party.

    Left empty on a new row (or one whose participant or role changed), and for a role
    that takes a side (not a host, mediator, facilitator, observer or guarantor), the side
    becomes the party on the row or, failing that, the person's own party.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        side = self.fields.get("side")
        if side is not None:
            side.help_text = _(
                "Left empty, it becomes the party on this row, or else the person's party "
                "(except for hosts, mediators, facilitators, observers and guarantors)."
            )

    def clean(self):
        cleaned_data = super().clean()
        affected = self.instance.pk is None or {"person", "party", "role"} & set(self.changed_data)
        role, side = cleaned_data.get("role"), cleaned_data.get("side")
        if affected and role and not side and role not in Participation.NEUTRAL_ROLES:
            person, party = cleaned_data.get("person"), cleaned_data.get("party")
            cleaned_data["side"] = party or (person.party if person else None)
        return cleaned_data


class ParticipationPageForm(ParticipationForm, EventPartForm):
    """A participation on its own page."""


class IncomingLinkForm(EventRowForm):
    """A link entered from the event it points to, in that event's words: “answered by”,
    “followed by”…"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        relation = self.fields.get("relation")
        if relation is not None:
            relation.choices = [
                ("", "---------"),
                *((value, EventLink.INVERSE_LABELS[value]) for value in EventLink.Relation),
            ]
        other = self.fields.get("from_event")
        if other is not None:
            other.label = _("other event")


# Inline rows -------------------------------------------------------------------------------


class EventPartsFormSet(BaseInlineFormSet):
    """Rows shown inline that belong to events. Saving refuses rows whose events changed
    after the page was opened, numbers new rows, and records the events it touches in
    ``touched_events`` for the admin to move on.

    Subclasses may give ``row_key(cleaned_data)`` (None for rows that need no check) and
    ``duplicate_message`` to refuse rows that repeat each other within one submission.
    """

    duplicate_message = _("This row repeats another one.")

    def row_key(self, cleaned_data):
        return None

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is not None and index < self.initial_form_count():
            kwargs["stored"] = self._stored
        return kwargs

    @cached_property
    def _stored(self):
        """The events of every row shown, and their versions: two queries per inline."""
        rows = events_by_row(self.model, [row.pk for row in self.get_queryset()])
        return rows, current_versions(set().union(*rows.values()))

    def clean(self):
        super().clean()
        self.touched_events = set()
        kept = [f for f in self.forms if not (self.can_delete and self._should_delete_form(f))]
        self._refuse_repeated_rows(kept)
        self._number_new_rows(kept)
        seen, touched = {}, set()
        for form in self.forms:
            deleting = self.can_delete and self._should_delete_form(form)
            if not (deleting or form.has_changed()):
                continue
            touched |= form.stored_events if deleting else form.events_touched()
            versions = form.seen_versions()
            if form.stored_events - set(versions):
                names = Event.objects.filter(pk__in=form.stored_events).values_list("title")
                raise ValidationError(
                    GONE_EVENT, code="conflict", params={"event": ", ".join(t for (t,) in names)}
                )
            seen |= {pk: versions[pk] for pk in form.stored_events}
        if touched:
            refuse_stale_events(seen=seen, touched=touched)
        self.touched_events = touched

    def _refuse_repeated_rows(self, forms):
        keys = set()
        for form in forms:
            data = getattr(form, "cleaned_data", None)
            key = self.row_key(data) if data else None
            if key is None:
                continue
            if key in keys and not form.errors:
                form.add_error(None, self.duplicate_message)
            keys.add(key)

    def _number_new_rows(self, forms):
        """Rows left without a position are numbered after the rows above them, in the
        order shown: 1, 2, 3 on an empty event."""
        if "position" not in self.form.base_fields:
            return
        last = 0
        for form in forms:
            data = getattr(form, "cleaned_data", None)
            if data is None:
                continue
            if not data.get("position") and (form.instance.pk is None and form.has_changed()):
                data["position"] = form.instance.position = last + 1
            last = max(last, data.get("position") or 0)


class ParticipationFormSet(EventPartsFormSet):
    duplicate_message = _("This participant is already listed in this role at this event.")

    def row_key(self, data):
        if data.get("person"):
            return ("person", data["person"].pk, data.get("role"))
        if data.get("party"):
            return ("party", data["party"].pk, data.get("role"))
        return None


class CitationFormSet(EventPartsFormSet):
    duplicate_message = _("This source is already cited for this event.")

    def row_key(self, data):
        return data["source"].pk if data.get("source") else None
