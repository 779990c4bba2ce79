from django.db import models
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import Record, RecordQuerySet
from .validators import validate_shown_date


class SourceQuerySet(RecordQuerySet):
    def matching(self, *, url, publisher, title, published_on):
        """The stored source these details identify (see :meth:`Source.identity`)."""
        if url:
            return self.filter(url=url)
        return self.filter(url="", publisher=publisher, title=title, published_on=published_on)


class Source(Record):
    """A report, statement or document that backs facts in the record."""

    url = models.URLField(
        _("URL"), max_length=500, blank=True, help_text=_("Leave empty for print-only reports.")
    )
    title = models.CharField(_("title"), max_length=400, blank=True)
    publisher = models.CharField(_("publisher"), max_length=200)
    published_on = models.DateField(
        _("publication date"), null=True, blank=True, validators=[validate_shown_date]
    )
    accessed_on = models.DateField(
        _("access date"), null=True, blank=True, validators=[validate_shown_date]
    )
    archive_url = models.URLField(_("archived copy"), max_length=500, blank=True)

    history = HistoricalRecords()
    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["publisher", "published_on", "pk"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            models.UniqueConstraint(
                fields=["url"],
                condition=~Q(url=""),
                name="source_url_unique",
                violation_error_message=_("A source with this URL already exists."),
            ),
            models.UniqueConstraint(
                fields=["publisher", "title", "published_on"],
                condition=Q(url=""),
                name="source_print_report_unique",
                violation_error_message=_(
                    "A report from this publisher with this title and date already exists."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(url="") | ~Q(title=""),
                name="source_has_url_or_title",
                violation_error_message=_("A source without a URL needs a title."),
            ),
        ]

    @staticmethod
    def identity(*, url, publisher, title, published_on):
        """What makes two citations the same source: its URL, or, for a report without
        one, its publisher, title and date."""
        return ("url", url) if url else ("report", publisher, title, published_on)

    def __str__(self):
        """“Reuters — Talks end in Istanbul (16 May 2025)”: how editors tell sources apart
        in the admin's lists and autocompletes."""
        label = " — ".join(part for part in (self.publisher, self.title or self.url) if part)
        if self.published_on:
            label = f"{label} ({date_format(self.published_on)})"
        return label
