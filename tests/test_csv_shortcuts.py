"""The export's shortcuts write exactly what the column map says, on every database: the
row's text cells written at once (``text_cells``), a cell written straight from its part's
rows (``Reads.text``), a source line joined once (``source_line_of``); and on PostgreSQL
the export's server-side cursors are planned for all their rows."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from tests.csvfiles import download, rows
from tests.factories import cite, make_event, make_source
from tracker.cells import (
    SOURCE_PARTS,
    format_value,
    formatter,
    source_line,
    source_line_of,
    text_cells,
)
from tracker.columns import EVENTS, TABLES, Sources
from tracker.settings import postgresql_options

# Values a text field's cell meets: empty ones, formula characters, apostrophes that
# neutralise() must tell apart, other scripts, and values that are not text at all.
EDGE_TEXTS = [None, "", "plain", "=1+1", "'=1", "''@x", "'plain", "-", "\t", "Ж", "a, b", 7]


@pytest.mark.parametrize(
    "values",
    [
        ("plain", "text", "only"),
        tuple(EDGE_TEXTS),
        (None, "plain", None),
        ("plain", "=1+1"),
        ("plain", 7),
        ("plain", b"bytes", ["a", "list"]),
        ("single",),
    ],
)
def test_a_rows_text_cells_are_what_the_string_formatter_writes_one_by_one(values):
    row = (0, *values)
    cells = text_cells(list(range(1, len(row))))
    assert list(cells(row)) == [formatter("string")(value) for value in values]


@given(
    st.lists(
        st.one_of(st.none(), st.sampled_from(EDGE_TEXTS), st.text(max_size=6), st.integers()),
        min_size=1,
        max_size=8,
    )
)
def test_any_mix_of_text_cells_is_written_as_one_by_one(values):
    cells = text_cells(list(range(len(values))))
    assert list(cells(tuple(values))) == [format_value("string", value) for value in values]


def reference_source_line(source):
    """The line's definition, written plainly: every part escaped, dates in ISO 8601,
    empty parts at the end left out."""
    parts = [
        format_value("date", source[p]) if p in ("published", "accessed") else source[p]
        for p in SOURCE_PARTS
    ]
    while parts and not parts[-1]:
        parts.pop()
    escaped = [p.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") for p in parts]
    return " | ".join(escaped)


PART_TEXT = st.text(alphabet=st.sampled_from("ab |\\\n\r'=Ж"), max_size=5)
DATES = st.one_of(st.none(), st.dates(datetime.date(1000, 1, 1), datetime.date(2999, 12, 31)))
SOURCES = st.fixed_dictionaries(
    {p: DATES if p in ("published", "accessed") else PART_TEXT for p in SOURCE_PARTS}
)


@given(SOURCES)
def test_a_source_line_joined_once_is_the_line_escaped_part_by_part(source):
    expected = reference_source_line(source)
    assert source_line(source) == expected
    assert source_line_of(*[source[p] for p in SOURCE_PARTS]) == expected


def text_shortcuts():
    return [
        (table.name, column)
        for table in TABLES.values()
        for column in table.columns
        if column.reads.text is not None
    ]


def test_the_sources_cell_is_written_straight_from_its_rows():
    assert ("events", EVENTS.column("sources")) in text_shortcuts()


@pytest.mark.parametrize(("table", "column"), text_shortcuts())
@given(parts=st.lists(SOURCES, max_size=4))
def test_a_cell_written_from_its_rows_is_what_to_text_writes_for_its_value(table, column, parts):
    """Every column with a ``Reads.text`` (the sources cell today): its text, from the
    part's rows as the export's query gives them, is ``to_text`` of ``make``'s value."""
    reads = column.reads
    part_rows = [tuple(source[p] for p in SOURCE_PARTS) for source in parts]
    assert len(reads.part.fields) == len(SOURCE_PARTS)
    context = {"base_url": "https://testserver", "position": 1}
    assert reads.text((), part_rows, context) == column.to_text(reads.make((), part_rows, context))


@pytest.mark.django_db
def test_the_exported_sources_cell_is_the_one_the_column_map_writes(client):
    """Through the real stack: sources with every part that escapes, empty parts at the
    end and in the middle, and no dates at all, each exported as the codec writes it."""
    event = make_event(start_date=datetime.date(2025, 5, 16))
    cite(
        event,
        make_source(
            url="https://example.org/a",
            publisher="Desk | Wire",
            title="Back\\slash\nand two lines",
            published_on=None,
            accessed_on=datetime.date(2025, 5, 17),
        ),
        supports="the date | the place",
    )
    cite(event, make_source(url="", publisher="Only a publisher", title="Untitled"))
    cite(
        event,
        make_source(
            url="https://example.org/b",
            publisher="Ж",
            title="=formula",
            published_on=datetime.date(1000, 1, 1),
        ),
    )
    exported = rows(download(client, "events"))[0]["sources"]
    citations = event.citations.select_related("source").order_by("position", "pk")
    assert exported == "\n".join(reference_source_line(Sources.of(c)) for c in citations)
    assert exported == Sources().to_text(Sources().get(event, {}))
    assert "Desk \\| Wire | Back\\\\slash and two lines |  | 2025-05-17" in exported


def test_options_given_for_a_postgresql_connection_are_kept():
    assert postgresql_options({}) == {"options": "-c cursor_tuple_fraction=1"}
    assert postgresql_options({"options": "-c statement_timeout=5000", "sslmode": "require"}) == {
        "options": "-c statement_timeout=5000 -c cursor_tuple_fraction=1",
        "sslmode": "require",
    }


@pytest.mark.django_db
def test_on_postgresql_server_side_cursors_are_planned_for_all_their_rows():
    if connection.vendor != "postgresql":
        pytest.skip("cursor_tuple_fraction is a PostgreSQL setting")
    assert "cursor_tuple_fraction=1" in settings.DATABASES["default"]["OPTIONS"]["options"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW cursor_tuple_fraction")
        assert cursor.fetchone()[0] == "1"


@pytest.mark.django_db
@pytest.mark.parametrize("table", list(TABLES.values()), ids=list(TABLES))
def test_a_row_written_at_once_is_each_columns_cell_in_column_order(table):
    """``row_cells`` (the text cells written together, the others one by one, put back in
    column order) against each column's own ``Column.cell``, row by row, on rows with
    formula characters, apostrophes, empty related records and every kind of part."""
    from tests.factories import make_outcome, make_participation, make_party, make_person
    from tests.test_csv_queries import grow
    from tracker import csv_export
    from tracker.models import Event

    grow(3)
    first = Event.objects.order_by("start_date").first()
    Event.objects.filter(pk=first.pk).update(title="=1+1", venue="'=x", region="-")
    make_participation(event=first, person=make_person(name="@someone"), party=None)
    make_participation(event=first, party=make_party(name="'Quoted"), role="host")
    make_outcome(event=first, description="+ten", unit="'=")
    events = Event.objects.published()
    event_at = len(csv_export.row_keys(table)) - 1
    index = {lookup: n for n, lookup in enumerate(table.lookups, event_at + 1)}
    names = [part.name for part in table.parts]
    merges = [
        csv_export.Merged(part, csv_export.part_query(table, part, events, include_drafts=False))
        for part in table.parts
    ]
    write = csv_export.row_cells(table, index, names)
    cells = [column.cell(index, names) for column in table.columns]
    context = {"base_url": "https://testserver", "event_path": lambda slug: f"/e/{slug}/"}
    query = csv_export.table_query(table, events, include_drafts=False)
    written = 0
    for position, row in enumerate(query, 1):
        rows = [merge.rows_of(row[0]) for merge in merges]
        context["position"] = position
        assert list(write(row, rows, context)) == [cell(row, rows, context) for cell in cells]
        written += 1
    for merge in merges:
        merge.check_finished()
    assert written == query.count() > 1
