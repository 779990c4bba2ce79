"""Write the CSV tables as a stream of text: memory stays flat however many rows there are."""

import csv

from .columns import EVENTS, LINKS, OUTCOMES, PARTICIPATIONS

CHUNK_SIZE = 500  # events fetched (with their related rows) per database round trip
BATCH = 200  # rows joined into one piece of the response


class Echo:
    """``csv.writer`` wants a file; this hands each written line straight back."""

    def write(self, line):
        return line


def related_rows(table, event):
    """An event's rows in one of the tables, in the order pages list them (prefetched by
    ``Event.objects.for_export()``)."""
    if table is EVENTS:
        return [event]
    if table is PARTICIPATIONS:
        return event.participations.all()
    if table is OUTCOMES:
        return event.outcomes.all()
    if table is LINKS:
        return event.links_out.all()
    raise ValueError(table.name)


def table_rows(table, events, *, base_url):
    """The table's rows, as lists of cells, for the events in export order."""
    context = {"base_url": base_url}
    for event in events.iterator(chunk_size=CHUNK_SIZE):
        for position, obj in enumerate(related_rows(table, event), 1):
            context["position"] = position
            yield table.row(obj, context)


def csv_lines(table, events, *, base_url, bom=False, counter=None):
    """The CSV file as pieces of text: RFC 4180 quoting, CRLF line ends, a header row.

    ``counter``, a dict, receives the number of rows written under ``"rows"``.
    """
    writer = csv.writer(Echo())
    header = writer.writerow(table.header)
    yield ("\ufeff" + header) if bom else header
    batch = []
    counter = {} if counter is None else counter
    counter["rows"] = 0
    for row in table_rows(table, events, base_url=base_url):
        counter["rows"] += 1
        batch.append(writer.writerow(row))
        if len(batch) >= BATCH:
            yield "".join(batch)
            batch = []
    if batch:
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
