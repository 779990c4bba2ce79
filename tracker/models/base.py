from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Record(models.Model):
    """What every curated record carries: timestamps, who changed it, and an edit version.

    ``version`` is the optimistic lock: an edit made from version N is refused once
    someone else has saved version N+1. ``changed_by`` is empty for records written by
    the seed loader, so the loader can tell an editor's change from its own.
    """

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    seed_fingerprint = models.CharField(
        _("seed fingerprint"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("Checksum of the seed entry this record was last loaded from."),
    )

    class Meta:
        abstract = True

    @property
    def edited_by_person(self):
        """True once someone has saved the record by hand since it was loaded from the seeds."""
        return self.changed_by_id is not None
