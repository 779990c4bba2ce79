from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from .base import Record, RecordQuerySet
from .validators import validate_shown_date


class ConflictQuerySet(RecordQuerySet):
    def public(self):
        """Conflicts with at least one published event (through their processes): the
        only ones the public sees."""
        from .events import Event

        return self.filter(pk__in=Event.objects.published().values("process__conflict_id"))

    def for_index(self):
        """Each conflict with its published events' count, the dates of its first and
        latest events (``first_on``, ``first_precision``, ``last_on``… as precise as
        their sources, for ``row_dates``), and its latest event's title and slug, in one
        query."""
        from .events import Event

        published = Q(processes__events__status=Event.Status.PUBLISHED)
        events = Event.objects.published().filter(process__conflict=OuterRef("pk"))
        first, latest = events.chronological(), events.chronological().reverse()
        return self.annotate(
            event_count=Count("processes__events", filter=published),
            first_on=Subquery(first.values("start_date")[:1]),
            first_precision=Subquery(first.values("date_precision")[:1]),
            last_on=Subquery(latest.values("start_date")[:1]),
            last_precision=Subquery(latest.values("date_precision")[:1]),
            latest_title=Subquery(latest.values("title")[:1]),
            latest_slug=Subquery(latest.values("slug")[:1]),
        )


class Conflict(Record):
    """A war or dispute that negotiation processes try to settle, such as the
    Russia–Ukraine war."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        CONCLUDED = "concluded", _("concluded")

    name = models.CharField(
        _("name"),
        max_length=200,
        unique=True,
        help_text=_("As commonly written in English, e.g. “Russia–Ukraine war”."),
    )
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.CharField(
        _("description"),
        max_length=500,
        blank=True,
        help_text=_("One or two sentences: who fights whom, over what, since when."),
    )
    countries = CountryField(
        _("countries"),
        multiple=True,
        blank=True,
        help_text=_("ISO 3166 countries the conflict is fought in or between."),
    )
    start_date = models.DateField(
        _("start date"), null=True, blank=True, validators=[validate_shown_date]
    )
    end_date = models.DateField(
        _("end date"),
        null=True,
        blank=True,
        validators=[validate_shown_date],
        help_text=_("Empty while the conflict goes on."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    demo = models.BooleanField(
        _("demo record"),
        default=False,
        editable=False,
        help_text=_("Written by generate_demo: synthetic, for trying the tracker at scale."),
    )

    history = HistoricalRecords()
    objects = ConflictQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("conflict")
        verbose_name_plural = _("conflicts")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="conflict_ends_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("conflict-detail", kwargs={"slug": self.slug})
