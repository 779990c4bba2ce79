"""Write the CSV tables as a stream of text: memory stays flat however many rows there are.

A table is read in a fixed number of set-based queries, whatever the number of events:
one for its own rows, in export order, and one per :class:`~tracker.columns.Part` its
columns read (an event's participants, an outcome's parties…), ordered the same way.
The parts are merged into the rows in one pass, and every cell is written by its column
(``Column.cell``) from the raw values: the field map in ``tracker/columns.py`` is the one
list of what is read and how it is written.
"""

import csv
import itertools
from operator import itemgetter

from django.db import connections
from django.db.models import F, OrderBy

from .cells import text_cells
from .columns import event_paths
from .models import Event
from .models.events import shown_to_the_public

#: Rows fetched at a time by each of an export's queries: on PostgreSQL one round trip
#: of a server-side cursor each; on SQLite, which hands rows over in the worker, fewer,
#: so that the worker holds less at once.
CHUNK_SIZES = {"postgresql": 2000, "sqlite": 500}
BATCH = 200  # rows joined into one piece of the response


class Echo:
    """``csv.writer`` wants a file; this hands each written line straight back."""

    def write(self, line):
        return line


def csv_line(cells):
    """One row of text cells as ``csv.writer`` writes it (RFC 4180 minimal quoting, CRLF).

    Written out because ``csv.writer`` looks at every character in turn: on the events
    table, whose cells run to kilobytes of prose, it took a third of the export's time
    and kept it under the target (``benchmarks/run.py``). Here most rows need one join and
    a few scans done in C; a row with a comma, quote or line break inside a cell quotes
    the cells that need it, and only a row with a quote or carriage return looks for four
    characters in each cell (an events row has commas and line breaks nearly always).
    ``tests/test_csv_lines.py`` holds it to ``csv.writer``.
    """
    text = ",".join(cells)
    if '"' in text or "\r" in text:
        text = ",".join(
            [
                ('"' + cell.replace('"', '""') + '"')
                if ('"' in cell or "," in cell or "\n" in cell or "\r" in cell)
                else cell
                for cell in cells
            ]
        )
    elif "\n" in text or text.count(",") != len(cells) - 1:
        text = ",".join(
            [('"' + cell + '"') if ("," in cell or "\n" in cell) else cell for cell in cells]
        )
    elif text == "" and len(cells) == 1:
        text = '""'  # a lone empty cell, quoted, or the row would read as no cells at all
    return text + "\r\n"


# The queries -------------------------------------------------------------------------------


def prefixed(prefix, order):
    """An ordering seen from a related model: ``"pk"`` becomes ``"event__pk"``."""
    if not prefix:
        return list(order)
    result = []
    for term in order:
        if isinstance(term, OrderBy):
            result.append(
                OrderBy(
                    F(prefix + term.expression.name),
                    descending=term.descending,
                    nulls_first=term.nulls_first,
                    nulls_last=term.nulls_last,
                )
            )
        elif term.startswith("-"):
            result.append("-" + prefix + term[1:])
        else:
            result.append(prefix + term)
    return result


def row_order(table):
    """The table's export order: its events' chronological order, then its own."""
    events = Event._meta.ordering
    return prefixed("" if table.scope == "pk" else f"{table.scope}__", events) + list(table.order)


def row_keys(table):
    """What identifies a row and its event: ``pk``, then (for parts of events) the event."""
    return ["pk"] if table.scope == "pk" else ["pk", f"{table.scope}_id"]


def shown(queryset, field, include_drafts):
    """Rows whose ``field`` points to a published event (all of them with drafts)."""
    if field is None or include_drafts:
        return queryset
    return queryset.filter(shown_to_the_public(field))


def table_query(table, events, *, include_drafts):
    """The table's rows as ``(*row_keys(table), *table.lookups)`` tuples, in export order."""
    if table.scope == "pk" and not events.query.distinct and not events.query.is_sliced:
        rows = events  # the events themselves: no need to ask which they are
    else:
        rows = table.model._default_manager.filter(**{f"{table.scope}__in": events.values("pk")})
    rows = shown(rows, table.public_via, include_drafts)
    return rows.order_by(*row_order(table)).values_list(*row_keys(table), *table.lookups)


def part_query(table, part, events, *, include_drafts):
    """A part's rows as ``(parent pk, *part.fields)`` tuples, ordered as the table's rows
    and then by the part's own order."""
    within = f"{part.parent}__{table.scope}__in"
    rows = part.model._default_manager.filter(**{within: events.values("pk")})
    rows = shown(rows, part.public_via, include_drafts)
    order = prefixed(f"{part.parent}__", row_order(table)) + list(part.order)
    return rows.order_by(*order).values_list(f"{part.parent}_id", *part.fields)


def chunk_size(queryset):
    return CHUNK_SIZES.get(connections[queryset.db].vendor, 500)


# The merge ---------------------------------------------------------------------------------


_PART_FIELDS = itemgetter(slice(1, None))  # a part's row without its parent's key


class Merged:
    """A part's rows, handed out by parent as the table's rows go by in the same order."""

    def __init__(self, part, rows):
        self.part = part
        self.groups = itertools.groupby(rows.iterator(chunk_size(rows)), key=itemgetter(0))
        self.pending = next(self.groups, None)

    def rows_of(self, key):
        if self.pending is None or self.pending[0] != key:
            return []
        rows = list(map(_PART_FIELDS, self.pending[1]))
        self.pending = next(self.groups, None)
        return rows

    def check_finished(self):
        """Every row was handed out: the two orders agreed (nothing silently lost)."""
        if self.pending is not None:
            raise RuntimeError(
                f"{self.part!r}: rows of {self.pending[0]!r} were not merged; the part's "
                "order differs from its table's"
            )


def row_cells(table, index, parts):
    """One function ``(row, rows, context) -> cells`` of the export, writing each of the
    table's cells as its column's ``Column.cell`` does: the plain text cells (most of a
    row's) all at once by :func:`~tracker.cells.text_cells`, the others one by one, then
    put back in column order."""
    columns = table.columns
    plain = [n for n, column in enumerate(columns) if column.plain_text]
    others = [n for n, column in enumerate(columns) if not column.plain_text]
    texts = text_cells([index[columns[n].reads.lookups[0]] for n in plain]) if plain else None
    cells = [columns[n].cell(index, parts) for n in others]
    order = [(plain + others).index(n) for n in range(len(columns))]
    arrange = itemgetter(*order) if len(order) > 1 else tuple  # one index: no tuple

    def write(row, rows, context):
        own = [cell(row, rows, context) for cell in cells]
        return arrange((*texts(row), *own) if texts else own)

    return write


def table_rows(table, events, *, base_url, include_drafts=False):
    """The table's rows, as sequences of cells, for ``events`` in export order."""
    event_at = len(row_keys(table)) - 1
    index = {lookup: n for n, lookup in enumerate(table.lookups, event_at + 1)}
    parts = table.parts
    write = row_cells(table, index, [part.name for part in parts])
    merges = [
        Merged(part, part_query(table, part, events, include_drafts=include_drafts))
        for part in parts
    ]
    rows = table_query(table, events, include_drafts=include_drafts)
    context = {"base_url": base_url, "event_path": event_paths(), "position": 0}
    current_event, position, no_rows = None, 0, ()
    for row in rows.iterator(chunk_size(rows)):
        event = row[event_at]
        position = position + 1 if event == current_event else 1
        context["position"], current_event = position, event
        pk = row[0]
        yield write(row, [merge.rows_of(pk) for merge in merges] if merges else no_rows, context)
    for merge in merges:
        merge.check_finished()


# The file ----------------------------------------------------------------------------------


def csv_lines(table, events, *, base_url, bom=False, include_drafts=False, counter=None):
    """The CSV file of ``events`` (a queryset of events, in any order) as pieces of text:
    RFC 4180 quoting, CRLF line ends, a header row. Related rows that point to a draft
    (a link, an event carrying an outcome out) are left out unless ``include_drafts``.

    ``counter``, a dict, receives the number of rows written under ``"rows"``.
    """
    header = csv_line(table.header)
    yield ("\ufeff" + header) if bom else header
    batch = []
    counter = {} if counter is None else counter
    counter["rows"] = 0
    for row in table_rows(table, events, base_url=base_url, include_drafts=include_drafts):
        batch.append(csv_line(row))
        if len(batch) >= BATCH:
            counter["rows"] += len(batch)
            yield "".join(batch)
            batch = []
    if batch:
        counter["rows"] += len(batch)
        yield "".join(batch)


def template_text(table):
    """A file people can fill in: the columns import reads and the table's example rows."""
    writer = csv.writer(Echo())
    header = table.template_header
    lines = [writer.writerow(header)]
    lines += [
        writer.writerow([example.get(name, "") for name in header]) for example in table.examples
    ]
    return "".join(lines)


def file_name(table, day):
    return f"{table.name}-{day.isoformat()}.csv"
