"""Read the seed files (``seeds/``) and load them: the same checks, plan and writes as a CSV
import, from the same field map.

The seed files are YAML, keyed by slugs, one file per process and year (see
``seeds/README.md``). Reading turns them into the rows a CSV import reads (events,
participations, outcomes, links; named by the columns of ``tracker.columns``) plus the
whole records of processes, parties and people, which carry fields the CSV files leave
out. Checking, planning and writing are the import's own steps, so a field's rules and
its way into the database are defined once. Loading is all or nothing; loading twice
changes nothing; a record an editor changed in the admin is left alone (reported as
skipped) unless ``update=True``, and so is an event deleted there.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import models, transaction
from django.utils.dateparse import parse_duration

from .cells import CellError, check_date, check_duration, check_text
from .columns import EVENTS, LINKS, OUTCOMES, PARTICIPATIONS, CarriedOut, PartyList, Sources
from .consistency import check_events
from .imports import ImportRefused, Options, build_plan
from .imports.plan import CHANGED, CREATED, DELETED, SKIPPED, THROUGH_PARTS, UNCHANGED
from .imports.read import Row
from .imports.write import write_plan
from .models import Conflict, Event, Implementation, Party, Person, Process, RecordVersion

CHANGE_REASON = "Loaded from the seed files"

#: Columns the seed format names differently (it predates the map): column -> seed key.
SEED_NAMES = {
    "start_date": "start",
    "end_date": "end",
    "date_precision": "precision",
    "to_event": "event",
}
#: What the seeds require beyond what import requires: a summary and a source for every event.
EVENT_REQUIRED = ["slug", "title", "kind", "start", "summary", "sources"]
PARTS = {"participants": PARTICIPATIONS, "outcomes": OUTCOMES, "links": LINKS}
RECORDS = {
    "conflicts": (
        Conflict,
        {"slug", "name", "status"},
        {
            "description": "description",
            "countries": "countries",
            "start": "start_date",
            "end": "end_date",
        },
    ),
    "parties": (Party, {"slug", "name", "kind"}, {"country": "country", "wikidata": "wikidata_id"}),
    "people": (Person, {"slug", "name"}, {"party": "party", "wikidata": "wikidata_id"}),
    "processes": (
        Process,
        {"slug", "title", "conflict", "status"},
        {
            "description": "description",
            "start": "start_date",
            "end": "end_date",
            "position": "position",
        },
    ),
}


class SeedError(Exception):
    """One or more problems in the seed files; nothing was written."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Report:
    """What a load did, per kind of record."""

    counts: dict = field(default_factory=lambda: defaultdict(Counter))
    skipped: list = field(default_factory=list)
    warnings: list = field(default_factory=list)  # consistency.Finding, after loading

    def add(self, kind, outcome, label=None, reason=None):
        self.counts[kind][outcome] += 1
        if outcome == "skipped":
            self.skipped.append(f"{kind} {label}: {reason}")

    def total(self, outcome):
        return sum(counter[outcome] for counter in self.counts.values())

    def lines(self):
        for kind, counter in self.counts.items():
            outcomes = ("created", "updated", "deleted", "unchanged", "skipped")
            parts = ", ".join(f"{counter[o]} {o}" for o in outcomes if counter[o])
            yield f"{kind}: {parts}"
        for line in self.skipped:
            yield f"  skipped {line}"

    @classmethod
    def of(cls, plan):
        report = cls()
        names = {
            CREATED: "created",
            CHANGED: "updated",
            THROUGH_PARTS: "updated",
            DELETED: "deleted",
            UNCHANGED: "unchanged",
        }
        for kind, counts in plan.counts().items():
            for action, n in counts.items():
                if action in names:
                    report.counts[kind][names[action]] += n
        for model, skipped in plan.skipped.items():
            for label, reason in skipped:
                report.add(str(model._meta.verbose_name_plural), SKIPPED, label, reason)
        return report


# Seed values: YAML gives dates, times and durations in its own ways ------------------------


def _as_date(value):
    if value is None or value == "":
        return None
    if not isinstance(value, datetime.date):
        value = datetime.date.fromisoformat(str(value))
    return check_date(value)


def _as_time(value):
    if value is None:
        return None
    if isinstance(value, int):  # YAML 1.1 reads 13:35 as a sexagesimal number
        return datetime.time(value // 60, value % 60)
    return datetime.time.fromisoformat(str(value))


def _as_duration(value):
    if value is None:
        return None
    if isinstance(value, int):  # 1:55 read as sexagesimal minutes
        return check_duration(datetime.timedelta(minutes=value))
    parsed = parse_duration(str(value))
    if parsed is None:
        raise ValueError(f"{value!r} is not a duration such as 1:55:00")
    return check_duration(parsed)


def _as_text(value):
    if isinstance(value, list):
        return "\n".join(str(item).strip() for item in value)
    return check_text("" if value is None else str(value).strip())


CONVERT = {
    "date": _as_date,
    "time": _as_time,
    "duration": _as_duration,
    "string": _as_text,
    "integer": lambda value: value,
}


class _Problems(list):
    def add(self, where, reason):
        self.append(f"{where}: {reason}")


def _check_keys(problems, where, data, required, optional, lists=()):
    if not isinstance(data, dict):
        problems.add(where, f"expected a mapping of fields, found {type(data).__name__}")
        return False
    wrong = [k for k in data if k in lists and not isinstance(data[k], list)]
    if wrong:
        problems.add(where, f"{', '.join(wrong)} should be a list")
        return False
    missing = [k for k in required if data.get(k) in (None, "", [])]
    unknown = sorted(set(data) - set(required) - set(optional))
    if missing:
        problems.add(where, f"missing {', '.join(missing)}")
    if unknown:
        problems.add(where, f"unknown field(s) {', '.join(unknown)}")
    return not missing and not unknown


# Seed entries as rows of the field map ------------------------------------------------------


def _seed_keys(table):
    """``{seed key: column}``: the part of a table's columns that seed entries write."""
    keys = {}
    for column in table.columns:
        if column.derived or column.name in ("id", "event", "from_event", "position", "process"):
            continue
        if column.relation and column.path[1] != "slug":
            continue  # names of referenced records come from parties.yaml and people.yaml
        key = column.relation if column.relation and column.relation != "to_event" else column.name
        keys[SEED_NAMES.get(key, key)] = column
    return keys


def _row(table, label, where, data, keys, fixed):
    """A row of ``table`` from one seed entry: every column the entry could give, with the
    model's default where it gives none (an entry is the whole truth about its record)."""
    values, problems = dict(fixed), []
    for key, column in keys.items():
        if key not in data or data[key] in (None, ""):
            values[column.name] = _default(column)
            continue
        try:
            values[column.name] = _seed_value(column, data[key])
        except (CellError, ValueError, TypeError) as error:
            problems.append(f"{label}: {where}: {key}: {error}")
    return Row(
        table, label, None, values, where=where, ok=not problems, columns=frozenset(values)
    ), problems


def _default(column):
    if column.codec:
        return []
    if column.relation:
        return ""
    field = column.target
    return field.get_default() if field.has_default() else ("" if column.type == "string" else None)


def _seed_value(column, value):
    if isinstance(column.codec, Sources):
        return [_seed_source(source) for source in value]
    if isinstance(column.codec, PartyList | CarriedOut):
        return list(value)
    return CONVERT[column.type](value)


def _seed_source(source):
    parts = {
        part: _as_text(source.get(part, ""))
        for part in ("url", "publisher", "title", "archive_url", "supports")
    }
    return parts | {
        "published": _as_date(source.get("published")),
        "accessed": _as_date(source.get("accessed")),
    }


@dataclass
class SeedData:
    tables: dict
    records: dict
    names: dict  # party slug -> name, for the outcome columns that name parties


def _read_yaml(path, base, problems):
    label = str(path.relative_to(base.parent))
    try:
        with path.open(encoding="utf-8") as handle:
            return label, yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        problems.add(label, f"cannot be read: {error}")
        return label, None


def _read_records(base, problems):
    records = {}
    for name, (model, required, optional) in RECORDS.items():
        path = base / f"{name}.yaml"
        records[model] = []
        if not path.exists():
            problems.add(f"{base.name}/{name}.yaml", "file is missing")
            continue
        label, data = _read_yaml(path, base, problems)
        if data is not None and not (isinstance(data, dict) and isinstance(data.get(name), list)):
            problems.add(label, f"expected a top-level list called {name!r}")
            data = None
        seen = set()
        for entry in (data or {}).get(name, []):
            slug = entry.get("slug") if isinstance(entry, dict) else entry
            where = f"{model._meta.verbose_name} {slug!r}"
            if not _check_keys(
                problems, f"{label}: {where}", entry, sorted(required), list(optional)
            ):
                continue
            if slug in seen:
                problems.add(
                    f"{label}: {where}", f"{model._meta.verbose_name} slug {slug!r} is used twice"
                )
            seen.add(slug)
            records[model].append(_record(model, label, where, entry, optional, problems))
    return records


def _record(model, label, where, entry, optional, problems):
    """``(slug, {field: value}, row)`` of a whole record; fields the entry leaves out take
    the model's default."""
    keys = {key: key for key in entry if key not in optional and key != "slug"} | optional
    fields = {}
    for key, name in keys.items():
        model_field = model._meta.get_field(name)
        value = entry.get(key)
        try:
            if model_field.is_relation:
                fields[name] = value or ""
            elif value is None:
                fields[name] = model_field.get_default()
            elif isinstance(model_field, models.DateField):
                fields[name] = _as_date(value)
            elif isinstance(value, list):  # countries: stored sorted, as the field keeps them
                fields[name] = sorted(str(item) for item in value)
            else:
                fields[name] = _as_text(value) if isinstance(value, str) else value
        except (ValueError, CellError) as error:
            problems.add(f"{label}: {where}", f"{key}: {error}")
    return entry["slug"], fields, Row(None, label, None, {}, where=where)


def _read_events(base, problems):
    entries = []
    for path in sorted((base / "events").glob("*/*.yaml")):
        label, data = _read_yaml(path, base, problems)
        if data is None or not _check_keys(problems, label, data, ["process", "events"], []):
            continue
        if path.stem != data["process"]:
            problems.add(label, f"file name should match its process {data['process']!r}")
        if not isinstance(data["events"], list):
            problems.add(label, "'events' should be a list")
            continue
        entries += [(label, path.parent.name, data["process"], entry) for entry in data["events"]]
    return entries


def _event_rows(entries, tables, problems):
    keys = _seed_keys(EVENTS)
    optional = [k for k in keys if k not in EVENT_REQUIRED] + list(PARTS)
    slugs = {}
    for label, year, process, entry in entries:
        slug = entry.get("slug") if isinstance(entry, dict) else None
        where = f"event {slug}" if slug else f"event {entry!r}"
        if not _check_keys(
            problems,
            f"{label}: {where}",
            entry,
            EVENT_REQUIRED,
            optional,
            lists={*PARTS, "sources", "unverified"},
        ):
            continue
        if slug in slugs:
            problems.add(f"{label}: {where}", f"event slug {slug!r} is also used in {slugs[slug]}")
        slugs[slug] = label
        data = {"status": Event.Status.PUBLISHED} | entry
        row, found = _row(EVENTS, label, where, data, keys, {"process": process})
        problems += found
        if row.ok and str(row.values["start_date"].year) != year:
            problems.add(
                f"{label}: {where}",
                f"starts in {row.values['start_date'].year} but is filed under {year}/",
            )
        tables[EVENTS].append(row)
        for key, table in PARTS.items():
            _part_rows(table, label, where, slug, entry.get(key, []), tables, problems)


def _part_rows(table, label, where, slug, entries, tables, problems):
    keys = _seed_keys(table)
    name = {PARTICIPATIONS: "participant", OUTCOMES: "outcome", LINKS: "link"}[table]
    required = [k for k, c in keys.items() if c.required]
    if table is OUTCOMES:
        keys = {k: c for k, c in keys.items() if not isinstance(c.codec, CarriedOut)}
    for n, entry in enumerate(entries, 1):
        part_where = f"{where}: {name} {n}"
        optional = [k for k in keys if k not in required] + (
            ["carried_out_by"] if table is OUTCOMES else []
        )
        if not _check_keys(
            problems,
            f"{label}: {part_where}",
            entry,
            required,
            optional,
            lists={"agreed_by", "rejected_by", "carried_out_by"},
        ):
            continue
        owner = {"from_event": slug} if table is LINKS else {"event": slug, "position": n}
        if table is OUTCOMES:
            entry, owner = _carried_out(entry, owner, label, part_where, problems)
        row, found = _row(table, label, part_where, entry, keys, owner)
        problems += found
        tables[table].append(row)


def _carried_out(entry, owner, label, where, problems):
    """The seed format lists who carried an outcome out as ``{event, extent}`` entries; the
    map has a column per extent."""
    columns = {"full": "carried_out_by", "partial": "carried_out_in_part_by"}
    owner = owner | {name: [] for name in columns.values()}
    for done in entry.get("carried_out_by", []):
        if not _check_keys(
            problems, f"{label}: {where}: carried_out_by", done, ["event"], ["extent"]
        ):
            continue
        extent = done.get("extent", Implementation.Extent.FULL)
        if extent not in columns:
            problems.add(f"{label}: {where}", f"extent {extent!r} is not one of: full, partial")
            continue
        owner[columns[extent]].append(done["event"])
    return {k: v for k, v in entry.items() if k != "carried_out_by"}, owner


def _check_references(seeds, problems):
    """Seed entries refer only to the parties and people of the seed files."""
    known = {
        model: {slug for slug, _f, _r in seeds.records[model]} for model in (Party, Person, Process)
    }
    for row in seeds.tables[EVENTS]:
        if row.values.get("process") not in known[Process]:
            problems.add(
                f"{row.file}: {row.where}", f"unknown process {row.values.get('process')!r}"
            )
    for row in seeds.tables[PARTICIPATIONS]:
        for key, model in (("person", Person), ("party", Party), ("side", Party)):
            if row.values.get(key) and row.values[key] not in known[model]:
                problems.add(
                    f"{row.file}: {row.where}",
                    f"unknown {model._meta.verbose_name} {row.values[key]!r}",
                )
    for row in seeds.tables[OUTCOMES]:
        for key in ("agreed_by", "rejected_by"):
            named = []
            for slug in row.values.get(key, []):
                if slug not in known[Party]:
                    problems.add(f"{row.file}: {row.where}", f"unknown party {slug!r}")
                named.append((slug, seeds.names.get(slug, "")))
            row.values[key] = named
    for model, entries in seeds.records.items():
        for _slug, fields, row in entries:
            if model is Person and fields.get("party") and fields["party"] not in known[Party]:
                problems.add(f"{row.file}: {row.where}", f"unknown party {fields['party']!r}")


def read_seeds(directory):
    """Read and check the form of every seed file; raise :class:`SeedError` listing all
    problems. Returns the rows and records the import's steps plan from."""
    base = Path(directory)
    problems = _Problems()
    records = _read_records(base, problems)
    tables = {EVENTS: [], PARTICIPATIONS: [], OUTCOMES: [], LINKS: []}
    _event_rows(_read_events(base, problems), tables, problems)
    names = {slug: fields["name"] for slug, fields, _row in records[Party]}
    seeds = SeedData(tables, records, names)
    _check_references(seeds, problems)
    if problems:
        raise SeedError(list(problems))
    return seeds


def _plan(seeds, *, update):
    options = Options(confirm_renames=True, confirm_new=True, complete=True, keep_edited=not update)
    try:
        return build_plan(seeds.tables, options=options, records=seeds.records)
    except ImportRefused as refused:
        raise SeedError([_seed_problem(p) for p in refused.problems]) from None


def _seed_problem(problem):
    where = f"{problem.file}: {problem.where}" if problem.where else problem.file
    return (
        f"{where}: {problem.column}: {problem.message}"
        if problem.column
        else f"{where}: {problem.message}"
    )


def load_seeds(*, directory, update=False, dry_run=False, progress=None):
    """Check and load the seed files in one transaction; return a :class:`Report`.

    With ``dry_run`` everything is checked and counted, then rolled back. The seeded
    events, as they stand after loading, go through the consistency check
    (``report.warnings``).
    """
    seeds = read_seeds(directory)
    with transaction.atomic():
        RecordVersion.queue_write()
        plan = _plan(seeds, update=update)
        if progress:
            progress(f"  planned: {'; '.join(plan.lines())}")
        report = Report.of(plan)
        write_plan(plan, by=None, reason=CHANGE_REASON)
        slugs = [row.values["slug"] for row in seeds.tables[EVENTS]]
        report.warnings = check_events(Event.objects.filter(slug__in=slugs))
        if dry_run:
            transaction.set_rollback(True)
    return report
