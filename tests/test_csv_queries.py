"""The export reads each table in a fixed number of set-based queries, whatever the size
of the record: one for the table's rows and one per part its columns read, merged in
export order. Fetches come in small chunks here so that many of them happen."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.csvfiles import download, export_all, rows
from tests.factories import (
    carry_out,
    cite,
    link,
    make_event,
    make_outcome,
    make_participation,
    make_party,
)
from tracker import csv_export
from tracker.cells import format_value, formatter
from tracker.columns import PARTICIPANTS, TABLES
from tracker.models import Event, Participation

pytestmark = pytest.mark.django_db

#: The export's queries for each table: its rows, then one per part (the COUNT that
#: decides whether a long-export slot is needed comes on top).
QUERIES = {
    "events": 1 + 3,  # participants, outcomes, sources
    "participations": 1,
    "outcomes": 1 + 3,  # agreed by, rejected by, carried out (both extents)
    "links": 1,
}


def grow(n, *, start=0):
    """``n`` more events, each with every kind of part and a link to the one before."""
    party = make_party()
    previous = None
    for day in range(start, start + n):
        event = make_event(start_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=day))
        make_participation(event=event)
        make_participation(event=event, party=party, role="host")
        outcome = make_outcome(event=event)
        outcome.agreed_by.add(party)
        outcome.rejected_by.add(party)
        cite(event)
        if previous is not None:
            link(event, previous)
            carry_out(outcome, previous)
        previous = event


def test_every_part_a_table_reads_is_counted():
    assert {name: 1 + len(table.parts) for name, table in TABLES.items()} == QUERIES


@pytest.mark.parametrize("table", list(TABLES))
def test_a_tables_queries_are_the_same_for_two_and_for_many_events(
    client, monkeypatch, django_assert_max_num_queries, table
):
    monkeypatch.setitem(csv_export.CHUNK_SIZES, connection.vendor, 3)
    grow(2)
    with CaptureQueriesContext(connection) as small:
        few = rows(download(client, table))
    assert len(small) == QUERIES[table] + 1
    grow(40, start=10)
    with django_assert_max_num_queries(len(small)):
        many = rows(download(client, table))
    assert len(many) > 10 * len(few)


def test_small_chunks_write_the_same_files(client, monkeypatch):
    grow(12)
    whole = export_all(client)
    monkeypatch.setitem(csv_export.CHUNK_SIZES, connection.vendor, 2)
    assert export_all(client) == whole
    assert rows(whole["outcomes"])[1]["carried_out_by"] == rows(whole["events"])[0]["slug"]


def test_no_part_names_a_draft_and_the_filter_decides_which_events(client):
    grow(6)
    draft = Event.objects.order_by("start_date")[2]
    Event.objects.filter(pk=draft.pk).update(status=Event.Status.DRAFT)
    texts = export_all(client)
    for text in texts.values():
        assert draft.slug not in text
    assert len(rows(texts["events"])) == 5
    later = {"date_after": "2020-01-04"}
    assert [r["slug"] for r in rows(download(client, "events", **later))] == [
        e.slug for e in Event.objects.published().filter(start_date__gte="2020-01-04")
    ]
    assert {r["from_event"] for r in rows(download(client, "links", **later))} <= {
        e.slug for e in Event.objects.published().filter(start_date__gte="2020-01-04")
    }


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("string", [None, "", "plain", "=1+1", "'=1", "''@x", "'plain", "-", "\t", 7, "Ж"]),
        ("integer", [None, "", 0, 12, 10**17]),
        ("date", [None, "", datetime.date(1000, 1, 1), datetime.date(2025, 5, 16)]),
        ("time", [None, datetime.time(10, 0), datetime.time(23, 59, 59, 5)]),
        ("duration", [None, datetime.timedelta(hours=1, minutes=55), datetime.timedelta(0)]),
    ],
)
def test_each_kinds_cell_formatter_writes_what_format_value_writes(kind, values):
    text = formatter(kind)
    assert [text(v) for v in values] == [format_value(kind, v) for v in values]


def test_a_part_merged_in_another_order_than_its_tables_is_an_error_not_a_loss():
    grow(3)
    events = list(Event.objects.order_by("start_date").values_list("pk", flat=True))
    backwards = (
        Participation.objects.filter(event__in=events)
        .order_by("-event__start_date", "position")
        .values_list("event_id", "role")
    )
    merged = csv_export.Merged(PARTICIPANTS, backwards)
    assert [merged.rows_of(pk) for pk in events][:2] == [[], []]
    with pytest.raises(RuntimeError, match="rows of .* were not merged"):
        merged.check_finished()
