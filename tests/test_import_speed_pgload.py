"""A large import into empty tables on PostgreSQL (``tracker.models.bulk_pg``): their
secondary indexes and the foreign keys between them are dropped for the writes and made
again after them, as they were defined, with the same all-or-nothing refusal of a row
that names nothing; never where a table has rows or a reader holds one. And what the
import keeps to be undone: created ids in runs, old batches' plain lists still read,
the big columns compressed with lz4.

The PostgreSQL tests skip on SQLite (``DATABASE_URL=postgres://…`` runs them)."""

import psycopg
import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from tests.csvfiles import empty_the_record, export_all, import_texts, record_tables
from tests.factories import make_event, make_participation, make_person
from tracker.imports.undo import created_ids, id_runs, revert_batch
from tracker.models import Event, EventLink, ImportBatch, Participation, bulk_pg
from tracker.models.bulk import insert_rows
from tracker.seeds import load_seeds

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="indexes and keys are dropped on PostgreSQL only: run with DATABASE_URL=postgres://…",
)


def foreign_keys():
    """``{(table, name): (oid, definition)}`` of every foreign key of the tracker's
    tables: a new oid means dropped and added again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, oid, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text LIKE 'tracker%%'"
        )
        return {(table, name): (oid, d) for table, name, oid, d in cursor.fetchall()}


def indexes():
    """``{name: (oid, definition)}`` of every index of the tracker's tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.oid, pg_get_indexdef(c.oid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid::regclass::text LIKE 'tracker%%'"
        )
        return {name: (oid, definition) for name, oid, definition in cursor.fetchall()}


def definitions(objects):
    return {key: definition for key, (_oid, definition) in objects.items()}


def made_again(before, after):
    """The keys (or indexes) whose oid changed: dropped and made again."""
    return {key for key in before if before[key][0] != after[key][0]}


def events_with_participants(n):
    for i in range(n):
        event = make_event(title=f"Talks {i}")
        make_participation(event=event, person=make_person(name=f"Ivanna Kowalczyk {i}"))


def other_connection():
    """A second real connection to the test database, in a transaction of its own."""
    database = connection.settings_dict
    return psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"],
        host=database["HOST"],
        port=database["PORT"] or None,
        autocommit=False,
    )


PARTICIPATION_EVENT = "tracker_participation_event_id_dbe17e97_fk_tracker_event_id"


@postgresql_only
def test_keys_and_indexes_of_empty_tables_are_made_again_as_they_were(client, monkeypatch):
    monkeypatch.setattr(bulk_pg, "LARGE_IMPORT", 2)
    events_with_participants(2)
    texts = export_all(client)
    empty_the_record()
    keys, index_list = foreign_keys(), indexes()

    import_texts(texts)

    assert definitions(foreign_keys()) == definitions(keys)
    assert definitions(indexes()) == definitions(index_list)
    again = made_again(keys, foreign_keys())
    assert ("tracker_participation", PARTICIPATION_EVENT) in again
    # Keys to auth_user, and to tables with rows (the conflict stayed), are never dropped.
    assert not [name for _table, name in again if "auth_user" in name or "conflict" in name]
    rebuilt = made_again(index_list, indexes())
    assert {"tracker_event_search_trgm", "tracker_participation_event_id_dbe17e97"} <= rebuilt
    assert not [name for name in rebuilt if name.endswith(("_pkey", "_key", "_uniq"))]
    assert Participation.objects.filter(event__title="Talks 1").count() == 1


@postgresql_only
def test_a_row_naming_nothing_is_refused_and_nothing_is_left(monkeypatch):
    monkeypatch.setattr(bulk_pg, "LARGE_IMPORT", 1)
    keys, dropped = foreign_keys(), []

    def write_a_link_to_nothing():
        with transaction.atomic(), bulk_pg.built_after_load({Event: 1, EventLink: 1}) as made:
            dropped.append(made)
            event = make_event(title="Talks")
            link = EventLink(from_event=event, to_event_id=event.pk + 1000, relation="follows")
            insert_rows(EventLink, [link])

    with pytest.raises(IntegrityError, match="tracker_eventlink_to_event_id"):
        write_a_link_to_nothing()
    assert len(dropped[0].keys) == 2  # the link's two keys to the events were dropped
    assert (Event.objects.count(), EventLink.objects.count()) == (0, 0)
    assert foreign_keys() == keys


@postgresql_only
def test_work_given_for_meanwhile_runs_while_the_server_builds(client, monkeypatch):
    """The statements that make the indexes and keys again are in the pipeline, sent and
    not yet waited for, while the client's work runs; all of them are done after it."""
    monkeypatch.setattr(bulk_pg, "LARGE_IMPORT", 1)
    seen = []

    def meanwhile():
        seen.append(connection.connection.pgconn.pipeline_status)

    with transaction.atomic():
        with bulk_pg.built_after_load({Event: 1}, meanwhile=[meanwhile]) as dropped:
            make_event(title="Talks")
        assert seen == [psycopg.pq.PipelineStatus.ON]
        assert connection.connection.pgconn.pipeline_status == psycopg.pq.PipelineStatus.OFF
        assert {name for name, _ in dropped.indexes} <= set(indexes())
    with transaction.atomic(), bulk_pg.built_after_load({Event: 1}, meanwhile=[meanwhile]):
        make_event(title="More talks")  # the events table has rows: nothing is dropped
    assert seen[1:] == [psycopg.pq.PipelineStatus.OFF]


@postgresql_only
def test_nothing_is_dropped_for_a_table_with_rows_or_a_small_import(monkeypatch):
    make_event(title="Already there")
    keys, index_list = foreign_keys(), indexes()
    monkeypatch.setattr(bulk_pg, "LARGE_IMPORT", 1)
    with transaction.atomic(), bulk_pg.built_after_load({Event: 5}) as dropped:
        assert dropped is None  # the events table has rows (its history too)
    with transaction.atomic(), bulk_pg.built_after_load({Event: 5, EventLink: 5}) as dropped:
        # The links table is empty: its own indexes go, not its keys to the events.
        assert dropped.keys == []
        assert {name for name, _definition in dropped.indexes} >= {
            "tracker_eventlink_from_event_id_2daf5cf7"
        }
    monkeypatch.setattr(bulk_pg, "LARGE_IMPORT", 10)
    with transaction.atomic(), bulk_pg.built_after_load({EventLink: 9}) as dropped:
        assert dropped is None  # too few rows to be worth it
    assert (foreign_keys(), definitions(indexes())) == (keys, definitions(index_list))


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_nothing_is_dropped_outside_a_transaction(monkeypatch):
    """Each drop would be committed on its own: readers would see the tables without
    their indexes and keys."""
    monkeypatch.setattr(bulk_pg, "LARGE_IMPORT", 1)
    index_list = indexes()
    with bulk_pg.built_after_load({Event: 5, EventLink: 5}) as dropped:
        assert dropped is None
    assert indexes() == index_list


@postgresql_only
def test_a_reader_holding_one_table_gets_the_usual_import(client, monkeypatch):
    monkeypatch.setattr(bulk_pg, "LARGE_IMPORT", 2)
    monkeypatch.setattr(bulk_pg, "LOCK_WAIT", "100ms")
    events_with_participants(2)
    texts = export_all(client)
    empty_the_record()
    keys, index_list = foreign_keys(), indexes()
    with other_connection() as reader:
        reader.execute("SELECT count(*) FROM tracker_participation").fetchone()  # holds it
        import_texts(texts)
    assert (foreign_keys(), indexes()) == (keys, index_list)
    assert Participation.objects.count() == 2


# What the import keeps to be undone (both databases).


def test_created_ids_are_kept_in_runs():
    assert id_runs([7, 1, 2, 3, 5, 8]) == [[1, 3], 5, [7, 8]]
    assert id_runs([]) == []
    undo = {"created": {"tracker.event": [[1, 3], 5], "tracker.person": [4, 9]}}
    assert created_ids(undo, "tracker.event") == {1, 2, 3, 5}
    assert created_ids(undo, "tracker.person") == {4, 9}  # a batch kept before runs
    assert created_ids(undo, "tracker.party") == set()


@pytest.mark.parametrize("kept", ["runs", "plain lists, as older batches keep them"])
def test_an_import_is_reverted_from_either_form_of_its_created_ids(client, monkeypatch, kept):
    """On PostgreSQL the import drops and makes again its empty tables' indexes and keys
    (``LARGE_IMPORT`` lowered): the revert finds everything as a usual import leaves it."""
    monkeypatch.setattr(bulk_pg, "LARGE_IMPORT", 1)
    load_seeds(directory=settings.BASE_DIR / "seeds")
    texts = export_all(client)
    empty_the_record()
    before = record_tables()
    batch = import_texts(texts).batch
    assert any(isinstance(entry, list) for entry in batch.undo["created"]["tracker.event"])
    if kept != "runs":
        batch.undo["created"] = {
            label: sorted(created_ids(batch.undo, label)) for label in batch.undo["created"]
        }
        batch.save(update_fields=["undo"])
        batch.refresh_from_db()
    revert_batch(batch=batch, user=None)
    assert record_tables() == before


@postgresql_only
def test_the_batch_keeps_its_plan_and_undo_compressed_with_lz4():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        if not cursor.fetchone()[0]:
            pytest.skip("this PostgreSQL server was built without lz4")
        batch = ImportBatch.objects.create(
            plan="events: 1 created\n" * 5000, undo={"created": {"x": list(range(5000))}}
        )
        cursor.execute(
            "SELECT pg_column_compression(plan), pg_column_compression(undo) "
            "FROM tracker_importbatch WHERE id = %s",
            [batch.pk],
        )
        assert cursor.fetchone() == ("lz4", "lz4")
