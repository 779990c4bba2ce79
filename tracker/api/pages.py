"""Keyset pages: each page continues after the last row of the one before, on the
queryset's whole ordering, so that rows added or removed between two requests never make
a row that was there appear twice or not at all.

The ordering is read from the queryset itself (for events, ``chronological()``, the
CSV's order), and must be ascending on model fields of the queryset's model, name a
nullable field only with ``nulls_first=True`` (the same order on every database) and
end with a unique field. The cursor is the last row's values of those fields, as
base64url-encoded JSON: opaque to clients, and checked field by field when it comes back.
"""

import base64
import binascii
import json
import operator
from dataclasses import dataclass
from functools import reduce
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import F, OrderBy, Q
from django.utils.translation import gettext as _
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from .problems import InvalidQuery

CURSOR = "cursor"


@dataclass(frozen=True)
class Key:
    """One field of the ordering."""

    name: str
    field: object

    def later(self, value):
        """Rows after ``value`` on this field alone (NULL sorts first)."""
        if value is None:
            return Q(**{f"{self.name}__isnull": False})
        return Q(**{f"{self.name}__gt": value})

    def same(self, value):
        if value is None:
            return Q(**{f"{self.name}__isnull": True})
        return Q(**{self.name: value})

    def to_json(self, value):
        return value.isoformat() if hasattr(value, "isoformat") else value

    def from_json(self, value):
        if value is None and self.field.null:
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValidationError("not a value")
        return self.field.to_python(value)


def keys_of(queryset):
    """The :class:`Key` of each field the queryset is ordered by."""
    meta = queryset.model._meta
    keys = []
    for entry in queryset.query.order_by or meta.ordering:
        if isinstance(entry, str):
            entry = F(entry[1:]).desc() if entry.startswith("-") else F(entry).asc()
        if not isinstance(entry, OrderBy) or not isinstance(entry.expression, F):
            raise ImproperlyConfigured(f"{entry!r}: keyset pages order by fields only")
        name = entry.expression.name
        field = meta.pk if name == "pk" else meta.get_field(name)
        if entry.descending or entry.nulls_last or (field.null and not entry.nulls_first):
            raise ImproperlyConfigured(
                f"{name}: keyset pages order ascending, a nullable field with nulls_first=True"
            )
        keys.append(Key(name, field))
    if not keys or not (keys[-1].field.unique or keys[-1].field.primary_key):
        raise ImproperlyConfigured("keyset pages need an ordering that ends with a unique field")
    return keys


def after(keys, values):
    """The condition for rows after ``values`` in the ordering of ``keys``."""
    alternatives, same = [], Q()
    for key, value in zip(keys, values, strict=True):
        alternatives.append(same & key.later(value))
        same &= key.same(value)
    return reduce(operator.or_, alternatives)


def encode(keys, row):
    values = [key.to_json(getattr(row, key.name)) for key in keys]
    text = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def decode(keys, cursor):
    """The values a cursor carries; :class:`InvalidQuery` for anything this API did not write."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(text)
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        return [key.from_json(value) for key, value in zip(keys, values, strict=True)]
    except (binascii.Error, ValueError, TypeError, ValidationError):
        raise InvalidQuery(
            f"{CURSOR}: " + _("not a cursor of this list; use the “next” link of the page before.")
        ) from None


class KeysetPagination(BasePagination):
    """``{"next": url or null, "results": [...]}``, ``TRACKER_API_PAGE_SIZE`` rows a page;
    the ``next`` link (also in a ``Link`` header) keeps the query and adds the cursor."""

    def paginate_queryset(self, queryset, request, view=None):
        keys = keys_of(queryset)
        cursor = request.query_params.get(CURSOR)
        if cursor:
            queryset = queryset.filter(after(keys, decode(keys, cursor)))
        size = settings.TRACKER_API_PAGE_SIZE
        rows = list(queryset[: size + 1])
        self.next = None
        if len(rows) > size:
            rows = rows[:size]
            query = request.query_params.copy()
            query[CURSOR] = encode(keys, rows[-1])
            self.next = (
                request.build_absolute_uri(request.path)
                + "?"
                + urlencode(sorted(query.lists()), doseq=True)
            )
        return rows

    def get_paginated_response(self, data):
        headers = {"Link": f'<{self.next}>; rel="next"'} if self.next else None
        return Response({"next": self.next, "results": data}, headers=headers)

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page, or null on the last one.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": CURSOR,
                "in": "query",
                "required": False,
                "description": "Where the page starts: copy it from the `next` link (opaque).",
                "schema": {"type": "string"},
            }
        ]
