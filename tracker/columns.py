"""The field map: one definition of the CSV files, read by every path in and out.

Four tables describe the record: ``events`` (one row per event), ``participations``
(one row per participant of an event), ``outcomes`` (one row per outcome) and ``links``
(one row per link between two events). Related rows carry the event's slug, so the files
join on ``event`` = ``slug``.

Each :class:`Column` says which model field it stands for (a path from the table's model
such as ``"title"`` or ``"process.slug"``) or, for a cell that is not one field, which
:class:`Codec` reads and writes it; whether import requires it; whether it is derived
(written by export, compared and otherwise ignored by import). The export, the import
(and its plan), the seed loader, the codebook in the README and on ``/export/``, the
templates and ``datapackage.json`` all read these definitions. A model field that no
column carries must be listed in :data:`LEFT_OUT` with the reason: a test walks every
field of every model and fails otherwise (:func:`unmapped_fields`).
"""

import contextlib
import functools
import operator

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_countries import countries
from django_countries.fields import CountryField

from . import licence
from .cells import (
    CellError,
    format_value,
    formatter,
    join,
    parse_party_lines,
    parse_source_lines,
    parse_value,
    parser,
    party_lines,
    source_line,
    source_line_of,
    split,
)
from .models import Citation, Event, EventLink, Implementation, Outcome, Participation, Source

__all__ = ["CellError", "Column", "LEFT_OUT", "TABLES", "Table"]


def _kind_of(field):
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.TimeField):
        return "time"
    if isinstance(field, models.DurationField):
        return "duration"
    if isinstance(field, models.IntegerField | models.AutoField):
        return "integer"
    return "string"


def _everything(related):
    """A prefetched manager's rows, or a plain list of planned rows, as a list."""
    return list(related.all()) if hasattr(related, "all") else list(related)


def field_rules(field, value):
    """What the model field says about ``value``: choices, lengths, validators."""
    messages = []
    if isinstance(field, CountryField):
        codes = value if field.multiple else [value]
        return [
            _("%(value)r is not an ISO 3166-1 alpha-2 country code") % {"value": code}
            for code in codes
            if code not in countries
        ]
    if field.choices:
        allowed = _allowed(field)
        if value not in allowed:
            messages.append(
                _("%(value)r is not one of: %(allowed)s")
                % {"value": value, "allowed": ", ".join(allowed)}
            )
            return messages
    for validator in [*field.validators, *_portable_range(field)]:
        try:
            validator(value)
        except ValidationError as error:
            messages += error.messages
    return list(dict.fromkeys(messages))


@functools.lru_cache(maxsize=1 << 16)
def _passes(field, value):
    """Whether the field rules accept ``value``: asked for every cell of an import, where
    the same kinds, roles and slugs come back row after row."""
    return not field_rules(field, value)


def _no_messages(value):
    return []


#: How many accepted values a column remembers (the slugs of a few big imports).
REMEMBERED = 1 << 16


def _remember(accepted, value):
    """Add ``value`` to a column's :attr:`~Column.accepted` values, if it can be a key."""
    if len(accepted) >= REMEMBERED:
        accepted.clear()
    with contextlib.suppress(TypeError):  # a value that cannot be a key is asked each time
        accepted.add(value)


def in_set(value, accepted):
    """``value in accepted``, and False for a value that cannot be a key."""
    try:
        return value in accepted
    except TypeError:
        return False


def _checked(field, value):
    """:func:`field_rules`, answered from :func:`_passes` where it can be."""
    if not _has_rules(field):
        return []
    try:
        if _passes(field, value):
            return []
    except TypeError:  # a value that cannot be a key: asked in full
        pass
    return field_rules(field, value)


@functools.cache
def _has_rules(field):
    """Whether :func:`field_rules` can refuse any value of the field (a text field without
    validators takes any text: its long, unique values need no look-up)."""
    return bool(
        isinstance(field, CountryField)
        or field.choices
        or field.validators
        or _portable_range(field)
    )


@functools.cache
def _allowed(field):
    """A field's choices as the cells write them (asked for every cell of a column)."""
    return [str(choice) for choice, _label in field.flatchoices]


@functools.cache
def _portable_range(field):
    """The range of an integer field on every database (SQLite stores larger numbers than
    PostgreSQL): a file that imports on one imports on the other."""
    if not isinstance(field, models.IntegerField) or isinstance(field, models.AutoField):
        return []
    low, high = BaseDatabaseOperations.integer_field_ranges.get(
        field.get_internal_type(), (None, None)
    )
    return [
        v
        for v in (
            low is not None and MinValueValidator(low),
            high is not None and MaxValueValidator(high),
        )
        if v
    ]


# How the export reads a cell: values of the row's own query, rows of a part ------------


class Part:
    """Rows that belong to one row of a table (an event's participations, an outcome's
    parties), read for a whole export in one query, ordered as the table's rows are and
    then by ``order``, and merged into the table's rows in one pass (``tracker.csv_export``).

    ``parent`` is the relation from the part's model to the table's model; ``fields`` are
    the lookups each part row carries; ``public_via`` names the event a part row points to
    that must be published for the row to be public (the events that carried an outcome
    out), as ``shown_to_the_public()`` decides.
    """

    def __init__(self, name, model, *, parent, fields, order, public_via=None):
        self.name = name
        self.model = model
        self.parent = parent
        self.fields = tuple(fields)
        self.order = tuple(order)
        self.public_via = public_via

    def __repr__(self):
        return f"Part({self.name!r})"


class Reads:
    """What the set-based export reads for a cell: ``lookups`` of the row's own query and
    the rows of a :class:`Part`, which ``make(values, rows, context)`` turns into the same
    Python value :meth:`Codec.get` gives for the row's objects.

    ``text(values, rows, context)``, where given, writes the cell straight from what was
    read: the text the column's ``to_text`` writes for ``make``'s value, without building
    a value only to take it apart again (``tests/test_csv_shortcuts.py`` holds the two
    together)."""

    def __init__(self, make, *, lookups=(), part=None, text=None):
        self.make = make
        self.lookups = tuple(lookups)
        self.part = part
        self.text = text


def _written(make, to_text):
    """``Reads.text`` of a cell that has only ``make``: its value, written by ``to_text``."""
    return lambda values, rows, context: to_text(make(values, rows, context))


# Codecs: cells that are not one field -------------------------------------------------

_text = formatter("string")
_integer = formatter("integer")


class Codec:
    """A cell that carries a list, a part of the record, or a value derived from others."""

    type = "string"

    def get(self, obj, context):
        raise NotImplementedError

    def reads(self, column):
        """How the export reads the cell (a :class:`Reads`)."""
        raise NotImplementedError

    def to_text(self, value):
        return _text(value)

    def parse(self, text):
        return parse_value("string", text)

    def check(self, value):
        return []

    #: Whether :meth:`check` answers from the value alone, with nothing but field rules
    #: (then a column remembers the values it accepted, as :attr:`Column.accepted`).
    checks_value_alone = False

    def covers(self, column):
        """The model fields this cell carries, as ``"Model.field"``."""
        return []

    def same(self, given, expected):
        return given == expected


class Position(Codec):
    """A row's place among its event's rows, from 1, in the order pages list them."""

    type = "integer"

    def get(self, obj, context):
        return context["position"]

    def reads(self, column):
        return Reads(_position)

    def to_text(self, value):
        return _integer(value)

    def parse(self, text):
        return parse_value("integer", text)

    def check(self, value):
        field = Participation._meta.get_field("position")
        return [] if value is None else _checked(field, value)

    checks_value_alone = True

    def covers(self, column):
        return [f"{column.model.__name__}.position"]


class Sources(Codec):
    """An event's citations, one source per line (see :func:`tracker.cells.source_line`)."""

    FIELDS = {
        "url": "url",
        "publisher": "publisher",
        "title": "title",
        "published": "published_on",
        "accessed": "accessed_on",
        "archive_url": "archive_url",
    }

    PART = Part(
        "citations",
        Citation,
        parent="event",
        fields=[f"source__{name}" for name in FIELDS.values()] + ["supports"],
        order=("position", "pk"),
    )

    def get(self, event, context):
        return [self.of(citation) for citation in _everything(event.citations)]

    def reads(self, column):
        keys = [*self.FIELDS, "supports"]  # the order of SOURCE_PARTS
        return Reads(
            lambda values, rows, context: [dict(zip(keys, row, strict=True)) for row in rows],
            part=self.PART,
            text=lambda values, rows, context: "\n".join([source_line_of(*row) for row in rows]),
        )

    @classmethod
    def of(cls, citation):
        source = citation.source
        parts = {part: getattr(source, name) for part, name in cls.FIELDS.items()}
        return parts | {"supports": citation.supports}

    def to_text(self, value):
        return "\n".join(source_line(source) for source in value)

    def parse(self, text):
        return parse_source_lines(text)

    def check(self, value):
        messages = []
        for n, source in enumerate(value, 1):
            for part, name in self.FIELDS.items():
                if source[part] not in ("", None):
                    for message in _checked(Source._meta.get_field(name), source[part]):
                        messages.append(self._message(n, part, message))
            supports = Citation._meta.get_field("supports")
            for message in _checked(supports, source["supports"]):
                messages.append(self._message(n, "supports", message))
        return messages

    @staticmethod
    def _message(n, part, message):
        return _("source %(n)s, %(part)s: %(message)s") % {
            "n": n,
            "part": part,
            "message": message,
        }

    def covers(self, column):
        return [
            "Citation.event",
            "Citation.source",
            "Citation.supports",
            "Citation.position",
            *(f"Source.{name}" for name in self.FIELDS.values()),
        ]


class PartyList(Codec):
    """Parties of an outcome (who agreed, who rejected), one per line as “Name [slug]”."""

    def __init__(self, field):
        self.field = field

    def get(self, outcome, context):
        return [(party.slug, party.name) for party in _everything(getattr(outcome, self.field))]

    def reads(self, column):
        part = Part(
            self.field,
            getattr(Outcome, self.field).through,
            parent="outcome",
            fields=("party__slug", "party__name"),
            order=("party__name",),  # Party's own ordering, as the prefetch has it
        )
        return Reads(lambda values, rows, context: rows, part=part)

    def to_text(self, value):
        return party_lines(value)

    def parse(self, text):
        return parse_party_lines(text)

    def check(self, value):
        from .models import Party

        messages = []
        for slug, name in value:
            messages += _checked(Party._meta.get_field("slug"), slug)
            messages += _checked(Party._meta.get_field("name"), name)
        return messages

    def covers(self, column):
        return [f"Outcome.{self.field}", "Party.slug", "Party.name"]

    def same(self, given, expected):
        return sorted(given) == sorted(expected)


class CarriedOut(Codec):
    """The later events that carried an outcome out (in full or in part), by slug."""

    def __init__(self, extent):
        self.extent = extent

    #: Both extents read one part: the events that carried the outcome out, published
    #: ones only in public exports.
    PART = Part(
        "implementations",
        Implementation,
        parent="outcome",
        fields=("extent", "event__slug"),
        order=("event__sort_date", "event__start_date", "event_id"),
        public_via="event_id",
    )

    def get(self, outcome, context):
        implementations = _everything(outcome.implementations)
        return [i.event.slug for i in implementations if i.extent == self.extent]

    def reads(self, column):
        extent = self.extent
        return Reads(
            lambda values, rows, context: [slug for kind, slug in rows if kind == extent],
            part=self.PART,
        )

    def to_text(self, value):
        return join(value)

    def parse(self, text):
        return split(parse_value("string", text))

    def check(self, value):
        slug = Event._meta.get_field("slug")
        return [message for item in value for message in _checked(slug, item)]

    def covers(self, column):
        return ["Implementation.outcome", "Implementation.event", "Implementation.extent"]

    def same(self, given, expected):
        return sorted(given) == sorted(expected)


class Derived(Codec):
    """A cell written from other data; import compares it and otherwise ignores it."""

    def __init__(self, function, same=None, carries=(), *, reads):
        self.function = function
        self._same = same
        self.carries = list(carries)  # fields the import reads from the cell after all
        self._reads = reads

    def reads(self, column):
        return self._reads

    def covers(self, column):
        return self.carries

    def get(self, obj, context):
        return self.function(obj, context)

    def same(self, given, expected):
        return self._same(given, expected) if self._same else given == expected


# What derived cells say ------------------------------------------------------------------


@functools.cache
def role_names():
    """Role names in English whatever the reader's language: a file's content must not
    depend on who downloaded it."""
    with translation.override("en"):
        return {role.value: str(role.label) for role in Participation.Role}


def participant_line(person_name, party_name, role, side_name):
    """“who (role, side)”: a person's or else a party's name; the side represented, or
    for a person on a party's behalf that party (names are None where there is none)."""
    who = person_name if person_name is not None else party_name
    role = role_names()[role]
    if side_name is not None:
        return f"{who} ({role}, {side_name})"
    if person_name is not None and party_name is not None:
        return f"{who} ({role}, {party_name})"
    return f"{who} ({role})"


def participant_summary(p):
    person, party, side = _related(p, "person"), _related(p, "party"), _related(p, "side")
    return participant_line(
        person.name if person else None,
        party.name if party else None,
        p.role,
        side.name if side else None,
    )


def _related(obj, name):
    """``getattr(obj, name)`` for a foreign key that may be empty, read where its
    descriptor reads a record it has (an import derives every participant's line)."""
    cache = obj._state.fields_cache
    return cache[name] if name in cache else getattr(obj, name)


def outcome_summary(status, description):
    return f"{status}: {description}"


def event_paths():
    """slug → the path of the event's page, with ``reverse`` called once (slugs are plain
    ASCII, which addresses carry as they are)."""
    marker = "0-event-slug-0"
    before, after = reverse("event-detail", kwargs={"slug": marker}).split(marker)
    return lambda slug: f"{before}{slug}{after}"


def _event_url(event, context):
    """The event's address; ``event_path`` (:func:`event_paths`), where the caller asks for
    many, spares a ``reverse`` per event."""
    path = context.get("event_path")
    return context.get("base_url", "") + (path(event.slug) if path else event.get_absolute_url())


def _event_url_from(values, rows, context):
    return context["base_url"] + context["event_path"](values[0])


def _same_address(given, expected):
    """A file from another site has another host: only the event's path must match."""
    return given == expected or given.endswith(expected)


def _conflict_name(event, context):
    # An import row whose process was refused has none: the refusal says why.
    conflict = getattr(getattr(event, "process", None), "conflict", None)
    return conflict.name if conflict else ""


def _participants(event, context):
    return join(participant_summary(p) for p in _everything(event.participations))


def _outcomes(event, context):
    return "\n".join(outcome_summary(o.status, o.description) for o in _everything(event.outcomes))


def _position(values, rows, context):
    return context["position"]


PARTICIPANTS = Part(
    "participations",
    Participation,
    parent="event",
    fields=("person__name", "party__name", "role", "side__name"),
    order=("position", "pk"),
)
OUTCOMES_IN_BRIEF = Part(
    "outcomes",
    Outcome,
    parent="event",
    fields=("status", "description"),
    order=("position", "pk"),
)


# Columns and tables ------------------------------------------------------------------------


def _code(country):
    return country.code if country else ""


def _slug(record):
    return record.slug if record else ""


def _text(value):
    return "" if value is None else value


class Column:
    """One CSV column: the model field it stands for, or the codec that reads and writes it."""

    def __init__(
        self,
        name,
        description,
        *,
        field="",
        codec=None,
        required=False,
        derived=False,
        format="default",
    ):
        self.name = name
        self.description = description
        self.field = field
        self.codec = codec
        self.required = required
        self.derived = derived
        self.format = format
        self.model = None  # the table's model, set by the table

    def __repr__(self):
        return f"Column({self.name!r})"

    @functools.cached_property
    def path(self):
        return self.field.split(".") if self.field else []

    @functools.cached_property
    def relation(self):
        """The foreign key this column reaches through (``"process"``), or None."""
        return self.path[0] if len(self.path) > 1 else None

    @functools.cached_property
    def chain(self):
        """``[(model, field), ...]`` along the path, from the table's model."""
        chain, model = [], self.model
        for name in self.path:
            field = model._meta.get_field(name)
            chain.append((model, field))
            model = field.related_model
        return chain

    @functools.cached_property
    def target(self):
        """The model field at the end of the path (None for codec columns)."""
        return self.chain[-1][1] if self.chain else None

    @functools.cached_property
    def referenced_model(self):
        return self.chain[0][1].related_model if self.relation else None

    @functools.cached_property
    def type(self):
        return self.codec.type if self.codec else _kind_of(self.target)

    @functools.cached_property
    def choices(self):
        field = self.target
        if field is None or isinstance(field, CountryField) or not field.choices:
            return ()
        return tuple(str(choice) for choice, _label in field.flatchoices)

    def value(self, obj, context):
        """The Python value export writes for ``obj`` (and import compares with)."""
        if self.codec:
            return self.codec.get(obj, context)
        return self._read(obj)

    @functools.cached_property
    def _read(self):
        """:meth:`value` of a field column, as a function of the row (asked for every
        column of every stored row an import compares)."""
        path, target, kind = self.path, self.target, self.type

        if len(path) == 1:
            read = operator.attrgetter(path[0])
        else:

            def read(obj):
                current = obj
                for name in path:
                    current = getattr(current, name) if current is not None else None
                return current

        if isinstance(target, CountryField):
            return lambda obj: _code(read(obj))
        if target.is_relation:  # a record named by its slug
            return lambda obj: _slug(read(obj))
        if kind == "string":
            return lambda obj: _text(read(obj))
        return read

    def to_text(self, value):
        return self.codec.to_text(value) if self.codec else format_value(self.type, value)

    @functools.cached_property
    def reads(self):
        """How the set-based export reads the cell (a :class:`Reads`): a field column its
        own lookup (a related record's slug, a country's code), a codec what it says."""
        if self.codec:
            return self.codec.reads(self)
        lookup = "__".join(self.path)
        if self.target.is_relation:
            lookup += "__slug"
        return Reads(None, lookups=[lookup])

    def cell(self, index, parts):
        """A function ``(row, rows, context) -> text`` of the export: ``row`` holds the
        values of the table's query at ``index[lookup]``, ``rows`` the rows of each part
        at the place its name has in ``parts``. The text is what :meth:`to_text` writes
        for :meth:`value`."""
        reads = self.reads
        places = [index[lookup] for lookup in reads.lookups]
        if reads.make is None:  # a field column: its one value
            text, place = formatter(self.type), places[0]
            return lambda row, rows, context: text(row[place])
        write = reads.text or _written(reads.make, self.codec.to_text)
        if reads.part is None:
            if len(places) == 1:
                place = places[0]
                return lambda row, rows, context: write((row[place],), (), context)
            return lambda row, rows, context: write([row[p] for p in places], (), context)
        part = parts.index(reads.part.name)
        if places:
            return lambda row, rows, context: write([row[p] for p in places], rows[part], context)
        empty = []

        def cell(row, rows, context):
            own = rows[part]
            if own:
                return write((), own, context)
            if not empty:  # a part's cell reads nothing else: no rows, the same text
                empty.append(write((), (), context))
            return empty[0]

        return cell

    @functools.cached_property
    def plain_text(self):
        """Whether the cell is one text value of the table's own query, written by
        ``formatter("string")``: the export writes such cells of a row all at once
        (:func:`tracker.cells.text_cells`)."""
        return self.reads.make is None and self.type == "string"

    def parse(self, text):
        return self.parser(text)

    @functools.cached_property
    def parser(self):
        """:meth:`parse` as a function of the text, for every cell of a column."""
        if self.codec is None:
            return parser(self.type)
        if type(self.codec).parse is Codec.parse:  # text, read as a text field's
            return parser("string")
        return self.codec.parse

    def check(self, value):
        """Messages for a value the field rules refuse (empty when it is fine)."""
        accepted, checker = self._checking
        if accepted is not None and in_set(value, accepted):
            return []
        return checker(value) if checker else []

    @functools.cached_property
    def checker(self):
        """:meth:`check` as a function of the value, or None for a column that refuses no
        value (neither required nor ruled): an import asks it of every cell it writes."""
        return self._checking[1]

    @functools.cached_property
    def accepted(self):
        """Values :meth:`check` is known to accept, as a set that grows as it accepts
        more (None for a column without one): an import looks a cell up here before it
        calls :attr:`checker`. Only field rules fill it (a field's, or those of a codec
        that :attr:`~Codec.checks_value_alone`), whose answer depends on nothing but the
        value; messages are made anew each time, in the language of the moment."""
        return self._checking[0]

    @functools.cached_property
    def _checking(self):
        required = self.required
        if self.codec and self.codec.checks_value_alone:
            rules = self.codec.check
        elif self.codec or not _has_rules(self.target):
            if not (self.codec or required):
                return None, None
            rules = self.codec.check if self.codec else _no_messages

            def check(value):
                if value in (None, "", []):
                    return [_("is required")] if required else []
                return rules(value)

            return None, check
        else:
            target = self.target
            rules = functools.partial(field_rules, target)
        accepted = set() if required else {None, ""}

        def check_field(value):
            if value in (None, "", []):
                return [_("is required")] if required else []
            messages = rules(value)
            if not messages:
                _remember(accepted, value)
            return messages

        return accepted, check_field

    def same(self, given, expected):
        return self.codec.same(given, expected) if self.codec else given == expected

    def covers(self):
        if self.derived:
            return []
        if self.codec:
            return self.codec.covers(self)
        return [f"{model.__name__}.{field.name}" for model, field in self.chain]

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


class Table:
    """One CSV file: its model, its columns, and the example rows of its template."""

    def __init__(
        self, name, description, *, model, key, columns, examples=(), scope, order, public_via=None
    ):
        self.name = name
        self.description = description
        self.model = model
        self.key = key
        self.columns = columns
        self.examples = examples
        #: The export's order and reach: the relation to the event a row belongs to
        #: (``"pk"`` for events), the rows' order among one event's (after the events'
        #: own order), and the event a row points to that must be published for the row
        #: to be public (see :class:`Part`).
        self.scope = scope
        self.order = tuple(order)
        self.public_via = public_via

    def __repr__(self):
        return f"Table({self.name!r})"

    @property
    def columns(self):
        return self._columns

    @columns.setter
    def columns(self, columns):
        for column in columns:
            column.model = self.model
        self._columns = tuple(columns)

    @property
    def header(self):
        return [c.name for c in self.columns]

    def column(self, name):
        return next(c for c in self.columns if c.name == name)

    def values(self, obj, context):
        """``{column name: Python value}`` of one row."""
        return {c.name: c.value(obj, context) for c in self.columns}

    def row(self, obj, context):
        """The row's cells as text, ready for ``csv.writer``."""
        return [c.to_text(c.value(obj, context)) for c in self.columns]

    @property
    def parts(self):
        """The parts the columns read, each once, in column order."""
        parts = {}
        for column in self.columns:
            if column.reads.part:
                parts.setdefault(column.reads.part.name, column.reads.part)
        return list(parts.values())

    @property
    def lookups(self):
        """The lookups of the table's own export query, each once, in column order."""
        return list(dict.fromkeys(lookup for c in self.columns for lookup in c.reads.lookups))

    @property
    def template_header(self):
        """The columns people write: everything import reads (derived ones left out)."""
        return [c.name for c in self.columns if not c.derived and c.name != "id"]


EVENTS = Table(
    "events",
    "One row per event: what happened, when, where, who and what came of it.",
    model=Event,
    key=("slug",),
    scope="pk",
    order=(),
    columns=(
        Column(
            "id",
            "The tracker's number for the event. Import keeps it for a new event when "
            "the number is free and never changes an existing event's number.",
            field="id",
        ),
        Column(
            "slug",
            "Stable identifier of the event; the other files refer to it.",
            field="slug",
            required=True,
        ),
        Column(
            "url",
            "Public page of the event.",
            codec=Derived(
                _event_url, same=_same_address, reads=Reads(_event_url_from, lookups=["slug"])
            ),
            derived=True,
            format="uri",
        ),
        Column(
            "process",
            "Slug of the negotiation process the event belongs to.",
            field="process.slug",
            required=True,
        ),
        Column(
            "process_title",
            "Title of the process; for an existing process it must be the title it has.",
            field="process.title",
            required=True,
        ),
        Column(
            "conflict",
            "Slug of the conflict the process belongs to; for an existing process it must be "
            "the one it has. Files from before conflicts had slugs (no conflict_name column) "
            "may give the conflict's name instead.",
            field="process.conflict",
            required=True,
        ),
        Column(
            "conflict_name",
            "Name of the conflict. With a new slug in conflict it adds that conflict (shown "
            "in the import's plan); for an existing conflict it must be the name it has, or "
            "the import asks to confirm the rename.",
            # With ``conflict`` it names the conflict, as process and process_title do.
            codec=Derived(
                _conflict_name,
                carries=("Conflict.slug", "Conflict.name"),
                reads=Reads(
                    lambda values, rows, context: values[0] or "",
                    lookups=["process__conflict__name"],
                ),
            ),
        ),
        Column("kind", "Kind of event.", field="kind", required=True),
        Column("title", "Title of the event.", field="title", required=True),
        Column(
            "start_date",
            "First day (ISO 8601). With month or year precision: the first day of that period.",
            field="start_date",
            required=True,
        ),
        Column("end_date", "Last day, for events over several days (ISO 8601).", field="end_date"),
        Column(
            "date_precision",
            "How exactly the date is known (`day` when left out).",
            field="date_precision",
        ),
        Column(
            "period_position",
            "For a date known only to the month or year: `early`, `middle` or `late` in that "
            "period, which places the event among dated events in lists and charts "
            "(`middle` when left out; ignored for `day`). Not a date.",
            field="period_position",
        ),
        Column("start_time", "Local start time (HH:MM:SS).", field="start_time"),
        Column("duration", "Duration (ISO 8601, e.g. PT1H55M).", field="duration"),
        Column("duration_note", "The length as sources describe it.", field="duration_note"),
        Column("venue", "Venue.", field="venue"),
        Column("city", "City.", field="city"),
        Column("region", "Region.", field="region"),
        Column("country", "Country of the venue (ISO 3166-1 alpha-2).", field="country"),
        Column(
            "status",
            "Editorial status (`draft` when left out); public exports contain published "
            "events only.",
            field="status",
        ),
        Column("summary", "What happened.", field="summary"),
        Column("source_notes", "Where sources disagree.", field="source_notes"),
        Column("unverified", "Points no source confirmed, one per line.", field="unverified"),
        Column(
            "participants",
            "Who took part, as “name (role, side)”, separated by “; ”. Derived from "
            "participations.csv.",
            codec=Derived(
                _participants,
                reads=Reads(
                    lambda values, rows, context: join([participant_line(*row) for row in rows]),
                    part=PARTICIPANTS,
                ),
            ),
            derived=True,
        ),
        Column(
            "outcomes",
            "Outcomes as “status: description”, one per line. Derived from outcomes.csv.",
            codec=Derived(
                _outcomes,
                reads=Reads(
                    lambda values, rows, context: "\n".join([outcome_summary(*r) for r in rows]),
                    part=OUTCOMES_IN_BRIEF,
                ),
            ),
            derived=True,
        ),
        Column(
            "sources",
            "The sources, one per line: “url | publisher | title | published | accessed | "
            "archive_url | supports” (dates ISO 8601; empty parts at the end are left out; "
            "a literal | is written \\|).",
            codec=Sources(),
        ),
    ),
    examples=(
        {
            "slug": "2030-01-15-example-talks",
            "process": "example-talks",
            "process_title": "Example talks",
            "conflict": "example-conflict",
            "conflict_name": "Example conflict",
            "kind": "round_of_talks",
            "title": "First round of the example talks",
            "start_date": "2030-01-15",
            "date_precision": "day",
            "start_time": "10:00:00",
            "duration": "PT2H",
            "duration_note": "about two hours",
            "venue": "Example Hall",
            "city": "Geneva",
            "country": "CH",
            "status": "draft",
            "summary": "The two sides met for the first time and agreed an exchange.",
            "unverified": "The exact length of the meeting.",
            "sources": "https://example.org/news/talks | Example News | Talks open | 2030-01-15",
        },
        {
            "slug": "2030-02-01-example-exchange",
            "process": "example-talks",
            "process_title": "Example talks",
            "conflict": "example-conflict",
            "conflict_name": "Example conflict",
            "kind": "prisoner_exchange",
            "title": "Exchange agreed at the first round",
            "start_date": "2030-02-01",
            "end_date": "2030-02-02",
            "date_precision": "day",
            "status": "draft",
            "summary": "The exchange agreed on 15 January took place over two days.",
            "sources": "| Example Desk | Exchange completed | 2030-02-02",
        },
    ),
)

PARTICIPATIONS = Table(
    "participations",
    "One row per participant of an event: a person, a party or both, in a role.",
    model=Participation,
    key=("event", "position"),
    scope="event",
    order=("position", "pk"),
    columns=(
        Column("event", "Slug of the event.", field="event.slug", required=True),
        Column(
            "position",
            "Order among the event's participants, from 1 (the order of the rows when the "
            "column is left out); on import, gaps are closed and a position given twice is "
            "refused.",
            codec=Position(),
        ),
        Column("person", "Slug of the person, if a person took part.", field="person.slug"),
        Column(
            "person_name",
            "The person's name as written; for an existing person it must be the name they have.",
            field="person.name",
        ),
        Column(
            "party",
            "Slug of the party taking part, or on whose behalf the person did.",
            field="party.slug",
        ),
        Column("party_name", "The party's name.", field="party.name"),
        Column("party_kind", "Kind of party.", field="party.kind"),
        Column(
            "party_country",
            "The party's country, for states (ISO 3166-1 alpha-2).",
            field="party.country",
        ),
        Column("role", "Role at the event.", field="role", required=True),
        Column(
            "side",
            "Slug of the side represented; empty for neutral hosts and mediators.",
            field="side.slug",
        ),
        Column("side_name", "Name of the side represented.", field="side.name"),
        Column("title", "The person's title at the time.", field="title"),
        Column("note", "Caveats about this participation.", field="note"),
    ),
    examples=(
        {
            "event": "2030-01-15-example-talks",
            "position": "1",
            "person": "ana-example",
            "person_name": "Ana Example",
            "party": "example-party",
            "party_name": "Example Party",
            "party_kind": "organisation",
            "role": "head_of_delegation",
            "side": "example-party",
            "side_name": "Example Party",
            "title": "Chief negotiator",
        },
    ),
)

OUTCOMES = Table(
    "outcomes",
    "One row per outcome of an event, with the later events that carried it out.",
    model=Outcome,
    key=("event", "position"),
    scope="event",
    order=("position", "pk"),
    columns=(
        Column("event", "Slug of the event.", field="event.slug", required=True),
        Column(
            "position",
            "Order among the event's outcomes, from 1 (the order of the rows when the column "
            "is left out); import matches an event's outcomes by it, closes gaps and refuses a "
            "position given twice.",
            codec=Position(),
        ),
        Column("kind", "Kind of outcome.", field="kind", required=True),
        Column("status", "Status of the outcome.", field="status", required=True),
        Column("description", "What it was.", field="description", required=True),
        Column("quantity", "A number, if any (with unit).", field="quantity"),
        Column("unit", "What the quantity counts.", field="unit"),
        Column("note", "Conditions, disputed figures, caveats.", field="note"),
        Column(
            "agreed_by",
            "The parties that agreed it, one per line, as “Name [slug]”.",
            codec=PartyList("agreed_by"),
        ),
        Column(
            "rejected_by",
            "The parties that rejected it, one per line, as “Name [slug]”.",
            codec=PartyList("rejected_by"),
        ),
        Column(
            "carried_out_by",
            "Slugs of the later events that carried it out in full, separated by “; ”.",
            codec=CarriedOut(Implementation.Extent.FULL),
        ),
        Column(
            "carried_out_in_part_by",
            "Slugs of the later events that carried it out in part, separated by “; ”.",
            codec=CarriedOut(Implementation.Extent.PARTIAL),
        ),
    ),
    examples=(
        {
            "event": "2030-01-15-example-talks",
            "position": "1",
            "kind": "prisoner_exchange",
            "status": "agreed",
            "description": "An exchange of prisoners, 100 for 100.",
            "quantity": "100",
            "unit": "prisoners per side",
            "agreed_by": "Example Party [example-party]",
            "carried_out_by": "2030-02-01-example-exchange",
        },
    ),
)

LINKS = Table(
    "links",
    "One row per link between two events, read as “event relation other event”.",
    model=EventLink,
    key=("from_event", "relation", "to_event"),
    scope="from_event",
    order=("to_event__sort_date", "to_event__start_date", "to_event_id", "relation", "pk"),
    public_via="to_event_id",
    columns=(
        Column("from_event", "Slug of the event.", field="from_event.slug", required=True),
        Column(
            "relation",
            "How it relates to the other event.",
            field="relation",
            required=True,
        ),
        Column("to_event", "Slug of the other event.", field="to_event.slug", required=True),
        Column("note", "Caveats about the link.", field="note"),
    ),
    examples=(
        {
            "from_event": "2030-02-01-example-exchange",
            "relation": "results_from",
            "to_event": "2030-01-15-example-talks",
        },
    ),
)

TABLES = {table.name: table for table in (EVENTS, PARTICIPATIONS, OUTCOMES, LINKS)}


# What the files leave out, and the walk that keeps the map complete -----------------------

_BOOKKEEPING = "Bookkeeping the tracker keeps for itself (who changed a record, when, its version)."

#: Model fields (``"Model.field"``; ``"*.field"`` for every model; ``"Model"`` for a whole
#: model) that no CSV column carries, with the reason. Everything else travels both ways.
LEFT_OUT = {
    "*.id": "The database's own numbers; files identify rows by slugs and keys "
    "(only an event's number is exported).",
    "*.created_at": _BOOKKEEPING,
    "*.updated_at": _BOOKKEEPING,
    "*.changed_by": _BOOKKEEPING,
    "*.version": _BOOKKEEPING,
    "Event.published_at": "Stamped by the tracker when an event is first published.",
    "Event.sort_date": "Derived by the tracker from start_date, date_precision and "
    "period_position; files carry those instead.",
    "Event.search_text": "Derived by the tracker from the event and its participants, for search.",
    "Process.description": "A process's description, dates, status and lane order are "
    "curated in the tracker and in seeds/; the files name a process by slug, title and "
    "conflict.",
    "Process.start_date": "See Process.description.",
    "Process.end_date": "See Process.description.",
    "Process.status": "See Process.description.",
    "Process.position": "See Process.description.",
    "Person.party": "A person's own party is curated in the tracker and in seeds/; a "
    "participation's party says on whose behalf they took part.",
    "Person.wikidata_id": "Wikidata ids are curated in the tracker and in seeds/.",
    "Party.wikidata_id": "Wikidata ids are curated in the tracker and in seeds/.",
    "Outcome.sources": "Sources of single outcomes are curated in the tracker; the events "
    "file carries each event's sources.",
    "Conflict.description": "A conflict's description, countries, dates and status are "
    "curated in the tracker and in seeds/; the files name a conflict by slug and name.",
    "Conflict.countries": "See Conflict.description.",
    "Conflict.start_date": "See Conflict.description.",
    "Conflict.end_date": "See Conflict.description.",
    "Conflict.status": "See Conflict.description.",
    "Conflict.demo": "Marks the synthetic conflicts generate_demo writes; never imported.",
    "SlugHistory": "Earlier addresses of renamed records, kept so that they redirect.",
    "RecordVersion": "The record-wide version that caches and validators follow.",
    "ImportBatch": "The record of each import, kept so that it can be reverted.",
    "PendingImport": "Uploaded files waiting between an import's preview and its confirmation.",
    "Release": "Each release of the files themselves: its version, checksums and changes "
    "(tracker.releases).",
    "ReleaseEntry": "Which events each release holds, for its changes and for citations.",
}


def _is_history(model):
    from simple_history.models import HistoricalChanges

    return issubclass(model, HistoricalChanges)


def record_models():
    """Every model of the tracker app that holds rows of its own: not the history tables,
    and not proxies of other apps' models (the accounts page's view of users)."""
    return [
        m
        for m in apps.get_app_config("tracker").get_models()
        if not _is_history(m) and not m._meta.proxy
    ]


def _fields(model):
    """The model's own fields: columns and many-to-many fields, not reverse relations."""
    return [
        f
        for f in model._meta.get_fields()
        if getattr(f, "primary_key", False)
        or ((f.concrete or f.many_to_many) and not f.auto_created)
    ]


def mapped_fields():
    """``{"Model.field": ["table.column", ...]}`` for every field a column carries."""
    mapped = {}
    for table in TABLES.values():
        for column in table.columns:
            for name in column.covers():
                mapped.setdefault(name, []).append(f"{table.name}.{column.name}")
    return mapped


def left_out_reason(model, field):
    for key in (f"{model.__name__}.{field.name}", f"*.{field.name}"):
        if key in LEFT_OUT:
            return LEFT_OUT[key]
    return None


def unmapped_fields():
    """Why the map is incomplete: every field neither carried by a column nor left out,
    and every left-out entry that names nothing or something a column carries."""
    mapped = mapped_fields()
    problems = []
    names = {m.__name__ for m in record_models()}
    for model in record_models():
        if model.__name__ in LEFT_OUT:
            continue
        for field in _fields(model):
            name = f"{model.__name__}.{field.name}"
            if name in mapped:
                if name in LEFT_OUT:
                    problems.append(f"{name} is carried by {mapped[name]} and left out")
            elif left_out_reason(model, field) is None:
                problems.append(
                    f"{name} is carried by no column: add one to tracker/columns.py, or "
                    "list it in LEFT_OUT with the reason"
                )
    for key in LEFT_OUT:
        model_name, _dot, field_name = key.partition(".")
        if model_name == "*":
            continue
        if model_name not in names:
            problems.append(f"LEFT_OUT names {key}, which is not a model")
            continue
        if field_name:
            model = apps.get_model("tracker", model_name)
            try:
                model._meta.get_field(field_name)
            except FieldDoesNotExist:
                problems.append(f"LEFT_OUT names {key}, which is not a field")
    return problems


# The codebook and the data package ---------------------------------------------------------


def _meaning(column):
    meaning = column.description
    if column.derived:
        meaning += " Derived: import reports a value that differs and otherwise ignores it."
    if column.required:
        meaning += " Required."
    return meaning


def codebook_markdown():
    """The codebook as Markdown tables, for the README (a test keeps the two in step)."""
    lines = []
    for table in TABLES.values():
        lines += [f"#### `{table.name}.csv`", "", table.description, ""]
        lines += ["| column | meaning | type | allowed values |", "|---|---|---|---|"]
        for c in table.columns:
            meaning = _meaning(c).replace("|", "\\|")
            allowed = ", ".join(f"`{v}`" for v in c.choices) or "—"
            lines.append(f"| `{c.name}` | {meaning} | {c.type} | {allowed} |")
        lines.append("")
    return "\n".join(lines)


def left_out_markdown():
    """What stays in the tracker, for the README (a test keeps the two in step)."""
    return "\n".join(f"- `{key}`: {reason}" for key, reason in sorted(LEFT_OUT.items())) + "\n"


def data_package(base_url=""):
    """A Frictionless Data Package descriptor for the four files."""
    resources = []
    for table in TABLES.values():
        schema = {
            "fields": [c.frictionless() for c in table.columns],
            "primaryKey": list(table.key),
            "missingValues": [""],
        }
        # A link's other event may lie outside a filtered export, so only the first end
        # is declared as a foreign key.
        refers = [c.name for c in table.columns if c.field in ("event.slug", "from_event.slug")]
        if refers:
            schema["foreignKeys"] = [
                {"fields": name, "reference": {"resource": "events", "fields": "slug"}}
                for name in refers
            ]
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
        "title": "Peace negotiation tracker: events, participations, outcomes and links",
        "licenses": licence.frictionless(),
        "resources": resources,
    }
