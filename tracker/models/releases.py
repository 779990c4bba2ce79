"""Citable releases of the published record: files written once, never changed.

A :class:`Release` keeps what its files are (names, sizes, sha256) and what changed since
the release before it; the files themselves live in the ``releases`` storage
(``tracker.releases``). :class:`ReleaseEntry` says which events a release holds, by id
and by the slug they had then: the next release's changelog is computed against it,
and an event's page cites the latest release that holds it.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

#: ``YYYY.MM.DD`` of the day it was cut (UTC), ``.2``, ``.3``… for later ones that day.
VERSION_PATTERN = r"[0-9]{4}\.[0-9]{2}\.[0-9]{2}(\.[1-9][0-9]*)?"


class ReleaseQuerySet(models.QuerySet):
    def current(self):
        """Releases not withdrawn: the ones to cite."""
        return self.filter(withdrawn_at__isnull=True)

    def newest_first(self):
        return self.order_by("-cut_at", "-pk")


class Release(models.Model):
    """One release: the four CSV files and ``datapackage.json`` as they were cut."""

    version = models.CharField(
        _("version"),
        max_length=32,
        unique=True,
        validators=[RegexValidator(f"^{VERSION_PATTERN}$")],
        help_text=_(
            "The day it was cut, as YYYY.MM.DD (e.g. 2026.12.01); a second release that "
            "day is 2026.12.01.2. Given by the tracker."
        ),
    )
    cut_at = models.DateTimeField(_("cut at"))
    cut_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cut by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The publisher who cut it; never shown publicly."),
    )
    files = models.JSONField(
        _("files"),
        default=list,
        help_text=_("Each file's name, size in bytes, sha256 and media type, in the order listed."),
    )
    changes = models.JSONField(
        _("changes"),
        default=dict,
        help_text=_(
            "Against the previous release: events added and changed (by slug, with the "
            "columns that changed), and how many were withdrawn (never by name)."
        ),
    )
    event_count = models.PositiveIntegerField(_("events"), default=0)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_reason = models.TextField(
        _("reason for withdrawal"),
        blank=True,
        help_text=_(
            "Shown publicly beside the release, e.g. “Two events were dated a year "
            "early; use 2026.12.02 instead.”"
        ),
    )

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-cut_at", "-pk"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawn_reason=""),
                name="release_withdrawn_with_reason",
                violation_error_message=_("A withdrawn release needs the reason, shown publicly."),
            ),
        ]

    def __str__(self):
        return self.version

    def get_absolute_url(self):
        return reverse("release-detail", kwargs={"version": self.version})

    @property
    def is_withdrawn(self):
        return self.withdrawn_at is not None

    def file(self, name):
        """The listed file called ``name`` (a dict), or None."""
        return next((f for f in self.files if f["name"] == name), None)


class ReleaseEntry(models.Model):
    """An event a release holds, by the id and slug it had then (no foreign key: the
    event may since have been deleted, and the release must still say what it held)."""

    release = models.ForeignKey(
        Release, verbose_name=_("release"), on_delete=models.CASCADE, related_name="entries"
    )
    event_pk = models.PositiveBigIntegerField(_("event id"), db_index=True)
    slug = models.CharField(_("slug then"), max_length=200)

    class Meta:
        ordering = ["release", "pk"]
        verbose_name = _("event in a release")
        verbose_name_plural = _("events in releases")
        constraints = [
            models.UniqueConstraint(fields=["release", "event_pk"], name="release_entry_once")
        ]

    def __str__(self):
        return f"{self.release_id}: {self.slug}"

    @classmethod
    def latest_version_holding(cls, event_pk):
        """A subquery: the version of the latest release, not withdrawn, holding the
        event ``event_pk`` (an ``OuterRef`` in an annotation)."""
        return Subquery(
            cls.objects.filter(event_pk=event_pk, release__withdrawn_at__isnull=True)
            .order_by("-release__cut_at", "-release_id")
            .values("release__version")[:1]
        )
