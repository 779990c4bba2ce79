"""Read the seed files (``seeds/``) and load them into the record.

The seed files are YAML, keyed by slugs, one file per process and year (see
``seeds/README.md``). Loading is all or nothing: every file is read and checked first,
and any problem stops the load with the file, the record and the reason, before a
single row is written. Loading twice changes nothing; a record an editor changed in the
admin is left alone (reported as skipped) unless ``update=True``.
"""

import datetime
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_duration

from .consistency import check_events
from .models import (
    Citation,
    Event,
    EventLink,
    Implementation,
    Outcome,
    Participation,
    Party,
    Person,
    Process,
    Source,
)

CHANGE_REASON = "Loaded from the seed files"


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
            parts = ", ".join(
                f"{counter[o]} {o}"
                for o in ("created", "updated", "unchanged", "skipped")
                if counter[o]
            )
            yield f"{kind}: {parts}"
        for line in self.skipped:
            yield f"  skipped {line}"


# Reading and checking ------------------------------------------------------------------


class _Problems:
    def __init__(self):
        self.items = []

    def add(self, where, reason):
        self.items.append(f"{where}: {reason}")


def _fingerprint(data):
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _as_date(value):
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


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
        return datetime.timedelta(minutes=value)
    parsed = parse_duration(str(value))
    if parsed is None:
        raise ValueError(f"{value!r} is not a duration such as 1:55:00")
    return parsed


LIST_FIELDS = {
    "participants",
    "outcomes",
    "links",
    "sources",
    "unverified",
    "agreed_by",
    "rejected_by",
    "carried_out_by",
}


def _check_keys(problems, where, data, required, optional):
    if not isinstance(data, dict):
        problems.add(where, f"expected a mapping of fields, found {type(data).__name__}")
        return False
    wrong = [k for k in data if k in LIST_FIELDS and not isinstance(data[k], list)]
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


def _check_choice(problems, where, name, value, choices):
    if value not in choices.values:
        problems.add(where, f"{name} {value!r} is not one of {', '.join(choices.values)}")


def _full_clean(problems, where, instance, exclude):
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                problems.add(where, message if name == "__all__" else f"{name}: {message}")


@dataclass
class SeedData:
    parties: list
    people: list
    processes: list
    events: list  # (file label, process slug, event dict)


def _read_yaml(path, base, problems):
    label = str(path.relative_to(base.parent))
    try:
        with path.open(encoding="utf-8") as handle:
            return label, yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        problems.add(label, f"cannot be read: {error}")
        return label, None


EVENT_REQUIRED = ["slug", "title", "kind", "start", "summary", "sources"]
EVENT_OPTIONAL = [
    "end",
    "precision",
    "start_time",
    "duration",
    "duration_note",
    "venue",
    "city",
    "region",
    "country",
    "source_notes",
    "unverified",
    "status",
    "participants",
    "outcomes",
    "links",
]


def read_seeds(directory):
    """Read and check every seed file; raise :class:`SeedError` listing all problems."""
    base = Path(directory)
    problems = _Problems()
    lists = {}
    for name, key in (("parties", "parties"), ("people", "people"), ("processes", "processes")):
        path = base / f"{name}.yaml"
        if not path.exists():
            problems.add(f"{base.name}/{name}.yaml", "file is missing")
            lists[key] = []
            continue
        label, data = _read_yaml(path, base, problems)
        if data is not None and not (isinstance(data, dict) and isinstance(data.get(key), list)):
            problems.add(label, f"expected a top-level list called {key!r}")
            data = None
        lists[key] = [(label, row) for row in (data or {}).get(key, [])]

    events = []
    for path in sorted((base / "events").glob("*/*.yaml")):
        label, data = _read_yaml(path, base, problems)
        if data is None:
            continue
        if not _check_keys(problems, label, data, ["process", "events"], []):
            continue
        if path.stem != data["process"]:
            problems.add(label, f"file name should match its process {data['process']!r}")
        if not isinstance(data["events"], list):
            problems.add(label, "'events' should be a list")
            continue
        for row in data["events"]:
            events.append((label, path.parent.name, data["process"], row))

    seeds = _check(problems, lists, events)
    if problems.items:
        raise SeedError(problems.items)
    return seeds


def _check(problems, lists, events):
    party_slugs, person_slugs, process_slugs, event_slugs = set(), set(), set(), {}
    parties, people, processes, checked_events = [], [], [], []

    def unique(where, registry, slug, kind):
        if slug in registry:
            problems.add(where, f"{kind} slug {slug!r} is used twice")
        registry.add(slug)

    for label, row in lists["parties"]:
        where = f"{label}: party {row.get('slug') if isinstance(row, dict) else row!r}"
        if not _check_keys(problems, where, row, ["slug", "name", "kind"], ["country", "wikidata"]):
            continue
        unique(where, party_slugs, row["slug"], "party")
        party = Party(
            slug=row["slug"],
            name=row["name"],
            kind=row["kind"],
            country=row.get("country", ""),
            wikidata_id=row.get("wikidata", ""),
        )
        _full_clean(problems, where, party, exclude=[])
        parties.append(row)

    for label, row in lists["people"]:
        where = f"{label}: person {row.get('slug') if isinstance(row, dict) else row!r}"
        if not _check_keys(problems, where, row, ["slug", "name"], ["party", "wikidata"]):
            continue
        unique(where, person_slugs, row["slug"], "person")
        if row.get("party") and row["party"] not in party_slugs:
            problems.add(where, f"unknown party {row['party']!r}")
        person = Person(slug=row["slug"], name=row["name"], wikidata_id=row.get("wikidata", ""))
        _full_clean(problems, where, person, exclude=["party"])
        people.append(row)

    for label, row in lists["processes"]:
        where = f"{label}: process {row.get('slug') if isinstance(row, dict) else row!r}"
        required = ["slug", "title", "conflict", "status"]
        optional = ["description", "start", "end", "position"]
        if not _check_keys(problems, where, row, required, optional):
            continue
        unique(where, process_slugs, row["slug"], "process")
        try:
            process = Process(
                slug=row["slug"],
                title=row["title"],
                conflict=row["conflict"],
                description=row.get("description", ""),
                status=row["status"],
                start_date=_as_date(row.get("start")),
                end_date=_as_date(row.get("end")),
                position=row.get("position", 100),
            )
        except ValueError as error:
            problems.add(where, str(error))
            continue
        _full_clean(problems, where, process, exclude=[])
        processes.append(row)

    for label, year, process_slug, row in events:
        slug = row.get("slug") if isinstance(row, dict) else None
        where = f"{label}: event {slug or row!r}"
        if not _check_keys(problems, where, row, EVENT_REQUIRED, EVENT_OPTIONAL):
            continue
        if slug in event_slugs:
            problems.add(where, f"event slug {slug!r} is also used in {event_slugs[slug]}")
        event_slugs[slug] = label
        if process_slug not in process_slugs:
            problems.add(where, f"unknown process {process_slug!r}")
        try:
            event = Event(
                slug=slug,
                title=row["title"],
                kind=row["kind"],
                start_date=_as_date(row["start"]),
                end_date=_as_date(row.get("end")),
                date_precision=row.get("precision", Event.Precision.DAY),
                start_time=_as_time(row.get("start_time")),
                duration=_as_duration(row.get("duration")),
                duration_note=row.get("duration_note", ""),
                venue=row.get("venue", ""),
                city=row.get("city", ""),
                region=row.get("region", ""),
                country=row.get("country", ""),
                summary=row["summary"],
                source_notes=row.get("source_notes", ""),
                unverified="\n".join(row.get("unverified", [])),
                status=row.get("status", Event.Status.PUBLISHED),
            )
        except (ValueError, TypeError) as error:
            problems.add(where, str(error))
            continue
        _full_clean(problems, where, event, exclude=["process"])
        if event.end_date and event.end_date < event.start_date:
            problems.add(where, "the end date is before the start date")
        if str(event.start_date.year) != year:
            problems.add(where, f"starts in {event.start_date.year} but is filed under {year}/")
        row = {**row, "process": process_slug, "_start": event.start_date}
        _check_event_parts(problems, where, row, party_slugs, person_slugs)
        checked_events.append((label, row))

    starts = {row["slug"]: row["_start"] for _label, row in checked_events}
    for label, row in checked_events:
        where = f"{label}: event {row['slug']}"
        for n, link in enumerate(row.get("links", []), 1):
            if isinstance(link, dict) and link.get("event") not in starts:
                problems.add(where, f"link {n}: unknown event {link.get('event')!r}")
        for n, outcome in enumerate(row.get("outcomes", []), 1):
            for done in outcome.get("carried_out_by", []) if isinstance(outcome, dict) else []:
                target = done.get("event") if isinstance(done, dict) else None
                if target not in starts:
                    problems.add(where, f"outcome {n}: carried out by unknown event {target!r}")
                elif starts[target] < row["_start"]:
                    problems.add(
                        where,
                        f"outcome {n}: carried out by {target}, which is dated before the "
                        "agreement",
                    )
    return SeedData(parties, people, processes, [row for _label, row in checked_events])


def _check_event_parts(problems, where, row, party_slugs, person_slugs):
    def known_party(w, slug):
        if slug is not None and slug not in party_slugs:
            problems.add(w, f"unknown party {slug!r}")

    seen = set()
    for n, part in enumerate(row.get("participants", []), 1):
        w = f"{where}: participant {n}"
        optional = ["person", "party", "side", "title", "note"]
        if not _check_keys(problems, w, part, ["role"], optional):
            continue
        if not part.get("person") and not part.get("party"):
            problems.add(w, "names neither a person nor a party")
        if part.get("person") and part["person"] not in person_slugs:
            problems.add(w, f"unknown person {part['person']!r}")
        known_party(w, part.get("party"))
        known_party(w, part.get("side"))
        _check_choice(problems, w, "role", part["role"], Participation.Role)
        key = (part.get("person") or f"party:{part.get('party')}", part["role"])
        if key in seen:
            problems.add(w, f"{key[0]} is listed twice as {part['role']}")
        seen.add(key)

    for n, outcome in enumerate(row.get("outcomes", []), 1):
        w = f"{where}: outcome {n}"
        optional = ["quantity", "unit", "note", "agreed_by", "rejected_by", "carried_out_by"]
        if not _check_keys(problems, w, outcome, ["kind", "status", "description"], optional):
            continue
        _check_choice(problems, w, "kind", outcome["kind"], Outcome.Kind)
        _check_choice(problems, w, "status", outcome["status"], Outcome.Status)
        quantity = outcome.get("quantity")
        if quantity is not None and not (isinstance(quantity, int) and quantity >= 0):
            problems.add(w, f"quantity {quantity!r} is not a whole number")
        if quantity is not None and not outcome.get("unit"):
            problems.add(w, "a quantity needs a unit")
        for key in ("agreed_by", "rejected_by"):
            for slug in outcome.get(key, []):
                known_party(w, slug)
        for done in outcome.get("carried_out_by", []):
            if _check_keys(problems, f"{w}: carried_out_by", done, ["event"], ["extent"]):
                extent = done.get("extent", Implementation.Extent.FULL)
                _check_choice(problems, w, "extent", extent, Implementation.Extent)

    for n, link in enumerate(row.get("links", []), 1):
        w = f"{where}: link {n}"
        if _check_keys(problems, w, link, ["relation", "event"], ["note"]):
            _check_choice(problems, w, "relation", link["relation"], EventLink.Relation)
            if link["event"] == row["slug"]:
                problems.add(w, "an event cannot be linked to itself")

    for n, source in enumerate(row.get("sources", []), 1):
        w = f"{where}: source {n}"
        optional = ["url", "title", "published", "accessed", "archive_url", "supports"]
        if not _check_keys(problems, w, source, ["publisher"], optional):
            continue
        if not source.get("url") and not source.get("title"):
            problems.add(w, "a source without a URL needs a title")
        try:
            instance = _source_instance(source)
        except ValueError as error:
            problems.add(w, str(error))
            continue
        _full_clean(problems, w, instance, exclude=[])


def _source_instance(row):
    return Source(
        url=row.get("url", ""),
        title=row.get("title", ""),
        publisher=row["publisher"],
        published_on=_as_date(row.get("published")),
        accessed_on=_as_date(row.get("accessed")),
        archive_url=row.get("archive_url", ""),
    )


# Writing ---------------------------------------------------------------------------


def _source_key(row):
    return Source.identity(
        url=row.get("url", ""),
        publisher=row["publisher"],
        title=row.get("title", ""),
        published_on=_as_date(row.get("published")),
    )


def _source_fields(row):
    instance = _source_instance(row)
    return {
        f: getattr(instance, f)
        for f in ("url", "title", "publisher", "published_on", "accessed_on", "archive_url")
    }


class _Loader:
    def __init__(self, seeds, *, update, report, progress):
        self.seeds = seeds
        self.update = update
        self.report = report
        self.progress = progress
        self.parties = {}
        self.people = {}
        self.processes = {}
        self.sources = {}
        self.events = {}

    def upsert(self, kind, model, lookup, fields, data):
        """Create, update or leave one record; return it (or the untouched existing one)."""
        fingerprint = _fingerprint(data)
        label = lookup.get("slug") or lookup.get("url") or lookup.get("title")
        instance = model.objects.filter(**lookup).first()
        if instance is None:
            if model is Event and self._deleted_in_admin(lookup) and not self.update:
                self.report.add(kind, "skipped", label, "deleted in the admin")
                return None, False
            instance = model(**lookup, **fields, seed_fingerprint=fingerprint)
            self._save(instance)
            self.report.add(kind, "created")
            return instance, True
        if instance.edited_by_person and not self.update:
            who = instance.changed_by.get_username() if instance.changed_by else "someone"
            self.report.add(kind, "skipped", label, f"changed in the admin by {who}")
            return instance, False
        if instance.seed_fingerprint == fingerprint and not instance.edited_by_person:
            self.report.add(kind, "unchanged")
            return instance, False
        for name, value in fields.items():
            setattr(instance, name, value)
        instance.seed_fingerprint = fingerprint
        self._save(instance)
        self.report.add(kind, "updated")
        return instance, True

    def _deleted_in_admin(self, lookup):
        return Event.history.filter(history_type="-", **lookup).exists()

    @staticmethod
    def _save(instance):
        instance.mark_changed(by=None, reason=CHANGE_REASON)
        instance.save()

    def run(self):
        for row in self.seeds.parties:
            fields = {
                "name": row["name"],
                "kind": row["kind"],
                "country": row.get("country", ""),
                "wikidata_id": row.get("wikidata", ""),
            }
            party, _ = self.upsert("parties", Party, {"slug": row["slug"]}, fields, row)
            self.parties[row["slug"]] = party
        for row in self.seeds.people:
            fields = {
                "name": row["name"],
                "party": self.parties.get(row.get("party")),
                "wikidata_id": row.get("wikidata", ""),
            }
            person, _ = self.upsert("people", Person, {"slug": row["slug"]}, fields, row)
            self.people[row["slug"]] = person
        for row in self.seeds.processes:
            fields = {
                "title": row["title"],
                "conflict": row["conflict"],
                "description": row.get("description", ""),
                "status": row["status"],
                "start_date": _as_date(row.get("start")),
                "end_date": _as_date(row.get("end")),
                "position": row.get("position", 100),
            }
            process, _ = self.upsert("processes", Process, {"slug": row["slug"]}, fields, row)
            self.processes[row["slug"]] = process
        self._load_sources()

        written = []
        for n, row in enumerate(self.seeds.events, 1):
            event, changed = self._load_event(row)
            self.events[row["slug"]] = event
            if changed:
                written.append((event, row))
            if self.progress and n % 10 == 0:
                self.progress(f"  {n}/{len(self.seeds.events)} events")
        for event, row in written:
            self._load_event_parts(event, row)
            self._load_relations(event, row)

    def _load_sources(self):
        rows = {}
        for event in self.seeds.events:
            for row in event["sources"]:
                fields = _source_fields(row)
                key = _source_key(row)
                if key in rows and _source_fields(rows[key]) != fields:
                    raise SeedError(
                        [f"source {key}: cited twice with different details ({event['slug']})"]
                    )
                rows[key] = row
        for key, row in rows.items():
            fields = _source_fields(row)
            # Looked up exactly as Source.identity() tells sources apart.
            identity = ["url"] if fields["url"] else ["url", "publisher", "title", "published_on"]
            lookup = {name: fields.pop(name) for name in identity}
            source, _ = self.upsert("sources", Source, lookup, fields, fields | lookup)
            self.sources[key] = source

    def _load_event(self, row):
        fields = {
            "process": self.processes[row["process"]],
            "title": row["title"],
            "kind": row["kind"],
            "start_date": _as_date(row["start"]),
            "end_date": _as_date(row.get("end")),
            "date_precision": row.get("precision", Event.Precision.DAY),
            "start_time": _as_time(row.get("start_time")),
            "duration": _as_duration(row.get("duration")),
            "duration_note": row.get("duration_note", ""),
            "venue": row.get("venue", ""),
            "city": row.get("city", ""),
            "region": row.get("region", ""),
            "country": row.get("country", ""),
            "summary": row["summary"].strip(),
            "source_notes": row.get("source_notes", "").strip(),
            "unverified": "\n".join(row.get("unverified", [])),
            "status": row.get("status", Event.Status.PUBLISHED),
        }
        data = {k: v for k, v in row.items() if not k.startswith("_")}
        event, changed = self.upsert("events", Event, {"slug": row["slug"]}, fields, data)
        if changed and event.status == Event.Status.PUBLISHED and not event.published_at:
            event.publish(by=None)
            event.save(update_fields=["published_at"])
        return event, changed

    def _load_event_parts(self, event, row):
        event.participations.all().delete()
        event.outcomes.all().delete()
        event.citations.all().delete()
        for position, part in enumerate(row.get("participants", []), 1):
            Participation.objects.create(
                event=event,
                person=self.people.get(part.get("person")),
                party=self.parties.get(part.get("party")),
                side=self.parties.get(part.get("side")),
                role=part["role"],
                title=part.get("title", ""),
                note=part.get("note", ""),
                position=position,
            )
        for position, source in enumerate(row["sources"], 1):
            Citation.objects.create(
                event=event,
                source=self.sources[_source_key(source)],
                supports=source.get("supports", ""),
                position=position,
            )

    def _load_relations(self, event, row):
        event.links_out.all().delete()
        for link in row.get("links", []):
            if self.events[link["event"]] is None:  # deleted in the admin
                continue
            EventLink.objects.create(
                from_event=event,
                relation=link["relation"],
                to_event=self.events[link["event"]],
                note=link.get("note", ""),
            )
        for position, item in enumerate(row.get("outcomes", []), 1):
            outcome = Outcome.objects.create(
                event=event,
                position=position,
                kind=item["kind"],
                status=item["status"],
                description=item["description"].strip(),
                quantity=item.get("quantity"),
                unit=item.get("unit", ""),
                note=item.get("note", "").strip(),
            )
            outcome.agreed_by.set([self.parties[s] for s in item.get("agreed_by", [])])
            outcome.rejected_by.set([self.parties[s] for s in item.get("rejected_by", [])])
            for done in item.get("carried_out_by", []):
                if self.events[done["event"]] is None:
                    continue
                Implementation.objects.create(
                    outcome=outcome,
                    event=self.events[done["event"]],
                    extent=done.get("extent", Implementation.Extent.FULL),
                )


def load_seeds(*, directory, update=False, dry_run=False, progress=None):
    """Check and load the seed files in one transaction; return a :class:`Report`.

    With ``dry_run`` everything is checked and counted, then rolled back. The seeded
    events, as they stand after loading, go through the consistency check
    (``report.warnings``).
    """
    seeds = read_seeds(directory)
    report = Report()
    with transaction.atomic():
        _Loader(seeds, update=update, report=report, progress=progress).run()
        seeded = Event.objects.filter(slug__in=[row["slug"] for row in seeds.events])
        report.warnings = check_events(seeded)
        if dry_run:
            transaction.set_rollback(True)
    return report
