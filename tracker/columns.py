"""The CSV columns: one definition for export, import, the codebook and the data package.

Three tables describe the record: ``events`` (one row per event), ``participations``
(one row per participant of an event) and ``outcomes`` (one row per outcome). Related
rows carry the event's slug, so the three files join on ``event`` = ``slug``.

Cells are text. Dates are ISO 8601 (``2025-05-16``), times ``HH:MM``, durations ISO 8601
(``PT1H55M``), lists are separated by ``; `` and multi-part cells by line breaks.
Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab, carriage return or NUL) is prefixed with an apostrophe; import removes it.
"""

import datetime
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.dateparse import parse_duration
from django.utils.duration import duration_iso_string

from .models import Event, Implementation, Outcome, Participation, Party

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
_NEUTRALISED = re.compile(r"^'+[=+\-@\t\r\0]")


def neutralise(text):
    """Make text safe to open in a spreadsheet, reversibly (see :func:`restore`).

    A cell starting with a formula character gets a leading ``'``; so does one already
    starting with apostrophes before such a character, so that import can tell the two
    apart and give back exactly what was exported.
    """
    if text.startswith(FORMULA_START) or _NEUTRALISED.match(text):
        return "'" + text
    return text


def restore(text):
    return text[1:] if _NEUTRALISED.match(text) else text


class CellError(ValueError):
    """A cell that cannot be read; the message says what was expected."""


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    type: str = "string"
    choices: tuple = ()
    required: bool = False
    derived: bool = False
    format: str = "default"
    get: Any = field(default=None, compare=False, repr=False)

    def to_text(self, value):
        if value is None or value == "":
            return ""
        if self.type == "date":
            return value.isoformat()
        if self.type == "time":
            return value.isoformat(timespec="seconds")
        if self.type == "duration":
            return duration_iso_string(value)
        if self.type == "integer":
            return str(value)
        return neutralise(str(value))

    def parse(self, text):
        """The Python value of a cell, or :class:`CellError`."""
        text = text.strip() if self.type != "string" else text
        if text == "":
            if self.required:
                raise CellError("is required")
            return None if self.type != "string" else ""
        if self.type == "date":
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise CellError(f"{text!r} is not a date in the form YYYY-MM-DD")
            try:
                return datetime.date.fromisoformat(text)
            except ValueError as error:
                raise CellError(f"{text!r} is not a date: {error}") from None
        if self.type == "time":
            if not re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", text):
                raise CellError(f"{text!r} is not a time in the form HH:MM:SS")
            try:
                return datetime.time.fromisoformat(text)
            except ValueError as error:
                raise CellError(f"{text!r} is not a time: {error}") from None
        if self.type == "duration":
            value = parse_duration(text) if text.startswith("P") else None
            if value is None:
                raise CellError(f"{text!r} is not an ISO 8601 duration such as PT1H55M")
            return value
        if self.type == "integer":
            if not re.fullmatch(r"\d+", text):
                raise CellError(f"{text!r} is not a whole number")
            return int(text)
        text = restore(text)
        if self.choices and text not in self.choices:
            raise CellError(f"{text!r} is not one of: {', '.join(self.choices)}")
        return text

    def frictionless(self):
        spec = {"name": self.name, "type": self.type, "description": self.description}
        if self.format != "default":
            spec["format"] = self.format
        constraints = {}
        if self.required:
            constraints["required"] = True
        if self.choices:
            constraints["enum"] = list(self.choices)
        if constraints:
            spec["constraints"] = constraints
        return spec


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple
    key: tuple

    @property
    def header(self):
        return [c.name for c in self.columns]

    def row(self, obj, context):
        """The row's cells as text, ready for ``csv.writer``."""
        return [c.to_text(c.get(obj, context)) for c in self.columns]

    def column(self, name):
        return next(c for c in self.columns if c.name == name)


def join(items):
    return "; ".join(items)


def split(text):
    return [item.strip() for item in text.split(";") if item.strip()]


def party_lines(parties):
    """Parties as “Name [slug]”, one per line: readable, and enough to recreate them."""
    return "\n".join(f"{p.name} [{p.slug}]" for p in parties)


def parse_party_lines(text):
    """``[(slug, name), ...]`` from :func:`party_lines` text, or :class:`CellError`."""
    parties = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = re.fullmatch(r"\s*(.+?) \[([-a-zA-Z0-9_]+)\]\s*", line)
        if not match:
            raise CellError(f"{line!r} is not a party written as “Name [slug]”")
        parties.append((match.group(2), match.group(1)))
    return parties


def values(choices):
    return tuple(choices.values)


# Sources travel in the events table, one per line, as “url | publisher | title |
# published | accessed | archive_url | supports”; a literal | is written \|.
SOURCE_PARTS = ("url", "publisher", "title", "published", "accessed", "archive_url", "supports")


def _escape_part(text):
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def source_line(citation):
    source = citation.source
    parts = [
        source.url,
        source.publisher,
        source.title,
        source.published_on.isoformat() if source.published_on else "",
        source.accessed_on.isoformat() if source.accessed_on else "",
        source.archive_url,
        citation.supports,
    ]
    while parts and not parts[-1]:
        parts.pop()  # trailing empty parts are left out
    return " | ".join(_escape_part(p) for p in parts)


def parse_source_line(line):
    parts, current, chars = [], [], iter(line)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
        elif char == "|":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    if len(parts) > len(SOURCE_PARTS):
        raise CellError(
            f"a source line has at most {len(SOURCE_PARTS)} parts separated by ' | ' "
            f"({' | '.join(SOURCE_PARTS)}), found {len(parts)}: {line!r}"
        )
    parts += [""] * (len(SOURCE_PARTS) - len(parts))
    source = dict(zip(SOURCE_PARTS, parts, strict=True))
    for name in ("published", "accessed"):
        if source[name]:
            try:
                source[name] = datetime.date.fromisoformat(source[name])
            except ValueError:
                raise CellError(f"source {name} date {source[name]!r} is not YYYY-MM-DD") from None
        else:
            source[name] = None
    if not source["publisher"]:
        raise CellError(f"a source needs a publisher: {line!r}")
    if not source["url"] and not source["title"]:
        raise CellError(f"a source without a URL needs a title: {line!r}")
    return source


@functools.cache
def role_names():
    """Role names in English whatever the reader's language: a file's content must not
    depend on who downloaded it."""
    with translation.override("en"):
        return {role.value: str(role.label) for role in Participation.Role}


def participant_summary(p):
    who = p.person.name if p.person else p.party.name
    details = [role_names()[p.role]]
    if p.side:
        details.append(p.side.name)
    elif p.person and p.party:
        details.append(p.party.name)
    return f"{who} ({', '.join(details)})"


def outcome_summary(o):
    return f"{o.status}: {o.description}"


def _event_url(event, context):
    return context["base_url"] + event.get_absolute_url()


EVENTS = Table(
    name="events",
    description="One row per event: what happened, when, where, who and what came of it.",
    key=("slug",),
    columns=(
        Column("id", "The tracker's number for the event.", "integer", get=lambda e, c: e.pk),
        Column(
            "slug",
            "Stable identifier of the event; the other files refer to it.",
            required=True,
            get=lambda e, c: e.slug,
        ),
        Column("url", "Public page of the event.", derived=True, format="uri", get=_event_url),
        Column(
            "process",
            "Slug of the negotiation process the event belongs to.",
            required=True,
            get=lambda e, c: e.process.slug,
        ),
        Column(
            "process_title",
            "Title of the process.",
            required=True,
            get=lambda e, c: e.process.title,
        ),
        Column(
            "conflict",
            "The conflict the process belongs to.",
            required=True,
            get=lambda e, c: e.process.conflict,
        ),
        Column(
            "kind",
            "Kind of event.",
            choices=values(Event.Kind),
            required=True,
            get=lambda e, c: e.kind,
        ),
        Column("title", "Title of the event.", required=True, get=lambda e, c: e.title),
        Column(
            "start_date",
            "First day (ISO 8601). With month or year precision: the first day of that period.",
            "date",
            required=True,
            get=lambda e, c: e.start_date,
        ),
        Column(
            "end_date",
            "Last day, for events over several days (ISO 8601).",
            "date",
            get=lambda e, c: e.end_date,
        ),
        Column(
            "date_precision",
            "How exactly the date is known.",
            choices=values(Event.Precision),
            required=True,
            get=lambda e, c: e.date_precision,
        ),
        Column("start_time", "Local start time (HH:MM:SS).", "time", get=lambda e, c: e.start_time),
        Column(
            "duration",
            "Duration (ISO 8601, e.g. PT1H55M).",
            "duration",
            get=lambda e, c: e.duration,
        ),
        Column(
            "duration_note",
            "The length as sources describe it.",
            get=lambda e, c: e.duration_note,
        ),
        Column("venue", "Venue.", get=lambda e, c: e.venue),
        Column("city", "City.", get=lambda e, c: e.city),
        Column("region", "Region.", get=lambda e, c: e.region),
        Column(
            "country",
            "Country of the venue (ISO 3166-1 alpha-2).",
            get=lambda e, c: e.country.code,
        ),
        Column(
            "status",
            "Editorial status; public exports contain published events only.",
            choices=values(Event.Status),
            required=True,
            get=lambda e, c: e.status,
        ),
        Column("summary", "What happened.", get=lambda e, c: e.summary),
        Column("source_notes", "Where sources disagree.", get=lambda e, c: e.source_notes),
        Column(
            "unverified",
            "Points no source confirmed, one per line.",
            get=lambda e, c: e.unverified,
        ),
        Column(
            "participants",
            "Who took part, as “name (role, side)”, separated by “; ”. Derived from "
            "participations.csv; ignored on import.",
            derived=True,
            get=lambda e, c: join(participant_summary(p) for p in e.participations.all()),
        ),
        Column(
            "outcomes",
            "Outcomes as “status: description”, one per line. Derived from outcomes.csv; "
            "ignored on import.",
            derived=True,
            get=lambda e, c: "\n".join(outcome_summary(o) for o in e.outcomes.all()),
        ),
        Column(
            "sources",
            "The sources, one per line: “url | publisher | title | published | accessed | "
            "archive_url | supports” (dates ISO 8601; empty parts at the end are left out; "
            "a literal | is written \\|).",
            get=lambda e, c: "\n".join(source_line(ci) for ci in e.citations.all()),
        ),
    ),
)


def _position(obj, context):
    return context["position"]


PARTICIPATIONS = Table(
    name="participations",
    description="One row per participant of an event: a person, a party or both, in a role.",
    key=("event", "position"),
    columns=(
        Column("event", "Slug of the event.", required=True, get=lambda p, c: p.event.slug),
        Column(
            "position",
            "Order among the event's participants, from 1.",
            "integer",
            required=True,
            get=_position,
        ),
        Column(
            "person",
            "Slug of the person, if a person took part.",
            get=lambda p, c: p.person.slug if p.person else "",
        ),
        Column(
            "person_name",
            "The person's name as written.",
            get=lambda p, c: p.person.name if p.person else "",
        ),
        Column(
            "party",
            "Slug of the party taking part, or on whose behalf the person did.",
            get=lambda p, c: p.party.slug if p.party else "",
        ),
        Column("party_name", "The party's name.", get=lambda p, c: p.party.name if p.party else ""),
        Column(
            "party_kind",
            "Kind of party.",
            choices=values(Party.Kind),
            get=lambda p, c: p.party.kind if p.party else "",
        ),
        Column(
            "party_country",
            "The party's country, for states (ISO 3166-1 alpha-2).",
            get=lambda p, c: p.party.country.code if p.party else "",
        ),
        Column(
            "role",
            "Role at the event.",
            choices=values(Participation.Role),
            required=True,
            get=lambda p, c: p.role,
        ),
        Column(
            "side",
            "Slug of the side represented; empty for neutral hosts and mediators.",
            get=lambda p, c: p.side.slug if p.side else "",
        ),
        Column(
            "side_name",
            "Name of the side represented.",
            get=lambda p, c: p.side.name if p.side else "",
        ),
        Column("title", "The person's title at the time.", get=lambda p, c: p.title),
        Column("note", "Caveats about this participation.", get=lambda p, c: p.note),
    ),
)


def _carried_out_by(extent):
    def get(outcome, context):
        return join(i.event.slug for i in outcome.implementations.all() if i.extent == extent)

    return get


OUTCOMES = Table(
    name="outcomes",
    description="One row per outcome of an event, with the later events that carried it out.",
    key=("event", "position"),
    columns=(
        Column("event", "Slug of the event.", required=True, get=lambda o, c: o.event.slug),
        Column(
            "position",
            "Order among the event's outcomes, from 1.",
            "integer",
            required=True,
            get=_position,
        ),
        Column(
            "kind",
            "Kind of outcome.",
            choices=values(Outcome.Kind),
            required=True,
            get=lambda o, c: o.kind,
        ),
        Column(
            "status",
            "Status of the outcome.",
            choices=values(Outcome.Status),
            required=True,
            get=lambda o, c: o.status,
        ),
        Column("description", "What it was.", required=True, get=lambda o, c: o.description),
        Column("quantity", "A number, if any (with unit).", "integer", get=lambda o, c: o.quantity),
        Column("unit", "What the quantity counts.", get=lambda o, c: o.unit),
        Column("note", "Conditions, disputed figures, caveats.", get=lambda o, c: o.note),
        Column(
            "agreed_by",
            "The parties that agreed it, one per line, as “Name [slug]”.",
            get=lambda o, c: party_lines(o.agreed_by.all()),
        ),
        Column(
            "rejected_by",
            "The parties that rejected it, one per line, as “Name [slug]”.",
            get=lambda o, c: party_lines(o.rejected_by.all()),
        ),
        Column(
            "carried_out_by",
            "Slugs of the later events that carried it out in full, separated by “; ”.",
            get=_carried_out_by(Implementation.Extent.FULL),
        ),
        Column(
            "carried_out_in_part_by",
            "Slugs of the later events that carried it out in part, separated by “; ”.",
            get=_carried_out_by(Implementation.Extent.PARTIAL),
        ),
    ),
)

TABLES = {table.name: table for table in (EVENTS, PARTICIPATIONS, OUTCOMES)}


def codebook_markdown():
    """The codebook as Markdown tables, for the README (a test keeps the two in step)."""
    lines = []
    for table in TABLES.values():
        lines += [f"#### `{table.name}.csv`", "", table.description, ""]
        lines += ["| column | meaning | type | allowed values |", "|---|---|---|---|"]
        for c in table.columns:
            meaning = c.description.replace("|", "\\|") + (" Required." if c.required else "")
            allowed = ", ".join(f"`{v}`" for v in c.choices) or "—"
            lines.append(f"| `{c.name}` | {meaning} | {c.type} | {allowed} |")
        lines.append("")
    return "\n".join(lines)


def data_package(base_url=""):
    """A Frictionless Data Package descriptor for the three files."""
    foreign_key = {
        "fields": "event",
        "reference": {"resource": "events", "fields": "slug"},
    }
    resources = []
    for table in TABLES.values():
        schema = {
            "fields": [c.frictionless() for c in table.columns],
            "primaryKey": list(table.key),
            "missingValues": [""],
        }
        if table is not EVENTS:
            schema["foreignKeys"] = [foreign_key]
        resources.append(
            {
                "name": table.name,
                "path": f"{base_url}{table.name}.csv",
                "description": table.description,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "quoteChar": '"', "lineTerminator": "\r\n"},
                "schema": schema,
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "peace-negotiation-tracker",
        "title": "Peace negotiation tracker: events, participations and outcomes",
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0"}],
        "resources": resources,
    }
