"""Admin forms that carry domain rules the models cannot check on their own."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from .models import Event


class ConflictCheckForm(forms.ModelForm):
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

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is not None:
            refuse_if_stale(type(self.instance), self.instance.pk, cleaned_data.get("seen_version"))
        return cleaned_data


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
        raise ValidationError(
            _("Someone deleted this record after you opened it; nothing was saved."),
            code="conflict",
        )
    if seen_version != current["version"]:
        raise ValidationError(
            _(
                "%(who)s saved a newer version of this record at %(when)s, after you "
                "opened it. Your changes were not saved, so theirs are not lost: copy "
                "what you typed, reload the page, and make your change again."
            ),
            code="conflict",
            params={
                "who": current["changed_by__username"] or _("The seed loader"),
                "when": date_format(localtime(current["updated_at"]), "DATETIME_FORMAT"),
            },
        )


class EventPartForm(forms.ModelForm):
    """A part of an event (an outcome, a participation, a link) on its own page: refused
    when the event changed after the page was opened, as the event's own form is."""

    event_field = "event"
    seen_event_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        event_id = getattr(self.instance, f"{self.event_field}_id", None)
        version = Event.objects.filter(pk=event_id).values_list("version", flat=True).first()
        self.fields["seen_event_version"].initial = version

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is not None:
            event_id = (
                type(self.instance)
                .objects.filter(pk=self.instance.pk)
                .values_list(f"{self.event_field}_id", flat=True)
                .first()
            )
            refuse_if_stale(Event, event_id, cleaned_data.get("seen_event_version"))
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


class UniqueRowsFormSet(BaseInlineFormSet):
    """Catches rows that repeat each other within one submission (before the database does).

    Subclasses give ``row_key(cleaned_data)`` (None for rows that need no check) and
    ``duplicate_message``.
    """

    duplicate_message = _("This row repeats another one.")

    def row_key(self, cleaned_data):
        raise NotImplementedError

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            key = self.row_key(data)
            if key is None:
                continue
            if key in seen:
                form.add_error(None, self.duplicate_message)
            seen.add(key)


class ParticipationFormSet(UniqueRowsFormSet):
    duplicate_message = _("This participant is already listed in this role at this event.")

    def row_key(self, data):
        if data.get("person"):
            return ("person", data["person"].pk, data.get("role"))
        if data.get("party"):
            return ("party", data["party"].pk, data.get("role"))
        return None


class CitationFormSet(UniqueRowsFormSet):
    duplicate_message = _("This source is already cited for this event.")

    def row_key(self, data):
        return data["source"].pk if data.get("source") else None
