from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .labels import quick_labels


class ParticipationQuerySet(models.QuerySet):
    @staticmethod
    def involving_q(party):
        """The condition for “this party took part”: as the party, as the side, or through
        one of its people. Combinable with other conditions on the same participation."""
        return Q(party=party) | Q(side=party) | Q(person__party=party)

    def involving(self, party):
        return self.filter(self.involving_q(party))


@quick_labels
class Participation(models.Model):
    """Who took part in an event, in which role, and for which side.

    A row names a person, a party, or both: “Rustem Umerov, head of delegation, for
    Ukraine”, or “Türkiye, host”. ``party`` is the state or organisation taking part, or on
    whose behalf the person took part (not always the person's own); ``side`` is the side
    of the table represented, empty for neutral hosts and mediators.
    """

    class Role(models.TextChoices):
        HOST = "host", _("host")
        MEDIATOR = "mediator", _("mediator or chair")
        HEAD_OF_DELEGATION = "head_of_delegation", _("head of delegation")
        DELEGATE = "delegate", _("delegate")
        OBSERVER = "observer", _("observer")
        GUARANTOR = "guarantor", _("guarantor")
        SIGNATORY = "signatory", _("signatory")
        FACILITATOR = "facilitator", _("facilitator")
        ADVISER = "adviser", _("adviser")
        PARTICIPANT = "participant", _("participant")

    #: The order in which roles are listed on an event page.
    ROLE_ORDER = list(Role)
    #: Roles that represent no side of the table.
    NEUTRAL_ROLES = frozenset(
        {Role.HOST, Role.MEDIATOR, Role.FACILITATOR, Role.OBSERVER, Role.GUARANTOR}
    )

    event = models.ForeignKey(
        "Event", verbose_name=_("event"), on_delete=models.CASCADE, related_name="participations"
    )
    person = models.ForeignKey(
        "Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="participations",
    )
    party = models.ForeignKey(
        "Party",
        verbose_name=_("party"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="participations",
        help_text=_("The state or organisation taking part, or on whose behalf the person did."),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    side = models.ForeignKey(
        "Party",
        verbose_name=_("side represented"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="side_participations",
        help_text=_("Leave empty for neutral hosts and mediators."),
    )
    title = models.CharField(
        _("title at the time"),
        max_length=300,
        blank=True,
        help_text=_("The person's office on the day, e.g. “Minister of Defence of Ukraine”."),
    )
    note = models.CharField(
        _("note"),
        max_length=500,
        blank=True,
        help_text=_("E.g. “attendance reported by one source only”."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()
    objects = ParticipationQuerySet.as_manager()

    #: A part of events: see ``Event.kept_by_event_versions``.
    kept_by_event_versions = True

    class Meta:
        ordering = ["event__start_date", "event_id", "position", "pk"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(party__isnull=False),
                name="participation_names_someone",
                violation_error_message=_("Name a person, a party, or both."),
            ),
            models.UniqueConstraint(
                fields=["event", "person", "role"],
                condition=Q(person__isnull=False),
                name="participation_person_once_per_role",
                violation_error_message=_(
                    "This person is already listed in this role at this event."
                ),
            ),
            models.UniqueConstraint(
                fields=["event", "party", "role"],
                condition=Q(person__isnull=True),
                name="participation_party_once_per_role",
                violation_error_message=_(
                    "This party is already listed in this role at this event."
                ),
            ),
        ]

    def __str__(self):
        who = " – ".join(str(x) for x in (self.person, self.party) if x)
        return f"{who} ({self.get_role_display()})"

    def save(self, *args, **kwargs):
        """Saved one by one (an inline, its own admin page): the event's search text
        follows at once. Bulk writes call :meth:`after_change` themselves."""
        old_event = None
        if self.pk is not None:
            old_event = (
                type(self).objects.filter(pk=self.pk).values_list("event_id", flat=True).first()
            )
        super().save(*args, **kwargs)
        self._refresh_events({self.event_id, old_event} - {None})

    def delete(self, *args, **kwargs):
        event_id = self.event_id
        result = super().delete(*args, **kwargs)
        self._refresh_events({event_id})
        return result

    @classmethod
    def after_change(cls, ids, *, created=False):
        """Participations written in bulk: their events' search text names them."""
        ids, events = list(ids), set()
        for start in range(0, len(ids), 500):  # SQLite slows down on long IN lists
            chunk = cls.objects.filter(pk__in=ids[start : start + 500]).order_by()
            events |= set(chunk.values_list("event_id", flat=True))
        cls._refresh_events(events)

    @staticmethod
    def _refresh_events(event_ids):
        from .events import Event

        if event_ids:
            Event.after_change(sorted(event_ids))
