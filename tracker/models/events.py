import datetime

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from .base import Record, RecordQuerySet
from .validators import validate_shown_date


class EventQuerySet(RecordQuerySet):
    def published(self):
        """The one rule for what the public sees: published events only."""
        return self.filter(status=Event.Status.PUBLISHED)

    def chronological(self):
        # NULL times first on every database, so that the order is the same everywhere.
        return self.order_by("start_date", F("start_time").asc(nulls_first=True), "pk")

    def with_main_outcome(self):
        """Annotate the strongest outcome's status and description (one subquery each)."""
        from .outcomes import Outcome

        strongest = (
            Outcome.objects.filter(event=OuterRef("pk"))
            .annotate(strength=Outcome.strength_expression())
            .order_by("-strength", "position", "pk")
        )
        return self.annotate(
            main_outcome_status=Subquery(strongest.values("status")[:1]),
            main_outcome_description=Subquery(strongest.values("description")[:1]),
        )

    @staticmethod
    def timeline_lane_fields():
        """What a timeline knows of an event's lane and of the conflict that groups the
        lanes, read here and nowhere else."""
        return {
            "process_title": F("process__title"),
            "process_slug": F("process__slug"),
            "process_position": F("process__position"),
            "conflict_name": F("process__conflict__name"),
        }

    def for_timeline(self):
        """The fields a timeline chart draws, as plain rows in one query."""
        return (
            self.with_main_outcome()
            .chronological()
            .values(
                "pk",
                "slug",
                "title",
                "kind",
                "start_date",
                "end_date",
                "date_precision",
                "city",
                "country",
                "venue",
                "main_outcome_status",
                "main_outcome_description",
                **self.timeline_lane_fields(),
            )
        )

    def for_timeline_counts(self):
        """The little a timeline needs to count events per lane and period: their dates
        and lanes, as plain rows in one query."""
        return self.order_by().values(
            "start_date", "end_date", "date_precision", **self.timeline_lane_fields()
        )

    def for_listing(self):
        return self.select_related("process").with_main_outcome().chronological()

    def with_parts(self, *, include_drafts=False):
        """An event's participants, outcomes (with who agreed or rejected them, their
        sources and the events that carried them out) and citations, prefetched.

        Events that carried out an outcome are limited to published ones unless
        ``include_drafts``, so that nothing public ever names a draft.
        """
        from .outcomes import Implementation, Outcome
        from .participations import Participation

        shown = Q() if include_drafts else shown_to_the_public("event_id")
        return self.select_related("process__conflict").prefetch_related(
            Prefetch(
                "participations",
                queryset=Participation.objects.select_related("person", "party", "side"),
            ),
            Prefetch(
                "outcomes",
                queryset=Outcome.objects.prefetch_related(
                    "agreed_by",
                    "rejected_by",
                    "sources",
                    Prefetch(
                        "implementations",
                        queryset=Implementation.objects.filter(shown)
                        .select_related("event")
                        .order_by("event__start_date", "event_id"),
                    ),
                ),
            ),
            Prefetch("citations", queryset=Citation.objects.select_related("source")),
        )

    def for_detail(self, *, include_drafts=False):
        """One event page in a fixed number of queries: its parts, plus the agreements it
        carried out and the events it is linked to (published ones only, unless
        ``include_drafts``)."""
        from .outcomes import Implementation

        def shown(field):
            return Q() if include_drafts else shown_to_the_public(field)

        return self.with_parts(include_drafts=include_drafts).prefetch_related(
            Prefetch(
                "implementations",
                queryset=Implementation.objects.filter(shown("outcome__event_id")).select_related(
                    "outcome__event"
                ),
            ),
            Prefetch(
                "links_out",
                queryset=EventLink.objects.filter(shown("to_event_id")).select_related("to_event"),
            ),
            Prefetch(
                "links_in",
                queryset=EventLink.objects.filter(shown("from_event_id")).select_related(
                    "from_event"
                ),
            ),
        )

    def for_export(self, *, include_drafts=False):
        """Everything the four CSV tables write, in export order, prefetched chunk by
        chunk when iterated: the event's parts and its links to other events (to
        published ones only, unless ``include_drafts``)."""
        shown = Q() if include_drafts else shown_to_the_public("to_event_id")
        links = (
            EventLink.objects.filter(shown)
            .select_related("to_event")
            .order_by("to_event__start_date", "to_event_id", "relation", "pk")
        )
        return (
            self.with_parts(include_drafts=include_drafts)
            .prefetch_related(Prefetch("links_out", queryset=links))
            .chronological()
        )

    def summary(self):
        """Headline counts for these events: events, rounds of talks, agreements, and
        agreements that a published event carried out."""
        from .outcomes import Implementation, Outcome

        counts = self.aggregate(
            events=Count("pk"),
            rounds=Count("pk", filter=Q(kind=Event.Kind.ROUND_OF_TALKS)),
        )
        agreements = Outcome.objects.filter(event__in=self.values("pk")).agreements()
        counts |= agreements.aggregate(
            agreements=Count("pk", distinct=True),
            carried_out=Count(
                "pk",
                distinct=True,
                filter=Q(
                    implementations__in=Implementation.objects.filter(
                        shown_to_the_public("event_id")
                    )
                ),
            ),
        )
        return counts


def shown_to_the_public(field):
    """A condition for a related row: the event its ``field`` points to is published.

    Written as EXISTS on ``published()``, which databases plan well inside prefetches.
    """
    return Exists(Event.objects.published().filter(pk=OuterRef(field)))


class Event(Record):
    """Something that happened in a negotiation: a round of talks, a call, a signing..."""

    class Kind(models.TextChoices):
        ROUND_OF_TALKS = "round_of_talks", _("round of talks")
        SUMMIT = "summit", _("summit")
        PHONE_CALL = "phone_call", _("phone call")
        PROPOSAL = "proposal", _("proposal")
        SIGNING = "signing", _("signing")
        PRISONER_EXCHANGE = "prisoner_exchange", _("prisoner exchange")
        CEASEFIRE = "ceasefire", _("ceasefire")
        STATEMENT = "statement", _("statement")
        CONFERENCE = "conference", _("conference")
        OTHER = "other", _("other")

    class Precision(models.TextChoices):
        DAY = "day", _("exact day")
        MONTH = "month", _("month only")
        YEAR = "year", _("year only")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        REVIEW = "review", _("in review")
        PUBLISHED = "published", _("published")

    process = models.ForeignKey(
        "Process", verbose_name=_("process"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(
        _("slug"),
        max_length=120,
        unique=True,
        help_text=_("Part of the public address; keep it stable once published."),
    )
    start_date = models.DateField(_("start date"), validators=[validate_shown_date])
    end_date = models.DateField(
        _("end date"),
        null=True,
        blank=True,
        validators=[validate_shown_date],
        help_text=_("Only for events over several days."),
    )
    date_precision = models.CharField(
        _("date precision"),
        max_length=10,
        choices=Precision.choices,
        default=Precision.DAY,
        help_text=_(
            "How exactly the date is known. For “May 2025” enter 2025-05-01 and choose "
            "“month only”; pages then show the date as approximate."
        ),
    )
    start_time = models.TimeField(_("start time (local)"), null=True, blank=True)
    duration = models.DurationField(
        _("duration"),
        null=True,
        blank=True,
        validators=[MinValueValidator(datetime.timedelta(0))],
        help_text=_("E.g. 1:55:00 for just under two hours."),
    )
    duration_note = models.CharField(
        _("duration as reported"),
        max_length=300,
        blank=True,
        help_text=_("How sources describe the length, e.g. “just under two hours”."),
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    country = CountryField(_("country"), blank=True)
    summary = models.TextField(_("summary"), blank=True)
    source_notes = models.TextField(
        _("where sources disagree"),
        blank=True,
        help_text=_("Disputed or conflicting facts, each with the sources that give them."),
    )
    unverified = models.TextField(
        _("not verified"),
        blank=True,
        help_text=_("Points no source could confirm, one per line. Shown to readers as such."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(_("first published"), null=True, blank=True)

    history = HistoricalRecords()
    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", F("start_time").asc(nulls_first=True), "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        permissions = [("publish_event", _("Can publish and unpublish events"))]
        indexes = [models.Index(fields=["status", "start_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="event_ends_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self):
        return f"{self.start_date.isoformat()} {self.title}"

    def get_absolute_url(self):
        return reverse("event-detail", kwargs={"slug": self.slug})

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    @property
    def is_approximate(self):
        return self.date_precision != self.Precision.DAY

    @property
    def place_parts(self):
        """Venue, city, region and country name, as far as they are known."""
        return [p for p in (self.venue, self.city, self.region, self.country.name) if p]

    @property
    def unverified_points(self):
        return [line.strip() for line in self.unverified.splitlines() if line.strip()]

    def publish(self, *, by=None, when=None):
        """Make the event public. ``published_at`` keeps the first publication time."""
        self.status = self.Status.PUBLISHED
        self.published_at = self.published_at or when or timezone.now()
        self.changed_by = by or self.changed_by

    def unpublish(self, *, by=None):
        self.status = self.Status.DRAFT
        self.changed_by = by or self.changed_by


class Citation(models.Model):
    """A source backing an event, with what it supports."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="citations"
    )
    source = models.ForeignKey(
        "Source", verbose_name=_("source"), on_delete=models.PROTECT, related_name="citations"
    )
    supports = models.CharField(
        _("supports"),
        max_length=500,
        blank=True,
        help_text=_("Which facts this source backs, if not the whole event."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "source"],
                name="citation_once_per_event",
                violation_error_message=_("This source is already cited for this event."),
            ),
        ]

    def __str__(self):
        return str(self.source)


class EventLink(models.Model):
    """One event following, answering or building on another.

    Read a link as “<from event> <relation> <to event>”, e.g. “round 2 follows round 1”;
    the other event shows the inverse wording (“followed by”). Carrying out an agreement
    is not a link but an :class:`Implementation` of the outcome.
    """

    class Relation(models.TextChoices):
        FOLLOWS = "follows", _("follows")
        RESPONDS_TO = "responds_to", _("responds to")
        RESULTS_FROM = "results_from", _("results from")
        CONTINUES = "continues", _("continues")
        REVISES = "revises", _("revises")
        ENDS = "ends", _("ends")
        BUILDS_ON = "builds_on", _("builds on")
        REFERS_BACK_TO = "refers_back_to", _("refers back to")
        ATTEMPTS_TO_REVIVE = "attempts_to_revive", _("attempts to revive")
        ON_THE_EVE_OF = "on_the_eve_of", _("took place on the eve of")
        FIRST_SINCE = "first_since", _("is the first of its kind since")

    INVERSE_LABELS = {
        Relation.FOLLOWS: _("followed by"),
        Relation.RESPONDS_TO: _("answered by"),
        Relation.RESULTS_FROM: _("led to"),
        Relation.CONTINUES: _("continued by"),
        Relation.REVISES: _("revised by"),
        Relation.ENDS: _("ended by"),
        Relation.BUILDS_ON: _("built on by"),
        Relation.REFERS_BACK_TO: _("referred back to by"),
        Relation.ATTEMPTS_TO_REVIVE: _("revival attempted by"),
        Relation.ON_THE_EVE_OF: _("preceded on its eve by"),
        Relation.FIRST_SINCE: _("the last of its kind before"),
    }

    from_event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="links_out"
    )
    relation = models.CharField(_("relation"), max_length=30, choices=Relation.choices)
    to_event = models.ForeignKey(
        Event, verbose_name=_("other event"), on_delete=models.CASCADE, related_name="links_in"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["from_event__start_date", "to_event__start_date", "pk"]
        verbose_name = _("link between events")
        verbose_name_plural = _("links between events")
        constraints = [
            models.UniqueConstraint(
                fields=["from_event", "relation", "to_event"],
                name="event_link_once",
                violation_error_message=_("These events are already linked this way."),
            ),
            models.CheckConstraint(
                condition=~Q(from_event=F("to_event")),
                name="event_link_not_to_itself",
                violation_error_message=_("An event cannot be linked to itself."),
            ),
        ]

    def __str__(self):
        return f"{self.from_event.title} {self.get_relation_display()} {self.to_event.title}"

    @property
    def inverse_label(self):
        return self.INVERSE_LABELS[self.relation]
