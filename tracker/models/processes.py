from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import Record, RecordQuerySet
from .validators import validate_shown_date


class ProcessQuerySet(RecordQuerySet):
    def public(self):
        """Processes with at least one published event: the only ones the public sees."""
        from .events import Event

        return self.filter(pk__in=Event.objects.published().values("process_id"))

    def for_index(self):
        """Each process with its conflict and its number of published events."""
        from .events import Event

        return self.select_related("conflict").annotate(
            event_count=Count("events", filter=Q(events__status=Event.Status.PUBLISHED))
        )


class Process(Record):
    """A negotiation track, such as the 2025 Istanbul direct talks."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        CONCLUDED = "concluded", _("concluded")

    title = models.CharField(_("title"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    conflict = models.ForeignKey(
        "tracker.Conflict",
        verbose_name=_("conflict"),
        on_delete=models.PROTECT,
        related_name="processes",
        help_text=_("The war or dispute this track tries to settle."),
    )
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(
        _("start date"), null=True, blank=True, validators=[validate_shown_date]
    )
    end_date = models.DateField(
        _("end date"), null=True, blank=True, validators=[validate_shown_date]
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    position = models.PositiveSmallIntegerField(
        _("position"),
        default=100,
        help_text=_("Order of the process's lane on timelines; lower comes first."),
    )

    history = HistoricalRecords()
    objects = ProcessQuerySet.as_manager()

    class Meta:
        ordering = ["position", "start_date", "title"]
        verbose_name = _("process")
        verbose_name_plural = _("processes")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="process_ends_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("process-detail", kwargs={"slug": self.slug})
