"""Step 1 of an import: read the files into rows of Python values, cell by cell.

A file is recognised by its name (``events.csv``, ``events-2026-01-01.csv``) or, failing
that, by its header. The header needs only the required columns, in any order; a missing
or unknown column is named. Line breaks inside cells are read as LF whichever way the
file writes them. Every cell that cannot be read is reported, and reading goes on, so
that one pass names every problem.
"""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..cells import CellError, joined_as_written, one_line_ends, parser
from ..columns import TABLES
from .pauses import collector_paused
from .problems import Problem
from .problems import translated as _

PROGRESS_EVERY = 1000


class RowsRead(str):
    """A progress message (“events.csv: read 1000 rows”) that also tells a program which
    file and how many of its rows: commands print it, the background import counts it."""

    def __new__(cls, file, rows):
        text = super().__new__(
            cls, _("%(file)s: read %(rows)s rows") % {"file": file, "rows": rows}
        )
        text.file, text.rows = file, rows
        return text


@dataclass(slots=True)
class Row:
    """One row of a file (or one entry of a seed file), as Python values by column name.

    Only the columns the file has are in ``values``; a cell that could not be read is
    missing too, and ``ok`` is False.
    """

    table: object
    file: str
    line: int | None
    values: dict
    where: str | None = None
    ok: bool = True
    columns: frozenset = field(default_factory=frozenset)
    unresolved: bool = False  # a record it names was refused

    def problem(self, column, message, *, confirm=None):
        return Problem(self.file, self.line, column, str(message), self.where, confirm)

    def has(self, name):
        return name in self.columns

    @property
    def place(self):
        """Where the row is, for messages: “line 12”, or a seed entry's description."""
        return self.where or _("line %(line)s") % {"line": self.line}


def decode(source):
    """The text of a file given as a path, a file object, bytes or text."""
    if isinstance(source, Path):
        data = source.read_bytes()
    elif hasattr(source, "read"):
        data = source.read()
    else:
        data = source
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")
    return data.removeprefix("\ufeff")


def identify(name, header):
    """The table a file holds: by its name if that says, else by its header."""
    stem = Path(name).name.lower()
    for table in TABLES.values():
        if stem.startswith(table.name):
            return table
    overlap = {table: len(set(header) & set(table.header)) for table in TABLES.values()}
    best = max(overlap.values())
    matches = [table for table, n in overlap.items() if n == best]
    return matches[0] if best and len(matches) == 1 else None


def _header_problems(name, table, header):
    problems = []
    known = set(table.header)
    seen = set()
    for column in header:
        if column in seen:
            problems.append(Problem(name, 1, column, _("the column appears twice")))
        seen.add(column)
    unknown = [c for c in header if c not in known]
    if unknown:
        problems.append(
            Problem(
                name,
                1,
                None,
                _("unknown column(s) %(unknown)s; %(table)s.csv has: %(known)s")
                % {
                    "unknown": ", ".join(unknown),
                    "table": table.name,
                    "known": ", ".join(table.header),
                },
            )
        )
    missing = [c.name for c in table.columns if c.required and c.name not in seen]
    if missing:
        problems.append(
            Problem(
                name,
                1,
                None,
                _("missing required column(s) %(missing)s") % {"missing": ", ".join(missing)},
            )
        )
    return problems


#: How a text cell is read: where a row's cells read as written, they are taken as they are.
TEXT = parser("string")
#: Kinds whose cells give the same value for the same text, a value nobody changes: each
#: text is read once per file (the dates, positions and durations that come back).
SAME_FOR_SAME_TEXT = frozenset({"date", "time", "duration", "integer"})
_UNKNOWN = object()


def _remembered(parse, known):
    """``parse``, asked once per text it accepts (what it refuses is asked again, so
    that the message is made as every refusal is); ``known``: ``{text: value}`` read."""

    def value(text):
        found = known.get(text, _UNKNOWN)
        if found is _UNKNOWN:
            found = known[text] = parse(text)
        return found

    return value


def row_reader(name, table, header):
    """A function ``(cells, line) -> (row, problems)`` for the rows of one file, with the
    work that depends only on its header done once: which cells are typed, their parsers
    (:data:`SAME_FOR_SAME_TEXT` ones remembering what they read). A row's text cells are
    taken as they are when the row allows (:func:`~tracker.cells.read_as_written`), and its remembered
    values looked up in place; a row is read cell by cell only when it does not, or when
    one cell cannot be read, to name each that cannot."""
    columns = [table.column(column) for column in header]
    known = {c.name: {} for c in columns if c.type in SAME_FOR_SAME_TEXT}  # text -> value
    parsers = [
        (c.name, _remembered(c.parser, known[c.name]) if c.name in known else c.parser)
        for c in columns
    ]
    names = [column for column, _parse in parsers]
    remembered = [(c.name, known[c.name], c.parser) for c in columns if c.name in known]
    typed = [(c.name, c.parser) for c in columns if c.parser is not TEXT and c.name not in known]
    present = frozenset(header)

    def read(cells, line):
        joined = "\n".join(cells)
        if "\r" in joined:  # a line break inside a cell, as the file wrote it: read as LF
            cells = [one_line_ends(cell) for cell in cells]
            joined = "\n".join(cells)
        if joined_as_written(joined):
            values = dict(zip(names, cells, strict=True))
            try:
                for column, read_values, parse in remembered:
                    text = values[column]
                    value = read_values.get(text, _UNKNOWN)
                    if value is _UNKNOWN:
                        value = read_values[text] = parse(text)
                    values[column] = value
                for column, parse in typed:
                    values[column] = parse(values[column])
            except CellError:
                pass
            else:
                return Row(table, name, line, values, columns=present), ()
        values, problems = {}, []
        for (column, parse), text in zip(parsers, cells, strict=True):
            try:
                values[column] = parse(text)
            except CellError as error:
                problems.append(Problem(name, line, column, str(error)))
        return Row(table, name, line, values, ok=not problems, columns=present), problems

    return read


def _number_rows(table, rows):
    """Without a ``position`` column, each event's rows are numbered in file order. With
    it, they are numbered in the order it gives, wherever they stand in the file, so that
    a row dropped leaves no gap (the plan names each row that moves); a position given
    twice is left as it is, for the planning to refuse by name."""
    if "position" not in table.header or not rows:
        return
    if "position" in rows[0].columns:
        _close_gaps(rows)
        return
    counters, numbered = {}, {}
    for row in rows:
        event = row.values.get("event")
        counters[event] = counters.get(event, 0) + 1
        row.values["position"] = counters[event]
        columns = row.columns
        if columns not in numbered:  # the rows of a file share their columns
            numbered[columns] = columns | {"position"}
        row.columns = numbered[columns]


def _close_gaps(rows):
    """Each event's positions renumbered 1, 2, 3… in their own order, unless one repeats
    (positions that are 1, 2, 3… already, in any order, keep their numbers)."""
    by_event = {}
    for row in rows:
        if isinstance(row.values.get("position"), int):
            by_event.setdefault(row.values.get("event"), []).append(row)
    for group in by_event.values():
        positions = [row.values["position"] for row in group]
        distinct = set(positions)
        if len(distinct) == len(positions) and distinct != set(range(1, len(positions) + 1)):
            ordered = sorted(group, key=lambda row: row.values["position"])
            for number, row in enumerate(ordered, 1):
                row.values["position"] = number


def read_table(name, source, *, table=None, progress=None):
    """``(table, rows, problems)`` for one file; ``table`` is None when unrecognised."""
    try:
        text = decode(source)
    except UnicodeDecodeError as error:
        return None, [], [Problem(name, None, None, _("is not UTF-8 text (%s)") % error)]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [one_line_ends(cell).strip() for cell in next(reader)]
    except StopIteration:
        return None, [], [Problem(name, None, None, _("is empty"))]
    except csv.Error as error:
        return None, [], [Problem(name, 1, None, _("is not valid CSV (%s)") % error)]
    table = table or identify(name, header)
    if table is None:
        expected = "; ".join(f"{t.name}.csv: {', '.join(t.header)}" for t in TABLES.values())
        message = _("is none of the four files: name it after one, or give its header (%s)")
        return None, [], [Problem(name, 1, None, message % expected)]
    problems = _header_problems(name, table, header)
    if problems:
        return table, [], problems
    rows, line = [], 2
    read = row_reader(name, table, header)
    width = len(header)
    try:
        for cells in reader:  # a csv.Error ends the file where it is met
            if len(cells) == width:
                row, cell_problems = read(cells, line)
                rows.append(row)
                if cell_problems:
                    problems += cell_problems
            elif cells:
                problems.append(
                    Problem(
                        name,
                        line,
                        None,
                        _("has %(cells)s cells; the header has %(header)s")
                        % {"cells": len(cells), "header": width},
                    )
                )
            line = reader.line_num + 1
            if progress and rows and len(rows) % PROGRESS_EVERY == 0:
                progress(RowsRead(name, len(rows)))
    except csv.Error as error:
        problems.append(Problem(name, line, None, _("is not valid CSV (%s)") % error))
    _number_rows(table, rows)
    return table, rows, problems


def read_files(files, *, progress=None):
    """``({table: rows}, problems)`` for ``{name: source}``; a table given twice is refused.

    A file whose header could not be read maps to None: its rows are unknown, so the
    other files' references to them are not reported as unknown.
    """
    tables, problems = {}, []
    for name, source in files.items():
        with collector_paused():
            table, rows, found = read_table(name, source, progress=progress)
        problems += found
        if table is None:
            continue
        if table in tables:
            problems.append(
                Problem(name, None, None, _("is a second %s file") % f"{table.name}.csv")
            )
            continue
        tables[table] = None if found and not rows and found[0].line == 1 else rows
    return tables, problems
