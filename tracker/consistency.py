"""Consistency checks on the record: points a careful reader would query, as warnings.

The checks never refuse a write. Each warning names the event and what looks wrong, so
that whoever loaded or edited it can look again. They read the database through the
models, so the seed loader runs them after loading and the admin can run them on the
events an editor saved. Two rules:

- an outcome names a party as agreeing or rejecting while that party did not take part
  in the event (as the party, as the side, or through one of its people: the same
  condition as a party's public page, :meth:`ParticipationQuerySet.involving_q`);
- a prisoner exchange, a signing or a round of talks names fewer than two sides.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, Min, OuterRef, QuerySet
from django.utils.text import Truncator
from django.utils.translation import gettext

from .models import Event, Outcome, Participation

#: Kinds of event that by their nature have at least two sides at the table.
KINDS_WITH_TWO_SIDES = (
    Event.Kind.PRISONER_EXCHANGE,
    Event.Kind.SIGNING,
    Event.Kind.ROUND_OF_TALKS,
)


@dataclass(frozen=True)
class Finding:
    """One warning about one event."""

    event: str  # the event's slug
    message: str

    def __str__(self):
        return f"event {self.event}: {self.message}"


def check_events(events: QuerySet[Event]) -> list[Finding]:
    """The warnings for these events, in chronological order, in three queries."""
    found = [*_parties_named_without_taking_part(events), *_fewer_than_two_sides(events)]
    found.sort(key=lambda item: item[0])
    return [finding for _key, finding in found]


def _parties_named_without_taking_part(events):
    """Outcomes naming a party as agreeing or rejecting that is not among the event's
    participants or sides."""
    messages = {
        "agreed_by": gettext(
            "outcome %(position)s (“%(outcome)s”) names %(party)s as agreeing, but %(party)s "
            "is not among the event's participants or sides"
        ),
        "rejected_by": gettext(
            "outcome %(position)s (“%(outcome)s”) names %(party)s as rejecting, but "
            "%(party)s is not among the event's participants or sides"
        ),
    }
    took_part = Participation.objects.filter(
        Participation.objects.involving_q(OuterRef("party")), event=OuterRef("outcome__event")
    )
    for relation, message in messages.items():
        through = getattr(Outcome, relation).through
        rows = (
            through.objects.filter(outcome__event__in=events.values("pk"))
            .filter(~Exists(took_part))
            .values_list(
                "outcome__event__start_date",
                "outcome__event__slug",
                "outcome__position",
                "outcome__pk",
                "outcome__description",
                "party__name",
            )
        )
        for start, slug, position, pk, description, party in rows:
            text = message % {
                "position": position,
                "outcome": Truncator(description).chars(60),
                "party": party,
            }
            yield (start, slug, 0, position, pk, party), Finding(slug, text)


def _fewer_than_two_sides(events):
    """Exchanges, signings and rounds of talks with no side or only one."""
    rows = (
        Event.objects.filter(pk__in=events.values("pk"), kind__in=KINDS_WITH_TWO_SIDES)
        .annotate(
            sides=Count("participations__side", distinct=True),
            one_side=Min("participations__side__name"),
        )
        .filter(sides__lt=2)
        .values_list("start_date", "slug", "kind", "sides", "one_side")
    )
    for start, slug, kind, sides, one_side in rows:
        params = {"kind": Event.Kind(kind).label, "side": one_side}
        if sides:
            text = gettext("a %(kind)s names only one side (%(side)s); it needs at least two")
        else:
            text = gettext("a %(kind)s names no side; it needs at least two")
        yield (start, slug, 1, 0, 0, ""), Finding(slug, text % params)
