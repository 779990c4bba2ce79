"""Imports as the record keeps them: each one a batch that can be reverted, and uploads
waiting, in the database, between the preview and the confirmation."""

import datetime
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


class PendingImport(models.Model):
    """Uploaded files between an import's preview and its confirmation.

    Kept in the database, so that any app server can confirm a preview made on another,
    and nothing is left on a disk: the row goes on confirmation or cancellation, and
    previews nobody confirmed are purged after :attr:`LIFETIME`.
    """

    LIFETIME = datetime.timedelta(days=1)

    token = models.CharField(_("token"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True, db_index=True)
    # Bytes, not text: an upload may hold what no text column stores (a NUL character),
    # and must wait intact to be refused with a message naming it.
    upload = models.BinaryField(_("uploaded files"))
    plan = models.TextField(_("plan"), blank=True)

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
        return cls.objects.create(token=secrets.token_hex(16), user=user, upload=upload)
