"""The admin's CSV import: upload, a preview of the plan, confirmation, and revert.

Publishers upload the files; the preview shows what the import would create, change and
delete, per table and by name (the whole plan as a download), and asks for confirmation
where the files rename existing records or add records named like existing ones.
Uploaded files wait in the database (:class:`PendingImport`), never on a disk, so any app
server can confirm a preview made on another. Every import is kept as a batch that a
publisher can revert. Uploads of more than ``TRACKER_IMPORT_INLINE_ROWS`` rows are previewed
and imported in the background (``tracker.imports.jobs``); the request redirects to a status
page that refreshes itself until the job is over, then shows the same preview or result.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .columns import TABLES
from .imports import ImportRefused, import_tables, jobs, listing
from .imports.plan import ACTIONS, MODELS, table_name
from .imports.read import decode
from .imports.undo import RevertRefused, revert_batch
from .models import ImportBatch, PendingImport

TEMPLATE = "admin/tracker/event/import.html"


class ImportForm(forms.Form):
    """Upload of the CSV files to import: any of the four, at least one."""

    confirm_renames = forms.BooleanField(
        label=gettext_lazy("Rename existing records where the files give them another name"),
        required=False,
    )
    confirm_new = forms.BooleanField(
        label=gettext_lazy("Add new records even where they are named like existing ones"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in reversed(TABLES):
            self.fields = {name: forms.FileField(label=f"{name}.csv", required=False)} | self.fields

    def clean(self):
        cleaned_data = super().clean()
        if not any(cleaned_data.get(name) for name in TABLES):
            raise ValidationError(_("Choose at least one CSV file."))
        return cleaned_data

    def texts(self):
        """``{file name: text}`` of the uploads (named after their table)."""
        texts = {}
        for name in TABLES:
            upload = self.cleaned_data.get(name)
            if upload:
                texts[f"{name}.csv"] = decode(b"".join(upload.chunks()))
        return texts


def _flags(data):
    return {
        name: data.get(name) in ("1", "on", "true") for name in ("confirm_renames", "confirm_new")
    }


def _preview(request, context, pending, flags):
    """Plan the pending import and show the plan, or the problems."""
    if jobs.in_background(pending):
        jobs.start(pending, flags=flags, confirm=False)
        return redirect("admin:tracker_event_import_status", pending.token)
    try:
        report = import_tables(files=pending.files, dry_run=True, user=request.user, **flags)
    except ImportRefused as refused:
        return _refused(request, context, pending, flags, jobs.shown_problems(refused))
    pending.plan = report.text()
    pending.save(update_fields=["plan"])
    return _planned(request, context, pending, flags, jobs.shown_plan(report))


def _planned(request, context, pending, flags, shown):
    """The preview of a plan (``jobs.shown_plan``), with the confirmation form."""
    context |= {"pending": pending, "flags": flags, "report": shown, "tables": shown["tables"]}
    return TemplateResponse(request, TEMPLATE, context)


def _refused(request, context, pending, flags, shown):
    """The problems of a preview (``jobs.shown_problems``); the upload is kept only where
    confirming lifts them."""
    context |= {"pending": pending, "flags": flags, **shown}
    if not shown["confirmable"]:
        pending.delete()
        context |= {"pending": None, "form": ImportForm()}
    return TemplateResponse(request, TEMPLATE, context)


def _confirm(request, pending, flags):
    if jobs.in_background(pending):
        jobs.start(pending, flags=flags, confirm=True)
        return redirect("admin:tracker_event_import_status", pending.token)
    try:
        report = import_tables(files=pending.files, user=request.user, **flags)
    except ImportRefused as refused:
        return _not_imported(request, listing(refused.problems, 5))
    finally:
        pending.delete()
    return _imported(request, report.batch, report.lines())


def _not_imported(request, problems):
    messages.error(
        request, _("Nothing was imported: %(problems)s") % {"problems": "; ".join(problems)}
    )
    return redirect("admin:tracker_event_import")


def _imported(request, batch, lines):
    """Where an import ends: the batch it made, or the events when nothing changed."""
    summary = "; ".join(lines)
    if batch is None:
        messages.info(
            request,
            _("The files match the record: nothing was imported (%(summary)s).")
            % {"summary": summary},
        )
        return redirect("admin:tracker_event_changelist")
    messages.success(
        request,
        _("Imported as %(batch)s: %(summary)s.") % {"batch": batch, "summary": summary},
    )
    return redirect("admin:tracker_importbatch_change", batch.pk)


def _pending(request, token):
    return get_object_or_404(PendingImport, token=token, user=request.user)


def _status(request, context, pending):
    """A background job's page: its progress while it runs, then what the request would
    have shown had it run there."""
    State, result = PendingImport.State, pending.result
    if pending.state == State.INLINE:
        return redirect("admin:tracker_event_import")
    error = jobs.failure(pending)
    if error is not None:
        context |= {"job": pending, "error": error, "form": ImportForm()}
        if pending.state == State.FAILED:  # a silent one may yet end: its row stays
            pending.delete()
        return TemplateResponse(request, TEMPLATE, context)
    if pending.state in PendingImport.RUNNING:
        context |= {"job": pending, "running": True}
        return TemplateResponse(request, TEMPLATE, context)
    if pending.state == State.PREVIEWED:
        return _planned(request, context, pending, pending.flags, result)
    if pending.state == State.REFUSED and not result.get("at_import"):
        return _refused(request, context, pending, pending.flags, result)
    pending.delete()
    if pending.state == State.REFUSED:
        return _not_imported(request, result["problems"])
    if pending.state == State.DONE:
        batch = result["batch"] and ImportBatch.objects.filter(pk=result["batch"]).first()
        return _imported(request, batch or None, result["lines"])
    return redirect("admin:tracker_event_import")


class ImportAdminMixin:
    """The import pages, on the events' admin."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="tracker_event_import"),
            path(
                "import/<str:token>/",
                view(self.import_status_view),
                name="tracker_event_import_status",
            ),
            path(
                "import/<str:token>/plan.txt",
                view(self.import_plan_view),
                name="tracker_event_import_plan",
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request):
        return (
            request.user.has_perm("tracker.publish_event")
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {"can_import": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def _import_context(self, request):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import from CSV"),
            "templates": list(TABLES),
        }

    def import_status_view(self, request, token):
        if not self.has_import_permission(request):
            raise PermissionDenied
        return _status(request, self._import_context(request), _pending(request, token))

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = self._import_context(request)
        if request.method == "POST" and request.POST.get("token"):
            pending = _pending(request, request.POST["token"])
            if pending.state in PendingImport.RUNNING:  # a second click: nothing to write
                return redirect("admin:tracker_event_import_status", pending.token)
            flags = _flags(request.POST)
            if "confirm" in request.POST:
                return _confirm(request, pending, flags)
            if "cancel" in request.POST:
                pending.delete()
                messages.info(request, _("The import was cancelled; nothing was written."))
                return redirect("admin:tracker_event_import")
            return _preview(request, context, pending, flags)
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            pending = PendingImport.keep(user=request.user, files=form.texts())
            return _preview(request, context, pending, _flags(request.POST))
        context["form"] = form
        return TemplateResponse(request, TEMPLATE, context)

    def import_plan_view(self, request, token):
        if not self.has_import_permission(request):
            raise PermissionDenied
        pending = _pending(request, token)
        return HttpResponse(
            pending.plan,
            content_type="text/plain; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="import-plan.txt"'},
        )


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Imports as they were made; publishers can revert one."""

    list_display = ["__str__", "created_at", "user", "file_list", "summary", "reverted_at"]
    list_select_related = ["user"]
    actions = ["revert"]
    fields = [
        "created_at",
        "user",
        "file_list",
        "summary",
        "plan_text",
        "reverted_at",
        "reverted_by",
    ]
    readonly_fields = fields
    change_form_template = "admin/tracker/importbatch/change_form.html"

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("tracker.publish_event")

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_revert_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("files"))
    def file_list(self, batch):
        return ", ".join(batch.files)

    @admin.display(description=gettext_lazy("changes"))
    def summary(self, batch):
        order = [table_name(model) for model in MODELS]
        counts = sorted(batch.counts.items(), key=lambda item: order.index(item[0]))
        return "; ".join(
            f"{table}: "
            + ", ".join(f"{row[a]} {label}" for a, label in ACTIONS.items() if a in row)
            for table, row in counts
        )

    @admin.display(description=gettext_lazy("what it changed"))
    def plan_text(self, batch):
        return format_html("<pre>{}</pre>", batch.plan)

    def get_urls(self):
        view = self.admin_site.admin_view(self.revert_view)
        return [
            path("<int:pk>/revert/", view, name="tracker_importbatch_revert"),
            *super().get_urls(),
        ]

    def revert_view(self, request, pk):
        if request.method != "POST" or not self.has_revert_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(ImportBatch, pk=pk)
        self._revert(request, [batch])
        return redirect("admin:tracker_importbatch_change", pk)

    @admin.action(permissions=["revert"], description=gettext_lazy("Revert the selected imports"))
    def revert(self, request, queryset):
        self._revert(request, list(queryset.order_by("-created_at", "-pk")))

    def _revert(self, request, batches):
        for batch in batches:
            try:
                revert_batch(batch=batch, user=request.user)
            except RevertRefused as refused:
                self.message_user(
                    request,
                    _("%(batch)s was not reverted: %(reason)s")
                    % {"batch": batch, "reason": refused},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request, _("%(batch)s was reverted.") % {"batch": batch}, messages.SUCCESS
                )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id:
            extra_context["revert_url"] = reverse(
                "admin:tracker_importbatch_revert", args=[object_id]
            )
        return super().changeform_view(request, object_id, form_url, extra_context)
