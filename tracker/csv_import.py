"""Read the CSV tables back into the record: all or nothing, with every bad cell named.

Import is the exact reverse of export (``tracker.columns``): events are matched by slug
and updated in place; an event's participations and outcomes are replaced by the rows
the files give for it. Everything is checked before anything is written, the writing
happens in one transaction, and a row that the database or the models refuse rolls
the whole import back. ``dry_run`` does all of it and then rolls back, which is how the
admin previews an import.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction

from .columns import (
    EVENTS,
    OUTCOMES,
    PARTICIPATIONS,
    TABLES,
    CellError,
    parse_party_lines,
    parse_source_line,
    split,
)
from .csv_export import related_rows
from .models import (
    Citation,
    Event,
    Implementation,
    Outcome,
    Participation,
    Party,
    Person,
    Process,
    Source,
)
from .models.base import Record

CHANGE_REASON = "Imported from CSV"
PROGRESS_EVERY = 1000
BATCH = 500  # events looked up, with their related rows, per round of queries


@dataclass
class Problem:
    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self):
        where = self.file
        if self.line:
            where += f", line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ImportRefused(Exception):
    """The files have problems; nothing was written."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Row:
    file: str
    line: int
    values: dict
    text: list  # the cells as read, for comparing with what export would write


@dataclass
class ImportReport:
    counts: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    changes: list = field(default_factory=list)  # (table, key, action, details)
    dry_run: bool = False

    def note(self, table, key, action, details=""):
        self.counts[table][action] += 1
        if action != "unchanged":
            self.changes.append((table, key, action, details))

    def lines(self):
        for table, counts in self.counts.items():
            parts = ", ".join(f"{n} {action}" for action, n in sorted(counts.items()))
            yield f"{table}: {parts}"


# Reading --------------------------------------------------------------------------------


def _text_of(source):
    if hasattr(source, "read"):
        data = source.read()
    else:
        with open(source, "rb") as handle:
            data = handle.read()
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")
    return data.removeprefix("\ufeff")


def read_table(name, source, problems, progress=None):
    """Parse one file: ``(table, rows)``; cell problems are added to ``problems``."""
    try:
        text = _text_of(source)
    except UnicodeDecodeError as error:
        problems.append(Problem(name, None, None, f"is not UTF-8 text ({error})"))
        return None, []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem(name, None, None, "is empty"))
        return None, []
    except csv.Error as error:
        problems.append(Problem(name, 1, None, f"is not valid CSV ({error})"))
        return None, []
    table = _table_for(header)
    if table is None:
        expected = "; ".join(f"{t.name}: {', '.join(t.header)}" for t in TABLES.values())
        problems.append(
            Problem(name, 1, None, f"the header matches none of the tables ({expected})")
        )
        return None, []
    readable = [c for c in table.columns if not c.derived and c.name != "url"]
    rows, line = [], 2
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(Problem(name, line, None, f"is not valid CSV ({error})"))
            break
        if cells == []:
            line = reader.line_num + 1
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(name, line, None, f"has {len(cells)} cells; the header has {len(header)}")
            )
        else:
            by_name = dict(zip(header, cells, strict=True))
            values = {}
            for column in readable:
                try:
                    values[column.name] = column.parse(by_name[column.name])
                except CellError as error:
                    problems.append(Problem(name, line, column.name, str(error)))
            rows.append(Row(name, line, values, cells))
        line = reader.line_num + 1
        if progress and rows and len(rows) % PROGRESS_EVERY == 0:
            progress(f"{name}: read {len(rows)} rows")
    return table, rows


def _table_for(header):
    for table in TABLES.values():
        if header == table.header:
            return table
    return None


# Checking and writing -------------------------------------------------------------------


class _Importer:
    def __init__(self, tables, report, problems, progress, user):
        self.user = user
        self.tables = tables  # table -> rows
        self.report = report
        self.problems = problems
        self.progress = progress
        self.events = {}
        self.parties = {}
        self.people = {}
        self.created_with_id = False

    def refuse(self, row, column, message):
        self.problems.append(Problem(row.file, row.line, column, message))

    def refuse_validation(self, row, error, columns):
        for name, messages in error.message_dict.items():
            column = columns.get(name, name if name != "__all__" else None)
            for message in messages:
                self.refuse(row, column, message)

    def run(self):
        self.import_events(self.tables.get(EVENTS, []))
        self.known_events()
        self.collect_parties_and_people()
        if self.problems:
            return
        self.import_children(PARTICIPATIONS, self.write_participations)
        self.import_children(OUTCOMES, self.write_outcomes)
        if self.created_with_id:
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Event]):
                    cursor.execute(sql)

    # Events

    def import_events(self, rows):
        seen = {}
        unique_rows = []
        for row in rows:
            slug = row.values.get("slug")
            if not slug:
                continue
            if slug in seen:
                self.refuse(row, "slug", f"{slug!r} is also on line {seen[slug]}")
                continue
            seen[slug] = row.line
            unique_rows.append(row)
        for start in range(0, len(unique_rows), BATCH):
            batch = unique_rows[start : start + BATCH]
            existing = _existing([row.values["slug"] for row in batch])
            for row in batch:
                self.import_event(row, existing.get(row.values["slug"]))
            if self.progress and len(unique_rows) > BATCH:
                done = min(start + BATCH, len(unique_rows))
                self.progress(f"events: {done}/{len(unique_rows)}")

    def import_event(self, row, event):
        """Create or update one event; ``event`` is the existing one, prefetched for export."""
        v = row.values
        if event is not None:
            current = EVENTS.row(event, {"base_url": ""})
            if _same(EVENTS, current, row.text):
                self.events[event.slug] = event
                self.report.note("events", event.slug, "unchanged")
                return
        try:
            sources = [parse_source_line(line) for line in v["sources"].splitlines() if line]
        except CellError as error:
            self.refuse(row, "sources", str(error))
            return
        process = self.upsert_process(row)
        if process is None:
            return
        created = event is None
        if created:
            event = Event(slug=v["slug"])
            if v["id"] and not Event.objects.filter(pk=v["id"]).exists():
                event.pk = v["id"]
                self.created_with_id = True
        fields = {
            "process": process,
            "kind": v["kind"],
            "title": v["title"],
            "start_date": v["start_date"],
            "end_date": v["end_date"],
            "date_precision": v["date_precision"],
            "start_time": v["start_time"],
            "duration": v["duration"],
            "duration_note": v["duration_note"],
            "venue": v["venue"],
            "city": v["city"],
            "region": v["region"],
            "country": v["country"],
            "status": v["status"],
            "summary": v["summary"],
            "source_notes": v["source_notes"],
            "unverified": v["unverified"],
        }
        for name, value in fields.items():
            setattr(event, name, value)
        if event.status == Event.Status.PUBLISHED:
            event.publish(by=self.user)
        if not self.save(row, event, {name: name for name in fields}, exclude=["process"]):
            return
        self.events[event.slug] = event
        event.citations.all().delete()
        cited = set()
        for position, data in enumerate(sources, 1):
            identity = Source.identity(
                url=data["url"],
                publisher=data["publisher"],
                title=data["title"],
                published_on=data["published"],
            )
            if identity in cited:
                self.refuse(row, "sources", f"source {position} repeats an earlier one")
                continue
            cited.add(identity)
            source = self.upsert_source(row, data)
            if source is not None:
                citation = Citation(
                    event=event, source=source, supports=data["supports"], position=position
                )
                self.save(row, citation, {"source": "sources", "supports": "sources"})
        self.report.note("events", event.slug, "created" if created else "updated")

    def upsert_process(self, row):
        v = row.values
        process = Process.objects.filter(slug=v["process"]).first() or Process(slug=v["process"])
        if process.pk and (process.title, process.conflict) == (
            v["process_title"],
            v["conflict"],
        ):
            return process
        process.title, process.conflict = v["process_title"], v["conflict"]
        columns = {"title": "process_title", "conflict": "conflict", "slug": "process"}
        return process if self.save(row, process, columns) else None

    def upsert_source(self, row, data):
        fields = {
            "url": data["url"],
            "publisher": data["publisher"],
            "title": data["title"],
            "published_on": data["published"],
            "accessed_on": data["accessed"],
            "archive_url": data["archive_url"],
        }
        identity = {k: fields[k] for k in ("url", "publisher", "title", "published_on")}
        source = Source.objects.matching(**identity).first()
        if source and all(getattr(source, k) == v for k, v in fields.items()):
            return source
        source = source or Source()
        for name, value in fields.items():
            setattr(source, name, value)
        return source if self.save(row, source, dict.fromkeys(fields, "sources")) else None

    def save(self, row, instance, columns, exclude=()):
        """Validate and save one instance; on refusal, name the row and column."""
        try:
            instance.full_clean(exclude=list(exclude))
        except ValidationError as error:
            self.refuse_validation(row, error, columns)
            return False
        if isinstance(instance, Record):
            instance.mark_changed(by=self.user, reason=CHANGE_REASON)
        else:
            instance._change_reason = CHANGE_REASON
        try:
            with transaction.atomic():
                instance.save()
        except IntegrityError as error:
            self.refuse(row, None, f"the database refused it: {error}")
            return False
        return True

    def known_events(self):
        """Events the related files may refer to: those in events.csv, then the database."""
        slugs = set()
        for table in (PARTICIPATIONS, OUTCOMES):
            for row in self.tables.get(table, []):
                slugs.add(row.values.get("event"))
                for key in ("carried_out_by", "carried_out_in_part_by"):
                    slugs.update(split(row.values.get(key) or ""))
        missing = slugs - set(self.events) - {None, ""}
        self.events |= Event.objects.in_bulk(missing, field_name="slug")

    def collect_parties_and_people(self):
        """Parties and people named in participations.csv, checked for consistency, then
        created or updated once each."""
        parties, people = {}, {}
        for row in self.tables.get(PARTICIPATIONS, []):
            v = row.values
            if v.get("party"):
                self._collect(row, parties, v["party"], "party", _party_info(v))
            if v.get("side"):
                self._collect(row, parties, v["side"], "side", {"name": v["side_name"]})
            if v.get("person"):
                self._collect(row, people, v["person"], "person", {"name": v["person_name"]})
        for row in self.tables.get(OUTCOMES, []):
            for column in ("agreed_by", "rejected_by"):
                try:
                    named = parse_party_lines(row.values.get(column) or "")
                except CellError as error:
                    self.refuse(row, column, str(error))
                    continue
                for slug, name in named:
                    self._collect(row, parties, slug, column, {"name": name})
        for slug, (row, column, info) in parties.items():
            party = Party.objects.filter(slug=slug).first() or Party(slug=slug, kind="other")
            if party.pk and all(getattr(party, k) == val for k, val in info.items()):
                self.parties[slug] = party
                continue
            for name, value in info.items():
                setattr(party, name, value)
            name_column = column if column.endswith("_by") else f"{column}_name"
            names = {"name": name_column, "kind": "party_kind", "country": "party_country"}
            if self.save(row, party, names):
                self.parties[slug] = party
        for slug, (row, _column, info) in people.items():
            person = Person.objects.filter(slug=slug).first() or Person(slug=slug)
            if person.pk and person.name == info["name"]:
                self.people[slug] = person
                continue
            person.name = info["name"]
            if self.save(row, person, {"name": "person_name"}):
                self.people[slug] = person

    def _collect(self, row, registry, slug, column, info):
        if slug in registry:
            first_row, first_column, known = registry[slug]
            for key, value in info.items():
                if key in known and known[key] != value:
                    name_column = column if column.endswith("_by") else f"{column}_name"
                    self.refuse(
                        row,
                        name_column if key == "name" else f"party_{key}",
                        f"{slug!r} is given as {value!r} here but as {known[key]!r} on "
                        f"line {first_row.line}",
                    )
            known.update(info)
        else:
            registry[slug] = (row, column, dict(info))

    # Participations and outcomes, replaced per event

    def import_children(self, table, write):
        rows_by_event = defaultdict(list)
        for row in self.tables.get(table, []):
            slug = row.values.get("event")
            if slug not in self.events:
                self.refuse(row, "event", f"unknown event {slug!r}")
                continue
            rows_by_event[slug].append(row)
        slugs = list(rows_by_event)
        for start in range(0, len(slugs), BATCH):
            batch = slugs[start : start + BATCH]
            existing = _existing(batch)
            for slug in batch:
                self.replace_children(table, write, existing[slug], rows_by_event[slug])
            if self.progress and len(slugs) > BATCH:
                done = min(start + BATCH, len(slugs))
                self.progress(f"{table.name}: {done}/{len(slugs)} events")

    def replace_children(self, table, write, event, rows):
        rows.sort(key=lambda r: r.values.get("position") or 0)
        positions = [r.values.get("position") for r in rows]
        if positions != list(range(1, len(rows) + 1)):
            self.refuse(rows[0], "position", f"positions for {event.slug!r} should run 1, 2, 3…")
            return
        current = [
            table.row(obj, {"position": n}) for n, obj in enumerate(related_rows(table, event), 1)
        ]
        if len(current) == len(rows) and all(
            _same(table, cur, row.text) for cur, row in zip(current, rows, strict=True)
        ):
            self.report.note(table.name, event.slug, "unchanged")
            return
        related_rows(table, event).all().delete()
        for row in rows:
            write(event, row)
        # The event changed with its parts: admin pages opened before now are stale, and
        # the seed loader must see who changed it.
        Event.objects.filter(pk=event.pk).record_change(by=self.user, reason=CHANGE_REASON)
        action = "replaced" if current else "created"
        self.report.note(table.name, event.slug, action, f"{len(current)} → {len(rows)} rows")

    def write_participations(self, event, row):
        v = row.values
        participation = Participation(
            event=event,
            position=v["position"],
            person=self.people.get(v["person"]) if v["person"] else None,
            party=self.parties.get(v["party"]) if v["party"] else None,
            side=self.parties.get(v["side"]) if v["side"] else None,
            role=v["role"],
            title=v["title"],
            note=v["note"],
        )
        columns = {"person": "person", "party": "party", "side": "side", "role": "role"}
        self.save(row, participation, columns | {"title": "title", "note": "note"})

    def write_outcomes(self, event, row):
        v = row.values
        outcome = Outcome(
            event=event,
            position=v["position"],
            kind=v["kind"],
            status=v["status"],
            description=v["description"],
            quantity=v["quantity"],
            unit=v["unit"],
            note=v["note"],
        )
        if not self.save(row, outcome, {name: name for name in v}):
            return
        for column in ("agreed_by", "rejected_by"):
            slugs = [slug for slug, _name in parse_party_lines(v[column])]
            getattr(outcome, column).set([self.parties[slug] for slug in slugs])
        for column, extent in (
            ("carried_out_by", Implementation.Extent.FULL),
            ("carried_out_in_part_by", Implementation.Extent.PARTIAL),
        ):
            for slug in split(v[column]):
                if slug not in self.events:
                    self.refuse(row, column, f"unknown event {slug!r}")
                    continue
                implementation = Implementation(
                    outcome=outcome, event=self.events[slug], extent=extent
                )
                self.save(row, implementation, {"event": column, "__all__": column})


def _party_info(values):
    return {
        "name": values["party_name"],
        "kind": values["party_kind"] or Party.Kind.OTHER,
        "country": values["party_country"],
    }


def _existing(slugs):
    """Events by slug, with everything export writes prefetched (a few queries a batch)."""
    events = Event.objects.filter(slug__in=slugs).for_export(include_drafts=True)
    return {event.slug: event for event in events}


def _same(table, current, cells):
    """Would export write these cells? Derived columns and the id are not compared."""
    for column, now, given in zip(table.columns, current, cells, strict=True):
        if column.derived or column.name == "id":
            continue
        if now != given:
            return False
    return True


def import_tables(*, files, dry_run=False, progress=None, user=None):
    """Import CSV files given as ``{name: path or file object}``.

    Returns an :class:`ImportReport`; raises :class:`ImportRefused` listing every problem
    (file, line, column, reason) when anything is wrong, in which case nothing is written.
    ``user`` is recorded as having changed what the import changes.
    """
    problems = []
    tables = {}
    for name, source in files.items():
        table, rows = read_table(name, source, problems, progress)
        if table is None:
            continue
        if table in tables:
            problems.append(Problem(name, None, None, f"is a second {table.name} file"))
            continue
        tables[table] = rows
    if problems:
        raise ImportRefused(problems)

    report = ImportReport(dry_run=dry_run)
    with transaction.atomic():
        importer = _Importer(tables, report, problems, progress, user)
        importer.run()
        if problems:
            transaction.set_rollback(True)
            raise ImportRefused(problems)
        if dry_run:
            transaction.set_rollback(True)
    return report
