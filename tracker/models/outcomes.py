from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .labels import quick_labels


class OutcomeQuerySet(models.QuerySet):
    def agreements(self):
        """Outcomes that count as agreements (:attr:`Outcome.AGREEMENT_STATUSES`)."""
        return self.filter(status__in=Outcome.AGREEMENT_STATUSES)

    @staticmethod
    def carried_out_q(implementations):
        """Agreements carried out: by their own status (implemented, partially
        implemented) or by an implementation among ``implementations``."""
        return Q(status__in=Outcome.CARRIED_OUT_STATUSES) | Q(implementations__in=implementations)

    def follow_through(self, events):
        """The agreements of ``events`` as the process and conflict pages show them, one
        dict per agreement in the order they were agreed: ``description``, ``status``,
        ``carried_out_event`` (the first published event that carried it out: its dates,
        slug and title, or None) and ``carried_out_on`` (its sort date), ``carried_out``
        (by that event or by its own status), and the agreeing event's
        ``event_title``, ``event_slug``, ``agreed_on`` and its date precision and
        sort date (``agreed_precision``, ``agreed_sort``), for ``tracker.dates``."""
        from .events import Event

        published = Event.objects.published()
        rows = list(
            self.filter(event__in=events)
            .agreements()
            .values(
                "pk",
                "description",
                "status",
                agreed_on=F("event__start_date"),
                agreed_end=F("event__end_date"),
                agreed_precision=F("event__date_precision"),
                agreed_sort=F("event__sort_date"),
                event_title=F("event__title"),
                event_slug=F("event__slug"),
            )
            .order_by("event__sort_date", "event__start_date", "event_id", "position", "pk")
        )
        carriers = self._first_carriers([row["pk"] for row in rows], published)
        for row in rows:
            carrier = carriers.get(row["pk"])
            row["carried_out_event"] = carrier
            row["carried_out_on"] = carrier["sort_date"] if carrier else None
            row["carried_out"] = bool(carrier) or row["status"] in Outcome.CARRIED_OUT_STATUSES
        return rows

    @staticmethod
    def _first_carriers(outcome_ids, published):
        """The first published event that carried out each outcome: ``{outcome id: {start,
        end, precision, sort, slug, title}}``, in one query."""
        carriers = {}
        rows = (
            Implementation.objects.filter(outcome_id__in=outcome_ids, event__in=published)
            .order_by("event__sort_date", "event__start_date", "event_id")
            .values_list(
                "outcome_id",
                "event__start_date",
                "event__end_date",
                "event__date_precision",
                "event__sort_date",
                "event__slug",
                "event__title",
            )
        )
        for outcome_id, *values in rows:
            keys = ("start_date", "end_date", "date_precision", "sort_date", "slug", "title")
            carriers.setdefault(outcome_id, dict(zip(keys, values, strict=True)))
        return carriers


@quick_labels
class Outcome(models.Model):
    """What came of an event: an agreement, a proposal, a rejection, an exchange carried out."""

    class Kind(models.TextChoices):
        AGREEMENT = "agreement", _("agreement")
        PRISONER_EXCHANGE = "prisoner_exchange", _("prisoner exchange")
        CEASEFIRE = "ceasefire", _("ceasefire")
        PROPOSAL = "proposal", _("proposal")
        STATEMENT = "statement", _("statement")
        FOLLOW_UP_MEETING = "follow_up_meeting", _("follow-up meeting")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        ANNOUNCED = "announced", _("announced")
        PROPOSED = "proposed", _("proposed")
        DISCUSSED = "discussed", _("discussed")
        NOT_AGREED = "not_agreed", _("not agreed")
        AGREED = "agreed", _("agreed")
        REJECTED = "rejected", _("rejected")
        IMPLEMENTED = "implemented", _("implemented")
        PARTIALLY_IMPLEMENTED = "partially_implemented", _("partially implemented")
        BROKEN = "broken", _("broken")
        LAPSED = "lapsed", _("lapsed")
        CANCELLED = "cancelled", _("cancelled")

    #: Strongest first: the status that colours an event on the timeline.
    STRENGTH = [
        Status.IMPLEMENTED,
        Status.PARTIALLY_IMPLEMENTED,
        Status.AGREED,
        Status.BROKEN,
        Status.LAPSED,
        Status.ANNOUNCED,
        Status.PROPOSED,
        Status.DISCUSSED,
        Status.NOT_AGREED,
        Status.REJECTED,
        Status.CANCELLED,
    ]
    #: The one rule for what counts as an agreement: an outcome the parties agreed to at
    #: some point, whatever became of it later. Every count, chart, table and filter that
    #: speaks of agreements uses it (through ``OutcomeQuerySet.agreements()``).
    AGREEMENT_STATUSES = [
        Status.AGREED,
        Status.IMPLEMENTED,
        Status.PARTIALLY_IMPLEMENTED,
        Status.BROKEN,
        Status.LAPSED,
    ]
    #: Agreements whose own status says they were carried out, in full or in part, even
    #: where no later event in the record is linked as carrying them out.
    CARRIED_OUT_STATUSES = [Status.IMPLEMENTED, Status.PARTIALLY_IMPLEMENTED]
    #: Agreements that came to nothing.
    FAILED_STATUSES = [Status.BROKEN, Status.LAPSED]

    event = models.ForeignKey(
        "Event", verbose_name=_("event"), on_delete=models.CASCADE, related_name="outcomes"
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Order among the event's outcomes.")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=30, choices=Status.choices)
    description = models.TextField(_("description"))
    quantity = models.PositiveIntegerField(
        _("quantity"), null=True, blank=True, help_text=_("E.g. 1000 for “1,000 per side”.")
    )
    unit = models.CharField(
        _("unit"),
        max_length=100,
        blank=True,
        help_text=_("What the quantity counts, e.g. “prisoners of war per side”."),
    )
    note = models.TextField(
        _("note"),
        blank=True,
        help_text=_("Caveats: conditions, disputed figures, what is unverified."),
    )
    agreed_by = models.ManyToManyField(
        "Party", verbose_name=_("agreed by"), blank=True, related_name="outcomes_agreed"
    )
    rejected_by = models.ManyToManyField(
        "Party", verbose_name=_("rejected by"), blank=True, related_name="outcomes_rejected"
    )
    sources = models.ManyToManyField(
        "Source", verbose_name=_("sources"), blank=True, related_name="outcomes"
    )

    history = HistoricalRecords(m2m_fields=[agreed_by, rejected_by])
    objects = OutcomeQuerySet.as_manager()

    #: A part of events: see ``Event.kept_by_event_versions``.
    kept_by_event_versions = True

    class Meta:
        ordering = ["event__start_date", "event_id", "position", "pk"]
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | ~Q(unit=""),
                name="outcome_quantity_has_unit",
                violation_error_message=_("Say what the quantity counts (the unit)."),
            ),
        ]

    def __str__(self):
        return f"{self.event.start_date.isoformat()} {self.description[:80]} ({self.status})"

    @classmethod
    def strength_expression(cls):
        """A CASE expression that ranks ``status`` by :attr:`STRENGTH` (higher is stronger)."""
        size = len(cls.STRENGTH)
        return Case(
            *[When(status=value, then=Value(size - i)) for i, value in enumerate(cls.STRENGTH)],
            default=Value(0),
            output_field=IntegerField(),
        )

    @property
    def is_agreement(self):
        return self.status in self.AGREEMENT_STATUSES

    @property
    def carried_out_by_status(self):
        return self.status in self.CARRIED_OUT_STATUSES


def read_stances(outcomes):
    """Who agreed to and who rejected each of ``outcomes``, by name: ``outcome.agreeing``
    and ``outcome.rejecting``, in one query (the two relations' rows united, each with
    its party) where two prefetches took two."""
    from .actors import Party

    outcomes = list(outcomes)
    names = [f.attname for f in Party._meta.concrete_fields]

    def rows(relation, stance):
        through = Outcome._meta.get_field(relation).remote_field.through
        return through.objects.filter(outcome__in=[o.pk for o in outcomes]).values_list(
            "outcome_id", Value(stance), *(f"party__{name}" for name in names)
        )

    found = {}
    if outcomes:
        united = rows("agreed_by", "agreed").union(rows("rejected_by", "rejected"), all=True)
        for outcome_id, stance, *values in united:
            party = Party.from_db(united.db, names, values)
            found.setdefault((outcome_id, stance), []).append(party)
    for outcome in outcomes:
        for stance, attribute in (("agreed", "agreeing"), ("rejected", "rejecting")):
            parties = found.get((outcome.pk, stance), [])
            setattr(outcome, attribute, sorted(parties, key=lambda p: (p.name, p.pk)))
    return outcomes


@quick_labels
class Implementation(models.Model):
    """A later event carrying out an outcome, e.g. the 23–25 May 2025 exchange carrying out
    the 1,000-for-1,000 exchange agreed in Istanbul on 16 May 2025."""

    class Extent(models.TextChoices):
        FULL = "full", _("carried out")
        PARTIAL = "partial", _("partly carried out")

    outcome = models.ForeignKey(
        Outcome,
        verbose_name=_("outcome carried out"),
        on_delete=models.CASCADE,
        related_name="implementations",
    )
    event = models.ForeignKey(
        "Event",
        verbose_name=_("carried out at"),
        on_delete=models.CASCADE,
        related_name="implementations",
    )
    extent = models.CharField(
        _("extent"), max_length=10, choices=Extent.choices, default=Extent.FULL
    )

    history = HistoricalRecords()

    #: A part of events: see ``Event.kept_by_event_versions``.
    kept_by_event_versions = True

    class Meta:
        ordering = ["event__start_date", "pk"]
        verbose_name = _("implementation")
        verbose_name_plural = _("implementations")
        constraints = [
            models.UniqueConstraint(
                fields=["outcome", "event"],
                name="implementation_once",
                violation_error_message=_("This event is already recorded as carrying it out."),
            ),
        ]

    def __str__(self):
        return f"{self.event} {self.get_extent_display()} {self.outcome}"

    def clean(self):
        super().clean()
        if not (self.outcome_id and self.event_id):
            return
        message = self.dated_before_agreement()
        if message:
            raise ValidationError(message, code="implementation_before_agreement")

    def dated_before_agreement(self):
        """The message if this implementation's event surely took place before the
        agreement it carries out (compared by their periods when only the month or year is
        known), else None. The admin and the import both ask it."""
        from ..dates import event_date

        agreement = self.outcome.event
        if not self.event.surely_before(agreement):
            return None
        return _(
            "An implementation cannot be dated before the agreement it carries out "
            "(agreed on %(date)s)."
        ) % {"date": event_date(agreement)}
