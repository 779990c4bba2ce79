"""What the API says of each record.

An event is the four CSV tables' rows, nested: the ``events`` row (every column of
``tracker.columns.EVENTS``, by the same name), whose ``participants`` and ``outcomes``
are their tables' rows instead of the summary text, and ``links`` the links table's rows
(each without the column naming the event). Names, values and descriptions all come
from the field map, so the CSV, its codebook and this API cannot differ; values keep
their JSON types (dates ISO 8601, durations ISO 8601, lists as arrays, nothing escaped
for spreadsheets). Rows are read from ``Event.objects.for_export()``, which names no
unpublished event (``shown_to_the_public``).
"""

from django.db import models
from django.utils.duration import duration_iso_string
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.reverse import reverse

from ..columns import EVENTS, LINKS, OUTCOMES, PARTICIPATIONS, CarriedOut, PartyList, Sources
from ..models import Conflict, Party, Person, Process, Source

# Values -------------------------------------------------------------------------------


def plain(kind, value):
    """A cell's Python value as JSON (``kind``: a column type, as ``Column.type``)."""
    if value is None:
        return None
    if kind in ("date", "time"):
        return value.isoformat()
    if kind == "duration":
        return duration_iso_string(value)
    return value


def _source_kind(part):
    field = Source._meta.get_field(Sources.FIELDS[part]) if part in Sources.FIELDS else None
    return "date" if isinstance(field, models.DateField) else "string"


def source_value(sources):
    return [{part: plain(_source_kind(part), v) for part, v in s.items()} for s in sources]


def _nullable(schema, nullable=True):
    return {**schema, "nullable": True} if nullable else schema


KIND_SCHEMAS = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]"},
    "duration": {"type": "string", "format": "duration", "example": "PT1H55M"},
}
PARTY = {
    "type": "object",
    "required": ["slug", "name"],
    "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
}
SOURCE = {
    "type": "object",
    "required": [*Sources.FIELDS, "supports"],
    "properties": {
        part: _nullable(KIND_SCHEMAS[_source_kind(part)], _source_kind(part) != "string")
        for part in [*Sources.FIELDS, "supports"]
    },
}

#: Cells that hold lists: how each codec's value is written, and its schema.
LISTS = {
    PartyList: (lambda v: [{"slug": slug, "name": name} for slug, name in v], PARTY),
    Sources: (source_value, SOURCE),
    CarriedOut: (list, {"type": "string"}),
}


class ColumnField(serializers.Field):
    """One column of the field map, read from the whole row."""

    def __init__(self, column):
        super().__init__(read_only=True, source="*", help_text=column.description)
        self.column = column

    def value_of(self, obj, context):
        value = self.column.value(obj, context)
        if type(self.column.codec) in LISTS:
            return LISTS[type(self.column.codec)][0](value)
        return plain(self.column.type, value)

    def schema(self):
        column = self.column
        if type(column.codec) in LISTS:
            return {"type": "array", "items": LISTS[type(column.codec)][1]}
        schema = dict(KIND_SCHEMAS[column.type])
        if column.format == "uri":
            schema["format"] = "uri"
        empty = column.target is not None and (
            column.target.blank or any(field.null for _model, field in column.chain)
        )
        if column.choices:
            schema["enum"] = [*column.choices, *([""] if empty else [])]
        if column.type != "string" and empty:
            schema["nullable"] = True
        return schema


class ColumnFieldSchema(OpenApiSerializerFieldExtension):
    target_class = ColumnField

    def map_serializer_field(self, auto_schema, direction):
        return self.target.schema()


# Rows ---------------------------------------------------------------------------------


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


class RowSerializer(serializers.Serializer):
    """A table's row: its columns, and the rows of nested tables (``ListSerializer``
    fields whose child is another row), each numbered from 1 as the CSV numbers them."""

    table = None

    def to_representation(self, obj, position=None):
        context = {"base_url": self.context["base_url"], "position": position}
        data = {}
        for name, field in self.fields.items():
            if isinstance(field, ColumnField):
                data[name] = field.value_of(obj, context)
            else:
                rows = related_rows(field.child.table, obj)
                data[name] = [field.child.to_representation(r, n) for n, r in enumerate(rows, 1)]
        return data


def row_serializer(name, table, *, left_out=(), nested=None):
    """A :class:`RowSerializer` class for ``table``, without the columns ``left_out``, and
    ``nested`` (``{name: (row serializer class, description)}``) in their place or after."""
    fields = {c.name: ColumnField(c) for c in table.columns if c.name not in left_out}
    for field_name, (child, description) in (nested or {}).items():
        fields[field_name] = child(many=True, read_only=True, help_text=description)
    return type(name, (RowSerializer,), {"table": table, **fields})


ParticipationRow = row_serializer("Participation", PARTICIPATIONS, left_out=("event",))
OutcomeRow = row_serializer("Outcome", OUTCOMES, left_out=("event",))
LinkRow = row_serializer("Link", LINKS, left_out=("from_event",))
EventRow = row_serializer(
    "Event",
    EVENTS,
    nested={
        "participants": (ParticipationRow, PARTICIPATIONS.description),
        "outcomes": (OutcomeRow, OUTCOMES.description),
        "links": (LinkRow, LINKS.description + " Links to unpublished events are left out."),
    },
)


# The records events refer to ------------------------------------------------------------


class LinkedRecord(serializers.ModelSerializer):
    """A record with its public page, its address in the API and its published events."""

    url = serializers.SerializerMethodField(help_text="Public page.")
    api_url = serializers.SerializerMethodField(help_text="This record in the API.")
    events_url = serializers.SerializerMethodField(help_text="Its published events, in the API.")
    event_count = serializers.IntegerField(read_only=True, help_text="Published events.")

    detail = ""
    filter_name = ""

    def get_url(self, obj) -> str:
        return self.context["base_url"] + obj.get_absolute_url()

    def get_api_url(self, obj) -> str:
        return self.context["base_url"] + reverse(self.detail, kwargs={"slug": obj.slug})

    def get_events_url(self, obj) -> str:
        return (
            f"{self.context['base_url']}{reverse('api-event-list')}?{self.filter_name}={obj.slug}"
        )


class ConflictSerializer(LinkedRecord):
    countries = serializers.SerializerMethodField(help_text="ISO 3166-1 alpha-2 codes.")
    detail, filter_name = "api-conflict-detail", "conflict"

    def get_countries(self, conflict) -> list[str]:
        return [country.code for country in conflict.countries]

    class Meta:
        model = Conflict
        fields = [
            "slug", "name", "description", "countries", "start_date", "end_date", "status",
            "event_count", "url", "api_url", "events_url",
        ]  # fmt: skip


class ProcessSerializer(LinkedRecord):
    conflict = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    detail, filter_name = "api-process-detail", "process"

    class Meta:
        model = Process
        fields = [
            "slug", "title", "conflict", "description", "start_date", "end_date", "status",
            "position", "event_count", "url", "api_url", "events_url",
        ]  # fmt: skip


class PartySerializer(LinkedRecord):
    country = serializers.CharField(
        source="country.code", read_only=True, help_text="ISO 3166-1 alpha-2 code, if any."
    )
    detail, filter_name = "api-party-detail", "party"

    class Meta:
        model = Party
        fields = [
            "slug", "name", "kind", "country", "wikidata_id",
            "event_count", "url", "api_url", "events_url",
        ]  # fmt: skip


class PersonSerializer(LinkedRecord):
    party = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    detail, filter_name = "api-person-detail", "person"

    class Meta:
        model = Person
        fields = [
            "slug", "name", "party", "wikidata_id", "event_count", "url", "api_url", "events_url",
        ]  # fmt: skip
