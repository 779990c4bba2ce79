from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, F, Func, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from .base import Record, RecordQuerySet

wikidata_id_validator = RegexValidator(
    r"^Q[1-9][0-9]*$", _("Enter a Wikidata item id such as Q212 (a Q followed by digits).")
)


def _published_events():
    from .events import Event

    return Event.objects.published()


class PartyQuerySet(RecordQuerySet):
    def public(self):
        """Parties that took part in a published event (as the party, the side, or through
        their people) or that agreed or rejected one of its outcomes."""
        return self.public_in(_published_events())

    def public_in(self, events):
        """Parties that took part in ``events`` (published ones), as :meth:`public` says."""
        from .outcomes import Outcome
        from .participations import Participation

        shown = Participation.objects.filter(event__in=events)
        outcomes = Outcome.objects.filter(event__in=events)
        return self.filter(
            Q(pk__in=shown.values("party_id"))
            | Q(pk__in=shown.values("side_id"))
            | Q(pk__in=shown.values("person__party_id"))
            | Q(pk__in=outcomes.values("agreed_by"))
            | Q(pk__in=outcomes.values("rejected_by"))
        )

    def for_index(self):
        """Each party with the number of published events it took part in (as the
        party, the side, or through its people)."""
        from .participations import Participation

        party = OuterRef(OuterRef("pk"))
        took_part = Participation.objects.filter(event=OuterRef("pk")).filter(
            Q(party=party) | Q(side=party) | Q(person__party=party)
        )
        return self.annotate(event_count=_count(_published_events().filter(Exists(took_part))))


def _count(events):
    """The number of ``events`` as a subquery, one number per outer row."""
    return Subquery(events.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1])


class Party(Record):
    """A state, international organisation, armed group or other actor."""

    class Kind(models.TextChoices):
        STATE = "state", _("state")
        ORGANISATION = "organisation", _("international organisation")
        COALITION = "coalition", _("coalition or group of states")
        ARMED_GROUP = "armed_group", _("armed group")
        OTHER = "other", _("other actor")

    name = models.CharField(
        _("name"), max_length=200, unique=True, help_text=_("As commonly written in English.")
    )
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.STATE)
    country = CountryField(
        _("country"),
        blank=True,
        help_text=_(
            "ISO 3166 country. Required for a state; for any other actor, the country it "
            "is based in, if it has one."
        ),
    )
    wikidata_id = models.CharField(
        _("Wikidata id"), max_length=20, blank=True, validators=[wikidata_id_validator]
    )

    history = HistoricalRecords()
    objects = PartyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="state") | ~Q(country=""),
                name="party_state_has_country",
                violation_error_message=_("A state needs its ISO country code."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.kind == self.Kind.STATE and not self.country:
            raise ValidationError({"country": _("A state needs its ISO country code.")})

    def get_absolute_url(self):
        return reverse("party-detail", kwargs={"slug": self.slug})

    @classmethod
    def after_change(cls, ids, *, created=False):
        """A renamed party's events are found by the new name, in the same transaction
        (a new one is named by no event yet)."""
        if created:
            return
        from .events import Event
        from .participations import Participation

        events = Participation.objects.filter(party_id__in=ids).values("event_id")
        Event.objects.filter(pk__in=events).refresh_derived()


class PersonQuerySet(RecordQuerySet):
    def public(self):
        """People who took part in a published event."""
        from .participations import Participation

        shown = Participation.objects.filter(event__in=_published_events())
        return self.filter(pk__in=shown.values("person_id"))

    def for_index(self):
        """Each person with their party and the number of published events they took
        part in."""
        from .participations import Participation

        took_part = Participation.objects.filter(
            event=OuterRef("pk"), person=OuterRef(OuterRef("pk"))
        )
        return self.select_related("party").annotate(
            event_count=_count(_published_events().filter(Exists(took_part)))
        )


class Person(Record):
    """Someone who took part in events. Their title at each event lives on the participation."""

    name = models.CharField(
        _("name"), max_length=200, help_text=_("Exactly as written in English-language sources.")
    )
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    party = models.ForeignKey(
        Party,
        verbose_name=_("party"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        help_text=_("The state or organisation the person belongs to."),
    )
    wikidata_id = models.CharField(
        _("Wikidata id"), max_length=20, blank=True, validators=[wikidata_id_validator]
    )

    history = HistoricalRecords()
    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("person-detail", kwargs={"slug": self.slug})

    @classmethod
    def after_change(cls, ids, *, created=False):
        """A renamed person's events are found by the new name, in the same transaction
        (a new one is named by no event yet)."""
        if created:
            return
        from .events import Event
        from .participations import Participation

        events = Participation.objects.filter(person_id__in=ids).values("event_id")
        Event.objects.filter(pk__in=events).refresh_derived()
