"""What every admin page that writes the record shares: one writer at a time, no 500 when
the database is busy, events touched through their parts moved on, and a history that
reads as sentences."""

import logging

from django.contrib.admin.options import InlineModelAdmin
from django.db import OperationalError, transaction
from django.template.response import TemplateResponse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from .forms import VERSIONS
from .models import Event, RecordVersion

logger = logging.getLogger(__name__)


def record_touched(*, events, by, reason):
    """Move on the versions of ``events`` (ids) that a save changed through their parts."""
    if events:
        Event.objects.filter(pk__in=events).record_change(by=by, reason=reason)


def with_version_field(fieldsets, name):
    """``fieldsets`` with the hidden version field ``name`` added to the first one, so
    that the page carries it."""
    fieldsets = [(title, dict(options)) for title, options in fieldsets]
    if not any(name in options["fields"] for _title, options in fieldsets):
        title, options = fieldsets[0]
        options["fields"] = [*options["fields"], name]
    return fieldsets


class EventRowsInline(InlineModelAdmin):
    """An inline of rows that belong to events: each row carries its events' versions."""

    extra = 0

    def get_fieldsets(self, request, obj=None):
        return with_version_field(super().get_fieldsets(request, obj), VERSIONS)


class HistoryValues(HistoricalRecordContextHelper):
    """Changes on the history page: an empty value reads “(empty)”, never “None”."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        return gettext_lazy("(empty)") if value in (None, "", []) else value


ACTIONS = {
    "+": gettext_lazy("%(when)s: %(who)s created it."),
    "~": gettext_lazy("%(when)s: %(who)s changed it."),
    "-": gettext_lazy("%(when)s: %(who)s deleted it."),
}


def history_sentence(record):
    """“16 May 2025, 14:03: olena changed it. Changed in the admin: title.”"""
    user = record.history_user
    who = (user.get_full_name() or user.get_username()) if user else _("the seed loader")
    when = date_format(localtime(record.history_date), "DATETIME_FORMAT")
    sentence = ACTIONS[record.history_type] % {"when": when, "who": who}
    reason = (record.history_change_reason or "").strip()
    if reason:
        sentence += f" {reason[0].upper()}{reason[1:]}"
        if not reason.endswith((".", "!", "?")):
            sentence += "."
    return sentence


class WritesAdmin(SimpleHistoryAdmin):
    """A page that writes the record: saves and reverts run in one transaction behind any
    other write; a database too busy to take the save gets a page that says so (503),
    not an error; the history reads as sentences."""

    object_history_list_template = "admin/tracker/object_history_list.html"
    history_list_display = ["what_happened"]

    @staticmethod
    def what_happened(record):
        return history_sentence(record)

    def get_historical_record_context_helper(self, request, historical_record):
        return HistoryValues(self.model, historical_record)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return super().changeform_view(request, object_id, form_url, extra_context)
        view = super().changeform_view
        return self.write(request, view, request, object_id, form_url, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        view = super().history_form_view
        return self.write(request, view, request, object_id, version_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method != "POST":
            return super().delete_view(request, object_id, extra_context)
        return self.write(request, super().delete_view, request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        """Actions (publish, delete…) are writes too."""
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        return self.write(request, super().changelist_view, request, extra_context)

    def write(self, request, view, *args):
        try:
            with transaction.atomic():
                RecordVersion.queue_write()
                return view(*args)
        except OperationalError:
            logger.warning(
                "The database could not take a save from %s", request.path, exc_info=True
            )
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Nothing was saved"),
            }
            return TemplateResponse(request, "admin/tracker/busy.html", context, status=503)
