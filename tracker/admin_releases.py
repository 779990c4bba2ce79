"""Releases in the admin: a publisher cuts one from the list ("Cut a release") and
withdraws one from its page, with the reason shown publicly. Both call the functions
``manage.py release`` calls (``tracker.releases``); a release's files and fields are
never edited, and releases are never deleted."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Release
from .releases import (
    CUT_PERMISSION,
    WITHDRAW_PERMISSION,
    ReleaseRefused,
    cut_release,
    summary_lines,
    withdraw_release,
)


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["version", "cut_at", "cut_by", "event_count", "withdrawn_at"]
    list_select_related = ["cut_by"]
    fields = [
        "version",
        "cut_at",
        "cut_by",
        "event_count",
        "file_table",
        "change_summary",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawn_reason",
    ]
    readonly_fields = fields
    change_list_template = "admin/tracker/release/change_list.html"
    change_form_template = "admin/tracker/release/change_form.html"

    def has_add_permission(self, request):
        return False  # cut from the list's button, never typed in

    def has_change_permission(self, request, obj=None):
        return False  # withdrawn from its page's form; nothing else changes

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("files"))
    def file_table(self, release):
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a>: {} bytes, sha256 <code>{}</code></li>',
                (
                    (
                        reverse("release-file", args=[release.version, f["name"]]),
                        f["name"],
                        f["bytes"],
                        f["sha256"],
                    )
                    for f in release.files
                ),
            ),
        )

    @admin.display(description=gettext_lazy("changes"))
    def change_summary(self, release):
        return "; ".join(summary_lines(release.changes))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("cut/", view(self.cut_view), name="tracker_release_cut"),
            path("<int:pk>/withdraw/", view(self.withdraw_view), name="tracker_release_withdraw"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "can_cut": request.user.has_perm(CUT_PERMISSION),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            "can_withdraw": request.user.has_perm(WITHDRAW_PERMISSION),
            **(extra_context or {}),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def cut_view(self, request):
        if request.method != "POST":
            raise PermissionDenied
        try:
            release = cut_release(by=request.user)
        except (ReleaseRefused, PermissionDenied) as refused:
            self.message_user(
                request, _("No release was cut: %(reason)s") % {"reason": refused}, messages.ERROR
            )
            return redirect("admin:tracker_release_changelist")
        self.message_user(
            request,
            _("Cut release %(version)s (%(count)d events). %(changes)s")
            % {
                "version": release.version,
                "count": release.event_count,
                "changes": " ".join(summary_lines(release.changes)),
            },
            messages.SUCCESS,
        )
        return redirect("admin:tracker_release_change", release.pk)

    def withdraw_view(self, request, pk):
        if request.method != "POST":
            raise PermissionDenied
        release = get_object_or_404(Release, pk=pk)
        try:
            withdraw_release(
                release=release, reason=request.POST.get("reason", ""), by=request.user
            )
        except (ReleaseRefused, PermissionDenied) as refused:
            self.message_user(
                request,
                _("Release %(version)s was not withdrawn: %(reason)s")
                % {"version": release.version, "reason": refused},
                messages.ERROR,
            )
        else:
            self.message_user(
                request,
                _("Release %(version)s was withdrawn; its files are kept and listed as withdrawn.")
                % {"version": release.version},
                messages.SUCCESS,
            )
        return redirect("admin:tracker_release_change", release.pk)
