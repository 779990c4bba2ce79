"""The shortcuts h-plan took in planning the rows an import creates give what the long way
gives: a file's new rows copied from one blank row and set column by column
(``NewRows``) are the rows ``new``, ``apply_columns`` and ``refuse_broken_rules`` build,
with the same problems in the same order."""

import csv

import pytest

from tests.csvfiles import as_files, import_texts
from tests.factories import make_event
from tracker.columns import EVENTS as EVENTS_TABLE
from tracker.columns import OUTCOMES, PARTICIPATIONS, in_set
from tracker.imports.planning import (
    Context,
    NewRows,
    Options,
    apply_columns,
    collect_references,
    load_events,
    own_columns,
    plan_events,
    refuse_broken_rules,
)
from tracker.imports.read import read_files, read_table
from tracker.imports.stored import Blanks, new
from tracker.models import Event, Outcome, Participation

pytestmark = pytest.mark.django_db

EVENTS = (
    "slug,process,process_title,conflict,conflict_name,kind,title,start_date,status\r\n"
    "e1,track,Track,war,War,round_of_talks,Talks,2025-01-01,published\r\n"
    "e2,track,Track,war,War,round_of_talks,More talks,2025-02-01,published\r\n"
)
PARTICIPANTS = (
    "event,position,person,person_name,party,party_name,role,side,side_name,title\r\n"
    "e1,1,umerov,Rustem Umerov,ua,Ukraine,head_of_delegation,,,Minister\r\n"
    "e1,2,,,ua,Ukraine,host,,,\r\n"
    "e1,3,medinsky,Vladimir Medinsky,,,delegate,ru,Russia,\r\n"
    "e2,1,nobody,,,,delegate,,,\r\n"  # an unknown person, refused by name
    "e2,2,,,,,host,,,\r\n"  # nobody named: the model's rule refuses it
    "e2,3,umerov,Rustem Umerov,,,no_such_role,,,\r\n"  # a role the field refuses
    "e2,4,umerov,Rustem Umerov,ua,Ukraine,delegate,ru,Russia,Adviser\r\n"
)


OUTCOMES_TEXT = (
    "event,position,kind,status,description,quantity,unit,agreed_by\r\n"
    'e1,1,ceasefire,agreed,A truce,,,"Ukraine [ua]"\r\n'
    "e1,2,prisoner_exchange,agreed,Prisoners,84,,\r\n"  # a quantity without its unit
    "e2,1,no_such_kind,agreed,Something,,,\r\n"  # a kind the field refuses
    "e2,2,ceasefire,agreed,,3,people,\r\n"  # a required cell left empty
)


def _planned():
    tables, problems = read_files(
        as_files({"events": EVENTS, "participations": PARTICIPANTS, "outcomes": OUTCOMES_TEXT})
    )
    assert not problems
    context = Context(tables, Options())
    collect_references(context)
    context.refs.resolve()
    context.sources.resolve()
    load_events(context)
    plan_events(context)
    return context


def _as_built(obj):
    attributes = {k: v for k, v in obj.__dict__.items() if k != "_state"}
    return attributes, dict(obj._state.fields_cache), obj._state.adding, obj._state.db


@pytest.mark.parametrize(
    ("model", "table", "refused"),
    [
        (Participation, PARTICIPATIONS, [(6, None), (7, "role")]),
        (Outcome, OUTCOMES, [(3, None), (4, "kind"), (5, "description")]),
    ],
)
def test_a_files_new_rows_are_the_rows_the_long_way_builds_with_its_problems(model, table, refused):
    context = _planned()
    rows = context.rows(table)
    before = list(context.problems)

    long_way = []
    for row in rows:
        row.unresolved = False
        obj = new(model, event=context.events[row.values["event"]])
        apply_columns(context, row, obj, table)
        refuse_broken_rules(context, row, obj)
        long_way.append((_as_built(obj), row.unresolved))
    long_problems = context.problems[len(before) :]

    context.problems[:] = before
    made = NewRows(context, model, table, "event")
    short_way = []
    for row in rows:
        row.unresolved = False
        obj = made.make(row, context.events[row.values["event"]])
        refuse_broken_rules(context, row, obj)
        short_way.append((_as_built(obj), row.unresolved))
    short_problems = context.problems[len(before) :]

    assert short_way == long_way
    assert short_problems == long_problems
    assert [(p.line, p.column) for p in short_problems] == refused


def test_a_reference_refused_leaves_its_row_unresolved_both_ways():
    context = _planned()
    assert [(p.file, p.line, p.column) for p in context.problems] == [
        ("participations.csv", 5, "person")  # refused as a reference
    ]
    made = NewRows(context, Participation, PARTICIPATIONS, "event")
    rows = context.rows(PARTICIPATIONS)
    for row in rows:
        made.make(row, context.events[row.values["event"]])
    assert [row.unresolved for row in rows] == [False] * 3 + [True] + [False] * 3


def test_copies_of_a_blank_row_share_nothing_but_the_records_they_name():
    context = _planned()
    event = context.events["e1"]
    blanks = Blanks(Participation)
    first, second = blanks(event=event), blanks(event=event)
    first.role = "host"
    first._state.fields_cache["person"] = None
    assert second.role == new(Participation).role
    assert "person" not in second._state.fields_cache
    assert first._state is not second._state
    assert second.event is event
    assert second._state.adding
    assert blanks.leave_unset("person")
    assert blanks.leave_unset("side")


def test_a_model_with_init_receivers_has_each_row_built_by_new():
    from django.db.models.signals import post_init

    built = []

    def receiver(sender, instance, **kwargs):
        built.append(instance)

    post_init.connect(receiver, sender=Participation)
    try:
        blanks = Blanks(Participation)
        row = blanks(role="host")
    finally:
        post_init.disconnect(receiver, sender=Participation)
    assert built == [row]
    assert not blanks.leave_unset("person")


# Reading: rows taken in one loop, positions that already run 1, 2, 3… left as they are


HEADER = "event,position,person,person_name,role\r\n"


def _read(text):
    _table, rows, problems = read_table("participations.csv", text)
    return (
        [(row.line, row.values.get("position"), row.values.get("person")) for row in rows],
        [(p.line, p.message) for p in problems],
    )


@pytest.fixture
def csv_module_limit():
    """The csv module's own cell limit (131,072 characters), which this test reaches. The
    limit is the process's: frictionless, which another test imports, raises it on import."""
    given = csv.field_size_limit(131_072)
    yield
    csv.field_size_limit(given)


@pytest.mark.usefixtures("csv_module_limit")
def test_a_row_of_the_wrong_width_and_unreadable_csv_are_named_by_line():
    text = (
        HEADER
        + "e1,1,a,A,host\r\ne1,2\r\n\r\n"  # a short row, then a blank line (skipped)
        + "e1,3,c,"
        + "x" * 140_000  # past the csv module's limit: reading stops here
        + ",host\r\ne1,4,d,D,host\r\n"
    )
    assert _read(text) == (
        [(2, 1, "a")],
        [
            (3, "has 2 cells; the header has 5"),
            (5, "is not valid CSV (field larger than field limit (131072))"),
        ],
    )


def test_positions_run_on_whether_or_not_they_ran_on_already():
    text = (
        HEADER
        + "e1,2,a,A,host\r\ne1,1,b,B,host\r\n"  # 2, 1, 3: kept as they are
        + "e2,1,c,C,host\r\ne2,3,d,D,host\r\n"  # 1, 3: a gap, closed
        + "e1,3,e,E,host\r\n"
        + "e3,2,f,F,host\r\ne3,2,g,G,host\r\n"  # 2 twice: left for the planning to refuse
    )
    rows, problems = _read(text)
    assert rows == [
        (2, 2, "a"),
        (3, 1, "b"),
        (4, 1, "c"),
        (5, 2, "d"),
        (6, 3, "e"),
        (7, 2, "f"),
        (8, 2, "g"),
    ]
    assert problems == []


def test_a_typed_cell_reads_the_same_in_a_row_read_as_written_and_cell_by_cell():
    text = (
        HEADER
        + "e1,7,a,'=A,host\r\n"  # a neutralised cell: the row is read cell by cell
        + "e1,7,b,B,host\r\n"  # read as written, its position as the first row's
        + "e1,x,c,C,host\r\n"
    )
    _table, rows, problems = read_table("participations.csv", text)
    assert [(p.line, p.column, p.message) for p in problems] == [
        (4, "position", "'x' is not a whole number")
    ]
    assert [row.values.get("position") for row in rows] == [7, 7, None]
    assert rows[0].values["person_name"] == "=A"


@pytest.mark.parametrize(
    "ends",
    ["\r\n", "\n", "\r"],
    ids=["CRLF", "LF", "CR"],
)
def test_line_breaks_inside_cells_read_as_lf_however_the_file_ends_its_lines(ends):
    """The file's text is no longer rewritten with LF line ends before it is read: only a
    row whose cells hold a CR has them rewritten."""
    header = "event,position,kind,status,description,note"
    rows = [
        'e1,1,ceasefire,agreed,"Two\r\nlines",n',
        'e1,2,ceasefire,agreed,"Lone\rCR and\nLF",',
        "e1,3,ceasefire,agreed,'=Formula,\"'=x\r\ny\"",
    ]
    text = ends.join([header, *rows]) + ends
    _table, read, problems = read_table("outcomes.csv", text)
    assert problems == []
    assert [(row.line, row.values["description"], row.values["note"]) for row in read] == [
        (2, "Two\nlines", "n"),
        (4, "Lone\nCR and\nLF", ""),
        (7, "=Formula", "=x\ny"),
    ]


def test_a_position_column_remembers_what_it_accepted_and_never_a_refusal():
    column = PARTICIPATIONS.column("position")
    assert column.check(3) == []
    assert in_set(3, column.accepted)
    refused = column.check(-1)
    assert refused
    assert not in_set(-1, column.accepted)
    assert column.check(-1) == refused  # asked again, answered again
    assert column.check(70_000)  # past what a small integer holds on every database
    assert not in_set(70_000, column.accepted)


def test_a_new_rows_cells_are_set_and_refused_as_each_cell_on_its_own_would_be():
    """The cells no rule can refuse are set together (``_Fields.taken``): the row holds
    what setting and checking each own column in turn gives, with the same problems."""
    events = (
        "slug,process,process_title,conflict,conflict_name,kind,title,start_date,"
        "date_precision,venue,city,region,country,status,summary,unverified\r\n"
        "e1,track,Track,war,War,round_of_talks,Talks,2025-01-01,day,Hall,Kyiv,,UA,"
        "published,What happened,\r\n"
        "e2,track,Track,war,War,no_such_kind,,2025-02-01,day,,,,XX,draft,,Point\r\n"
    )
    tables, problems = read_files(as_files({"events": events}))
    assert not problems
    context = Context(tables, Options())
    columns = [c for c in own_columns(EVENTS_TABLE) if c.name in tables[EVENTS_TABLE][0].columns]
    for row in tables[EVENTS_TABLE]:
        planned, checked = new(Event, slug=row.values["slug"]), new(Event)
        apply_columns(context, row, planned, EVENTS_TABLE)
        expected = []
        for column in columns:
            messages = column.check(row.values[column.name])
            expected += [(row.line, column.name, str(m)) for m in messages]
            if not messages:
                setattr(checked, column.target.name, row.values[column.name])
        found = [(p.line, p.column, p.message) for p in context.problems if p.line == row.line]
        assert found == expected
        for column in columns:
            name = column.target.name
            assert getattr(planned, name) == getattr(checked, name), name
    assert [column for _line, column, _message in found] == ["kind", "title", "country"]


def test_a_new_row_naming_no_record_holds_none_where_a_read_would_put_it():
    """A key a new row leaves empty is noted as empty where Django notes a read of it, so
    that deriving the participants' lines and labels asks no descriptor; the row is
    written without it."""
    context = _planned()
    made = NewRows(context, Participation, PARTICIPATIONS, "event")
    row = context.rows(PARTICIPATIONS)[1]  # e1, 2: a party, no person, no side
    obj = made.make(row, context.events["e1"])
    assert obj._state.fields_cache["person"] is None
    assert obj._state.fields_cache["side"] is None
    assert obj.person_id is None
    assert obj.side_id is None
    assert obj.party.slug == "ua"
    report = import_texts({"events": EVENTS, "participations": PARTICIPANTS.split("e2,1")[0]})
    assert report.counts["participations"] == {"created": 3}
    host = Participation.objects.get(role="host")
    assert (host.person_id, host.side_id, host.party.slug) == (None, None, "ua")


def test_publishing_without_saying_who_keeps_who_changed_it_and_reads_nothing(
    django_assert_num_queries, django_user_model
):
    editor = django_user_model.objects.create_user("editor")
    make_event(slug="e9", status=Event.Status.DRAFT, changed_by=editor)
    event = Event.objects.get(slug="e9")
    with django_assert_num_queries(0):
        event.publish()
        event.unpublish()
    assert event.changed_by_id == editor.pk
    other = django_user_model.objects.create_user("other")
    event.publish(by=other)
    assert event.changed_by == other
