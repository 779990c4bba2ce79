"""The shortcuts the import's reading, reference collecting and column checks take give
what the long way gives: cells read once per text still read as every cell is, a
column's remembered values answer as its field rules do (in the language of the moment),
and a name repeated across rows is refused on every row that contradicts an earlier one."""

import pytest
from django.utils import translation

from tests.csvfiles import import_texts
from tests.factories import make_event
from tracker.cells import parse_party_lines, parse_source_line, parse_value
from tracker.columns import EVENTS, OUTCOMES, PARTICIPATIONS, field_rules
from tracker.imports import ImportRefused
from tracker.imports.read import read_table

PARTICIPANTS = "event,position,person,person_name,role\r\n"


def _problems(texts):
    with pytest.raises(ImportRefused) as refused:
        import_texts(texts, dry_run=True)
    return [(p.file, p.line, p.column, p.message) for p in refused.value.problems]


def test_a_cell_read_once_per_text_reads_as_each_cell_does():
    header = "event,kind,status,description,quantity\r\n"
    text = (
        header
        + "e1,ceasefire,agreed,'=One,1\r\n"  # a neutralised cell: read cell by cell
        + "e1,ceasefire,agreed,Two,2\r\n"
        + "e1,ceasefire,agreed,Three,02\r\n"
        + "e1,ceasefire,agreed,Four,x\r\n"
        + "e1,ceasefire,agreed,Five, 2 \r\n"
    )
    table, rows, problems = read_table("outcomes.csv", text)
    assert table is OUTCOMES
    assert [row.values.get("quantity") for row in rows] == [1, 2, 2, None, 2]
    assert [row.ok for row in rows] == [True, True, True, False, True]
    assert rows[0].values["description"] == "=One"
    assert [(p.line, p.column, p.message) for p in problems] == [
        (5, "quantity", "'x' is not a whole number")
    ]


def test_a_date_refused_once_is_refused_again_on_a_later_row():
    header = "slug,process,process_title,conflict,conflict_name,kind,title,start_date,status\r\n"
    row = "e{n},track,Track,war,War,round_of_talks,Talks,{date},published\r\n"
    dates = ["2025-01-01", "2025-13-01", "2025-01-01", "2025-13-01"]
    text = header + "".join(row.format(n=n, date=date) for n, date in enumerate(dates))
    _table, rows, problems = read_table("events.csv", text)
    assert [str(row.values.get("start_date")) for row in rows] == [
        "2025-01-01",
        "None",
        "2025-01-01",
        "None",
    ]
    assert [(p.line, p.column) for p in problems] == [(3, "start_date"), (5, "start_date")]


def test_derived_text_cells_are_read_as_text_cells():
    for name in ("url", "conflict_name", "participants", "outcomes"):
        column = EVENTS.column(name)
        for text in ("plain", "'=1+1", "''=x", " spaced "):
            assert column.parse(text) == parse_value("string", text)


def test_lines_read_once_per_text_give_each_cell_its_own_value():
    line = "https://example.org/a | Example | A title | 2025-01-02"
    first, second = parse_source_line(line), parse_source_line(line)
    assert first == second
    first["title"] = "changed"
    assert parse_source_line(line)["title"] == "A title"
    parties = parse_party_lines("Example [example]\nOther [other]")
    parties.append(("third", "Third"))
    assert parse_party_lines("Example [example]\nOther [other]") == [
        ("example", "Example"),
        ("other", "Other"),
    ]


@pytest.mark.parametrize("language", ["en", "uk"])
def test_a_column_answers_as_its_field_rules_whatever_it_remembers(language):
    role = PARTICIPATIONS.column("role")
    position = OUTCOMES.column("quantity")
    with translation.override(language):
        for column, value in ((role, "host"), (role, "nonsense"), (position, 10**12)):
            for _twice in range(2):
                assert column.check(value) == field_rules(column.target, value)
        assert "host" in role.accepted
        assert "nonsense" not in role.accepted
        assert role.check("") == [translation.gettext("is required")]
        assert "" not in role.accepted


@pytest.mark.django_db
def test_a_name_given_differently_is_refused_on_every_row_that_differs():
    event = make_event()
    rows = [("ana", "Ana"), ("ana", "Ana"), ("ana", "Anna"), ("ana", "Anna"), ("ana", "Ana")]
    text = PARTICIPANTS + "".join(
        f"{event.slug},{n},{slug},{name},host\r\n" for n, (slug, name) in enumerate(rows, 1)
    )
    problems = [p for p in _problems({"participations": text}) if p[2] == "person_name"]
    assert [(line, column) for _file, line, column, _message in problems] == [
        (4, "person_name"),
        (5, "person_name"),
    ]
    assert all("'Anna' here but as 'Ana' on line 2" in p[3] for p in problems)


@pytest.mark.django_db
def test_a_party_listed_differently_is_refused_on_every_row_that_differs():
    event = make_event()
    header = "event,position,kind,status,description,agreed_by\r\n"
    names = ["Example", "Example", "Other", "Example", "Other"]
    text = header + "".join(
        f'{event.slug},{n},ceasefire,agreed,Outcome {n},"{name} [example]"\r\n'
        for n, name in enumerate(names, 1)
    )
    problems = [p for p in _problems({"outcomes": text}) if p[2] == "agreed_by"]
    assert [(line, column) for _file, line, column, _message in problems] == [
        (4, "agreed_by"),
        (6, "agreed_by"),
    ]
