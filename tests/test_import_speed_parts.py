"""The shortcuts h-parts took in planning an event's parts give what the long way gave:
a new event's rows planned without matching, each model's rules compiled once per model,
labels and descriptions read from the records Django caches."""

import pytest
from django.db.models import CheckConstraint, Q

from tests.csvfiles import import_texts
from tests.factories import make_event, make_participation, make_party, make_person
from tracker.imports import ImportRefused, listing
from tracker.imports.parts import participation_label
from tracker.imports.plan import CREATED, Change, Plan
from tracker.imports.rules import duplicates, holds, instance_problems
from tracker.imports.stored import new
from tracker.models import Event, Participation, Person

pytestmark = pytest.mark.django_db

EVENTS = (
    "slug,process,process_title,conflict,conflict_name,kind,title,start_date,status\r\n"
    "e1,track,Track,war,War,round_of_talks,Talks,2025-01-01,published\r\n"
)
HEADER = "event,position,person,person_name,party,party_name,role\r\n"


def _refused(participations):
    with pytest.raises(ImportRefused) as refused:
        import_texts({"events": EVENTS, "participations": HEADER + participations})
    return listing(refused.value.problems)


def test_a_new_events_participations_are_created_by_name_with_their_lines():
    report = import_texts(
        {
            "events": EVENTS,
            "participations": HEADER
            + "e1,2,,,ua,Ukraine,host\r\n"
            + "e1,1,umerov,Rustem Umerov,ua,Ukraine,head_of_delegation\r\n",
        }
    )
    assert report.counts["participations"] == {"created": 2}
    described = [line for line in report.text().splitlines() if " at e1" in line]
    assert sorted(described) == [
        "  created Rustem Umerov – Ukraine (head_of_delegation) at e1 (line 3)",
        "  created Ukraine (host) at e1 (line 2)",
    ]
    event = Event.objects.get(slug="e1")
    assert sorted(p.role for p in event.participations.all()) == ["head_of_delegation", "host"]


def test_a_new_events_repeated_participation_is_refused_on_its_line():
    problems = _refused(
        "e1,1,umerov,Rustem Umerov,,,delegate\r\ne1,2,umerov,Rustem Umerov,,,delegate\r\n"
    )
    assert problems == [
        "participations.csv, line 3: This person is already listed in this role at this event."
    ]


def test_a_new_events_participation_naming_nobody_is_refused():
    assert _refused("e1,1,,,,,host\r\n") == [
        "participations.csv, line 2: Name a person, a party, or both."
    ]


def test_nothing_is_written_when_a_new_events_parts_are_refused():
    _refused("e1,1,,,,,host\r\n")
    assert not Event.objects.exists()
    assert not Person.objects.exists()


def test_a_constraint_added_to_a_model_is_checked_from_then_on(monkeypatch):
    """The rules are compiled once per model, and compiled again when its constraints
    change (a test's, or a model reloaded)."""
    row = new(Participation, role="host", title="")
    assert instance_problems(row) == [(None, "Name a person, a party, or both.")]
    extra = CheckConstraint(
        condition=~Q(title=""), name="participation_has_title", violation_error_message="Title!"
    )
    monkeypatch.setattr(
        Participation._meta, "constraints", [*Participation._meta.constraints, extra]
    )
    assert instance_problems(row) == [
        (None, "Name a person, a party, or both."),
        (None, "Title!"),
    ]


def test_a_one_lookup_condition_answers_as_its_lookup_and_null_stays_unknown():
    event = new(Event, title="Talks", country="UA", end_date=None)
    assert holds(Q(title="Talks"), event) is True
    assert holds(Q(title="Other"), event) is False
    assert holds(Q(country="UA"), event) is True  # a field that keeps its value its own way
    assert holds(Q(end_date__gte="2025-01-01"), event) is None
    assert holds(~Q(title="Talks"), event) is False


def test_duplicates_need_two_rows_and_read_text_fields_as_they_are():
    event, person = make_event(), make_person()
    one = new(Participation, event=event, person=person, role="host")
    assert duplicates([one]) == []
    two = new(Participation, event=event, person=person, role="host")
    other_role = new(Participation, event=event, person=person, role="delegate")
    assert [(obj, message) for obj, message in duplicates([one, other_role, two])] == [
        (two, "This person is already listed in this role at this event.")
    ]


def test_a_label_reads_the_records_a_stored_row_has_not_loaded_yet():
    """A stored participation whose person and party were never read: the label asks
    the database for them, as ``str()`` of the records would."""
    participation = make_participation(
        person=make_person(name="Rustem Umerov"), party=make_party(name="Ukraine"), role="host"
    )
    stored = Participation.objects.get(pk=participation.pk)
    assert participation_label(stored) == (
        f"Rustem Umerov – Ukraine (host) at {participation.event.slug}"
    )


def test_a_step_without_changes_is_described_as_before():
    plan = Plan()
    event = make_event(title="Talks", slug="talks")
    created = plan.add(CREATED, event, "Talks [talks]", where="line 2")
    bare = plan.add(CREATED, event, "Talks [talks]")
    changed = plan.add("changed", event, "Talks [talks]", changes=[Change("title", "A", "B")])
    assert plan.describe(created) == "created Talks [talks] (line 2)"
    assert plan.describe(bare) == "created Talks [talks]"
    assert plan.describe(changed) == "changed Talks [talks]: title: 'A' → 'B'"
