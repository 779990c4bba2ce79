"""The bulk writer's shortcuts keep what a save keeps: the values it stores, the records
cached on new rows, the undo's versions, the many-to-many rows, SQLite's cache size."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.csvfiles import export_all, import_texts
from tests.factories import make_event, make_party, make_person, make_process, make_user
from tracker.imports.plan import MODELS
from tracker.models import Event, Outcome, Participation
from tracker.models.base import Record
from tracker.models.bulk import create_with_history, insert_rows, pages_in_memory
from tracker.seeds import load_seeds

pytestmark = pytest.mark.django_db

ISTANBUL = "2025-05-16-istanbul-direct-talks"


def _stored(model, pk):
    """A row as the database holds it, column by column."""
    columns = [f.column for f in model._meta.concrete_fields if f.column != "id"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {model._meta.db_table} WHERE id = %s", [pk]
        )
        return dict(zip(columns, cursor.fetchone(), strict=True))


def _event_fields(**overrides):
    return {
        "process": make_process(),
        "kind": Event.Kind.SUMMIT,
        "start_date": datetime.date(2024, 3, 1),
        "date_precision": Event.Precision.MONTH,
        "country": "TR",
        "published_at": datetime.datetime(2024, 3, 2, 9, 30, tzinfo=datetime.UTC),
        "status": Event.Status.PUBLISHED,
        **overrides,
    }


def test_inserted_rows_hold_what_saved_ones_hold():
    """Empty values, countries, dates and timestamps prepared once per value are stored as
    a save stores them, row after row (the second row of each pair reuses the first's)."""
    saved = [
        Event.objects.create(title=f"Saved {n}", slug=f"saved-{n}", **_event_fields())
        for n in range(2)
    ]
    inserted = [
        Event(title=f"Saved {n}", slug=f"inserted-{n}", **_event_fields()) for n in range(2)
    ]
    for event in inserted:
        event.prepare_write()
    insert_rows(Event, inserted)
    for one, other in zip(saved, inserted, strict=True):
        expected, got = _stored(Event, one.pk), _stored(Event, other.pk)
        for column in ("slug", "created_at", "updated_at", "process_id"):
            expected.pop(column), got.pop(column)
        assert got == expected


def test_a_new_related_record_gives_its_id_and_stays_cached_on_the_row():
    person = make_person()
    event = Event(title="New", slug="new", **_event_fields())
    row = Participation(event=event, person=person, role=Participation.Role.HOST)
    event.prepare_write()
    insert_rows(Event, [event])
    insert_rows(Participation, [row])
    assert row.event_id == event.pk
    with CaptureQueriesContext(connection) as queries:
        assert row.event is event
    assert len(queries) == 0
    assert Participation.objects.get(pk=row.pk).event_id == event.pk


def test_a_row_naming_an_unsaved_record_is_refused():
    row = Participation(event=Event(title="Never saved"), person=make_person(), role="host")
    with pytest.raises(ValueError, match="unsaved related object 'event'"):
        insert_rows(Participation, [row])


def test_new_rows_many_to_many_rows_are_written_without_reading_the_table_first():
    party, other = make_party(), make_party()
    event = make_event()
    outcomes = [
        Outcome(event=event, kind=Outcome.Kind.AGREEMENT, description=f"Deal {n}") for n in range(3)
    ]
    through = Outcome.agreed_by.through._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        create_with_history(
            Outcome,
            outcomes,
            by=None,
            reason="test",
            many_to_many={"agreed_by": [(o, [party.pk, other.pk]) for o in outcomes]},
        )
    stored_pairs_read = [q["sql"] for q in queries if f'"{through}"."outcome_id" IN' in q["sql"]]
    assert stored_pairs_read == []
    for outcome in outcomes:
        assert set(outcome.agreed_by.values_list("pk", flat=True)) == {party.pk, other.pk}
        assert outcome.history.first().agreed_by.count() == 2


def test_the_undo_holds_the_versions_the_records_were_left_at(client):
    """Created, changed and through-their-parts-changed records alike: the versions the
    undo keeps (taken from the records written, not read back) are those stored."""
    load_seeds(directory=settings.BASE_DIR / "seeds")
    texts = export_all(client)
    header, body = texts["events"].split("\r\n", 1)
    texts["events"] = f"{header}\r\n{body.replace('Istanbul', 'Istanbul (retold)', 1)}"
    texts["participations"] = texts["participations"].replace(",delegate,", ",host,", 1)
    batch = import_texts(texts, user=make_user()).batch
    versions = batch.undo["versions"]
    assert versions
    for model in MODELS:
        if not issubclass(model, Record) or model._meta.label_lower not in versions:
            continue
        kept = versions[model._meta.label_lower]
        stored = dict(
            model.objects.filter(pk__in=[int(k) for k in kept]).values_list("pk", "version")
        )
        assert {int(k): v for k, v in kept.items()} == stored
    assert any(v > 1 for v in versions["tracker.event"].values())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's page cache only")
def test_the_cache_grows_while_writing_and_shrinks_after():
    def cache_size():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return cursor.fetchone()[0]

    before = cache_size()
    with pages_in_memory():
        assert cache_size() < -2000
        make_party()
    assert cache_size() == before
