"""The consistency check on constructed records: what it flags, what it lets pass."""

import datetime

import pytest

from tests.factories import make_event, make_outcome, make_participation, make_party, make_person
from tracker.consistency import check_events
from tracker.models import Event, Participation

pytestmark = pytest.mark.django_db

Role = Participation.Role


def warnings_for(*events):
    return [str(f) for f in check_events(Event.objects.filter(pk__in=[e.pk for e in events]))]


def named_parties():
    return {
        "russia": make_party(name="Russia", slug="russia"),
        "ukraine": make_party(name="Ukraine", slug="ukraine"),
        "turkiye": make_party(name="Türkiye", slug="turkiye"),
        "italy": make_party(name="Italy", slug="italy"),
    }


def two_sided_talks(parties, slug="talks", **overrides):
    """A round of talks where each party takes part in one way: Russia as party and side,
    Ukraine only as the side a person represents, Türkiye only as the (neutral) host, Italy
    only as the own party of an adviser."""
    talks = make_event(slug=slug, **overrides)
    russia, ukraine, turkey, italy = (parties[k] for k in ("russia", "ukraine", "turkiye", "italy"))
    make_participation(event=talks, party=russia, side=russia, role=Role.HEAD_OF_DELEGATION)
    make_participation(
        event=talks,
        person=make_person(),
        side=ukraine,
        role=Role.HEAD_OF_DELEGATION,
    )
    make_participation(event=talks, party=turkey, role=Role.HOST)
    make_participation(event=talks, person=make_person(party=italy), role=Role.ADVISER)
    return talks


def test_parties_that_took_part_in_any_way_may_agree_or_reject():
    parties = named_parties()
    talks = two_sided_talks(parties)
    agreed = make_outcome(event=talks)
    agreed.agreed_by.set(parties.values())  # as the party, the side, the host, a person's party
    rejected = make_outcome(event=talks, status="rejected")
    rejected.rejected_by.set([parties["russia"], parties["italy"]])

    assert warnings_for(talks) == []


def test_an_outcome_naming_a_party_that_did_not_take_part_is_flagged():
    parties = named_parties()
    talks = two_sided_talks(parties)
    france = make_party(name="France", slug="france")
    poland = make_party(name="Poland", slug="poland")
    agreed = make_outcome(event=talks, position=1, description="Joint communiqué.")
    agreed.agreed_by.set([parties["ukraine"], france])
    rejected = make_outcome(
        event=talks, position=2, status="rejected", description="A ceasefire of 30 days."
    )
    rejected.rejected_by.set([poland])

    assert warnings_for(talks) == [
        "event talks: outcome 1 (“Joint communiqué.”) names France as agreeing, but France "
        "is not among the event's participants or sides",
        "event talks: outcome 2 (“A ceasefire of 30 days.”) names Poland as rejecting, but "
        "Poland is not among the event's participants or sides",
    ]


def test_another_events_participants_do_not_count():
    parties = named_parties()
    talks = two_sided_talks(parties, slug="first")
    later = make_event(slug="later", kind=Event.Kind.SUMMIT)
    belarus = make_party(name="Belarus")
    make_participation(event=later, party=belarus, side=belarus, role=Role.PARTICIPANT)
    outcome = make_outcome(event=later, position=1, description="Agreed.")
    outcome.agreed_by.set([parties["ukraine"]])

    assert warnings_for(talks, later) == [
        "event later: outcome 1 (“Agreed.”) names Ukraine as agreeing, but Ukraine is not "
        "among the event's participants or sides"
    ]


@pytest.mark.parametrize("kind", Event.Kind.values)
def test_exchanges_signings_and_rounds_of_talks_need_two_sides(kind):
    needs_two = kind in {"prisoner_exchange", "signing", "round_of_talks"}
    russia = make_party(name="Russia", slug="russia")
    ukraine = make_party(name="Ukraine", slug="ukraine")
    nobody = make_event(slug="nobody", kind=kind, start_date=datetime.date(2025, 1, 1))
    make_participation(event=nobody, party=make_party(name="UAE"), role=Role.MEDIATOR)
    one = make_event(slug="one", kind=kind, start_date=datetime.date(2025, 1, 2))
    make_participation(event=one, party=ukraine, side=ukraine, role=Role.PARTICIPANT)
    make_participation(event=one, person=make_person(), side=ukraine, role=Role.PARTICIPANT)
    two = make_event(slug="two", kind=kind, start_date=datetime.date(2025, 1, 3))
    make_participation(event=two, party=ukraine, side=ukraine, role=Role.PARTICIPANT)
    make_participation(event=two, party=russia, side=russia, role=Role.PARTICIPANT)

    label = Event.Kind(kind).label
    expected = [
        f"event nobody: a {label} names no side; it needs at least two",
        f"event one: a {label} names only one side (Ukraine); it needs at least two",
    ]
    assert warnings_for(nobody, one, two) == (expected if needs_two else [])


def test_only_the_events_asked_about_are_checked():
    asked = make_event(slug="asked", kind=Event.Kind.SIGNING)
    make_event(slug="not-asked", kind=Event.Kind.SIGNING)

    assert warnings_for(asked) == ["event asked: a signing names no side; it needs at least two"]


def test_the_check_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    for n in range(20):
        parties = {key: make_party() for key in ("russia", "ukraine", "turkiye", "italy")}
        talks = two_sided_talks(parties, slug=f"talks-{n}", kind=Event.Kind.SIGNING)
        outcome = make_outcome(event=talks)
        outcome.agreed_by.set([*parties.values(), make_party()])
        outcome.rejected_by.set([make_party()])
        make_event(slug=f"exchange-{n}", kind=Event.Kind.PRISONER_EXCHANGE)

    with django_assert_max_num_queries(3):
        found = check_events(Event.objects.all())

    assert len(found) == 20 * 3
