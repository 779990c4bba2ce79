"""``Among(name, values)``: the rows whose field ``name`` is one of ``values``, as a
filter that sends the values as ONE parameter (a JSON list on SQLite, an array on
PostgreSQL).

``filter(name__in=values)`` prepares every value through the field (``get_prep_value``,
and for a foreign key its target's) and writes one placeholder per value; at ten
thousand events the dry run builds lists of 150,000 ids that way, and building the
querysets cost as much as running them. The values here are already what the database
stores (ids read from it, slugs read from the files), so they are sent as they are; and
as the list is one parameter, SQLite's limit on parameters does not split it.
"""

import json

from django.db.models import F
from django.db.models.lookups import In, Lookup


class Among(Lookup):
    """``Among("event_id", ids)`` in ``queryset.filter(...)``: ``event_id IN ids``."""

    lookup_name = "among"
    prepare_rhs = False

    def __init__(self, name, values):
        super().__init__(F(name), list(values))

    def get_prep_lookup(self):
        return self.rhs

    def as_sql(self, compiler, connection):
        if connection.vendor == "sqlite":
            lhs, params = self.process_lhs(compiler, connection)
            return f"{lhs} IN (SELECT value FROM json_each(%s))", (*params, json.dumps(self.rhs))
        if connection.vendor == "postgresql":
            lhs, params = self.process_lhs(compiler, connection)
            kind = self.lhs.output_field.cast_db_type(connection)
            return f"{lhs} = ANY(%s::{kind}[])", (*params, self.rhs)
        return In(self.lhs, self.rhs).as_sql(compiler, connection)
