"""Imports as the record keeps them: each one a batch that can be reverted, and uploads
waiting, in the database, between the preview and the confirmation."""

import csv
import datetime
import io
import json
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    """One import: who made it, when, from which files, what it changed, and what it
    takes to undo it (``undo``, written by ``tracker.imports.write``)."""

    created_at = models.DateTimeField(_("imported"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    files = models.JSONField(_("files"), default=list)
    counts = models.JSONField(_("changes per table"), default=dict)
    plan = models.TextField(_("what it changed"), blank=True)
    undo = models.JSONField(_("undo data"), default=dict, editable=False)
    reverted_at = models.DateTimeField(_("reverted"), null=True, blank=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reverted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("CSV import")
        verbose_name_plural = _("CSV imports")

    def __str__(self):
        return _("Import %(number)s") % {"number": self.pk}

    @property
    def reason(self):
        """The history reason of everything this import wrote."""
        return _("Imported from CSV (batch %(number)s)") % {"number": self.pk}


class PendingImportQuerySet(models.QuerySet):
    def abandoned(self):
        return self.filter(created_at__lt=timezone.now() - PendingImport.LIFETIME)


def count_rows(text):
    """The data rows of one uploaded file (its header left out), as a CSV reader sees
    them; by its lines where it is not valid CSV (reading it will say why)."""
    try:
        return max(sum(1 for cells in csv.reader(io.StringIO(text, newline="")) if cells) - 1, 0)
    except csv.Error:
        return max(text.count("\n") - 1, 0)


class PendingImport(models.Model):
    """Uploaded files between an import's preview and its confirmation.

    Kept in the database, so that any app server can confirm a preview made on another,
    and nothing is left on a disk: the row goes on confirmation or cancellation, and
    previews nobody confirmed are purged after :attr:`LIFETIME`.

    A large upload is previewed and imported in the background (``tracker.imports.jobs``):
    its ``state``, progress, heartbeat and ``result`` are kept here, so that any app server
    can show how far it got. ``state`` stays empty for uploads handled within the request.
    """

    LIFETIME = datetime.timedelta(days=1)

    class State(models.TextChoices):
        INLINE = "", _("handled within the request")
        PREVIEWING = "previewing", _("previewing")
        PREVIEWED = "previewed", _("previewed")
        REFUSED = "refused", _("refused")
        IMPORTING = "importing", _("importing")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    RUNNING = (State.PREVIEWING, State.IMPORTING)

    token = models.CharField(_("token"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True, db_index=True)
    # Bytes, not text: an upload may hold what no text column stores (a NUL character),
    # and must wait intact to be refused with a message naming it.
    upload = models.BinaryField(_("uploaded files"))
    plan = models.TextField(_("plan"), blank=True)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=State.choices,
        default=State.INLINE,
        blank=True,
        help_text=_("Where a background preview or import stands; empty for small uploads."),
    )
    rows_total = models.PositiveIntegerField(
        _("rows"), default=0, help_text=_("Data rows in all the uploaded files.")
    )
    rows_done = models.PositiveIntegerField(
        _("rows read"), default=0, help_text=_("Rows a background job has read so far.")
    )
    heartbeat = models.DateTimeField(
        _("heartbeat"),
        null=True,
        blank=True,
        help_text=_("Last sign of life of the background job; a silent one has stopped."),
    )
    flags = models.JSONField(_("confirmations"), default=dict, blank=True)
    result = models.JSONField(
        _("result"),
        default=dict,
        blank=True,
        help_text=_("What the background job found: the plan shown, problems, batch or error."),
    )

    objects = PendingImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("pending import")
        verbose_name_plural = _("pending imports")

    def __str__(self):
        return ", ".join(self.files)

    @property
    def files(self):
        """``{name: text}``, in the order they were uploaded."""
        return dict(json.loads(bytes(self.upload).decode("utf-8")))

    @classmethod
    def keep(cls, *, user, files):
        """Store uploaded ``{name: text}`` for later, purging previews nobody confirmed."""
        cls.objects.abandoned().delete()
        upload = json.dumps(list(files.items())).encode("utf-8")
        rows = sum(count_rows(text) for text in files.values())
        return cls.objects.create(
            token=secrets.token_hex(16), user=user, upload=upload, rows_total=rows
        )
