"""The shortcuts the import's planning takes to plan ten thousand events quickly give
what Django's own ways give: new rows as ``Model(**values)`` builds them, stored parts in
their related manager's order, the models' rules read without fetching records, the
language and the garbage collector as they were."""

import datetime
import gc

import pytest
from django.db.models.signals import post_init
from django.utils import translation

from tests.csvfiles import import_texts
from tests.factories import (
    carry_out,
    cite,
    link,
    make_event,
    make_outcome,
    make_participation,
    make_party,
    make_person,
)
from tracker.imports import ImportRefused
from tracker.imports.plan import MODELS
from tracker.imports.problems import one_language, translated
from tracker.imports.rules import duplicates, instance_problems
from tracker.imports.stored import Loader, Part, new, relate, stored_rows
from tracker.models import Event, Participation, Person
from tracker.models.bulk import insert_rows

pytestmark = pytest.mark.django_db


def _fields(obj):
    return {name: value for name, value in obj.__dict__.items() if name != "_state"}


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_a_new_row_is_the_row_model_init_builds(model):
    built, planned = model(), new(model)
    assert _fields(planned) == _fields(built)
    assert (planned._state.adding, planned._state.db) == (built._state.adding, built._state.db)
    assert planned._state.fields_cache == {}


def test_a_new_row_takes_its_values_through_the_models_attributes():
    event, person = make_event(), make_person()
    planned = new(Participation, event=event, person=person, role="host")
    built = Participation(event=event, person=person, role="host")
    assert _fields(planned) == _fields(built)
    assert planned.event is event
    assert planned.person is person
    assert planned._state.db == built._state.db


def test_a_model_with_init_receivers_is_built_by_model_init():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(sender)

    post_init.connect(receiver, sender=Participation)
    try:
        new(Participation, role="host")
    finally:
        post_init.disconnect(receiver, sender=Participation)
    assert calls == [Participation]


def test_stored_parts_come_in_the_order_their_related_manager_gives():
    """Ordering terms on the event are left to the database no more: within one event
    they are the same for every row."""
    later = make_event(start_date=datetime.date(2025, 6, 1))
    earlier = make_event(start_date=datetime.date(2025, 5, 1))
    for event in (later, earlier):
        for position in (3, 1, 2):
            make_participation(event=event, position=position)
            make_outcome(event=event, position=position)
        cite(event)
        carry_out(event.outcomes.first(), later)
        link(event, later if event is earlier else earlier)
    owners = list(Event.objects.filter(pk__in=[later.pk, earlier.pk]))
    loader = Loader()
    for part in (
        Part("participations", related=("person", "party", "side")),
        Part("outcomes", parts=(Part("implementations", related=("event",)),)),
        Part("citations", related=("source",)),
        Part("links_out", related=("to_event",)),
    ):
        loader.parts(owners, part)
    for owner in owners:
        fresh = Event.objects.get(pk=owner.pk)
        for name in ("participations", "outcomes", "citations", "links_out"):
            assert [row.pk for row in stored_rows(owner, name)] == [
                row.pk for row in getattr(fresh, name).all()
            ], name
        for outcome, fresh_outcome in zip(
            stored_rows(owner, "outcomes"), fresh.outcomes.all(), strict=True
        ):
            assert [i.pk for i in stored_rows(outcome, "implementations")] == [
                i.pk for i in fresh_outcome.implementations.all()
            ]


def _twins(event):
    """A row set through the descriptor and one set by :func:`relate`, each with its own
    copy of ``event`` (the descriptor writes on the related record too)."""
    return [(Participation(role="host"), Event.objects.get(pk=event.pk)) for _ in "ab"]


def _state(obj, related):
    return (
        _fields(obj),
        obj._state.db,
        {name: "the record" if v is related else v for name, v in obj._state.fields_cache.items()},
        related._state.db,
        dict(related._state.fields_cache),
    )


@pytest.mark.parametrize("stored", [True, False], ids=["stored record", "new record"])
def test_a_foreign_key_is_set_as_its_descriptor_sets_it(stored):
    event = make_event()
    (by_descriptor, one), (by_relate, other) = _twins(event)
    if not stored:
        one.pk = other.pk = None
        one._state.db = other._state.db = None
    by_descriptor.event = one
    relate(by_relate, "event", other)
    assert _state(by_relate, other) == _state(by_descriptor, one)
    by_descriptor.event = None
    relate(by_relate, "event", None)
    assert _state(by_relate, other) == _state(by_descriptor, one)


def test_a_row_takes_the_id_of_a_record_that_was_new_when_set():
    person = Person(name="New Person", slug="new-person", party=make_party())
    row = new(Participation, event=make_event(), person=person, role="host")
    assert row.person_id is None
    person.save()
    insert_rows(Participation, [row])
    assert Participation.objects.get(pk=row.pk).person_id == person.pk


def test_a_foreign_key_refuses_what_its_descriptor_refuses():
    row = Participation(role="host")
    with pytest.raises(ValueError, match='must be a "Event" instance'):
        relate(row, "event", make_person())


class _Apart:
    """A router that keeps every record apart from every other."""

    def allow_relation(self, obj1, obj2, **hints):
        return False


def test_a_foreign_key_asks_the_routers_there_are(settings):
    settings.DATABASE_ROUTERS = [_Apart()]
    with pytest.raises(ValueError, match="router prevents"):
        relate(Participation(role="host"), "event", make_event())


def test_the_rules_read_a_related_record_by_the_id_the_row_holds(
    django_assert_num_queries,
):
    event, person, party = make_event(), make_person(), make_party()
    rows = [
        Participation(event_id=event.pk, person_id=person.pk, role="host"),
        Participation(event_id=event.pk, person_id=person.pk, role="host"),
        Participation(event_id=event.pk, party_id=party.pk, role="host"),
        Participation(event_id=event.pk, role="host"),
    ]
    with django_assert_num_queries(0):
        found = duplicates(rows)
        problems = [instance_problems(row) for row in rows]
    assert [(rows.index(obj), message) for obj, message in found] == [
        (1, "This person is already listed in this role at this event.")
    ]
    assert problems == [[], [], [], [(None, "Name a person, a party, or both.")]]


def test_the_rules_tell_new_records_apart_by_identity():
    event = make_event()
    one, other = make_person(), make_person()
    one.pk = other.pk = None
    rows = [new(Participation, event=event, person=p, role="host") for p in (one, other, one)]
    assert [rows.index(obj) for obj, _message in duplicates(rows)] == [2]


SMALL = {
    "events": "slug,process,process_title,conflict,conflict_name,kind,title,start_date,status\r\n"
    "e1,track,Track,war,War,round_of_talks,Talks,2025-01-01,published\r\n",
}


@pytest.mark.parametrize("enabled", [True, False])
def test_an_import_leaves_the_garbage_collector_as_it_found_it(enabled):
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        import_texts(SMALL, dry_run=True)
        assert gc.isenabled() is enabled
        with pytest.raises(ImportRefused):
            import_texts({"events": SMALL["events"].replace("2025-01-01", "2025-13-01")})
        assert gc.isenabled() is enabled
        import_texts(SMALL)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_phrases_keep_the_language_active_when_the_plan_began():
    with translation.override("uk"):
        with one_language(), translation.override("en"):  # nothing in an import does this
            assert translated("line %(line)s") == "рядок %(line)s"
        assert translated("line %(line)s") == "рядок %(line)s"
    assert translated("line %(line)s") == "line %(line)s"


def test_a_plan_names_rows_in_the_language_it_is_made_in():
    event = make_event()
    participants = f"event,position,person,person_name,role\r\n{event.slug},1,ana,Ana,host\r\n"
    with translation.override("uk"):
        text = import_texts({"participations": participants}, dry_run=True).plan.text()
    assert f"Ana (host), подія {event.slug}" in text
