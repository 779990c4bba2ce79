"""Writing many rows at once with the same bookkeeping as one save.

Imports, their reverts and the seed loader write thousands of rows; saving them one by
one would cost several queries each. These functions write each model's rows in a few
statements and keep every rule a single save keeps: a curated record's version, who
changed it and why (:meth:`Record.stamp_change`), a history row for every row written
(many-to-many fields included), and one move of the record-wide :class:`RecordVersion`.
"""

import datetime
import decimal
from contextlib import contextmanager
from operator import attrgetter, itemgetter

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, router
from django.db.models import Max, QuerySet, sql
from django.db.models.deletion import Collector
from django.utils import timezone
from django_countries.fields import CountryField

from .base import Record, RecordVersion

BATCH_SIZE = 500


#: How much of the database, in KiB, a connection keeps in memory while writing in bulk.
WRITE_CACHE_KIB = 64 * 1024


@contextmanager
def pages_in_memory(using=None):
    """While writing thousands of rows on SQLite, keep the pages they change in memory (up
    to ``WRITE_CACHE_KIB``) instead of spilling them to the file before the transaction
    ends (the default cache is 2 MB; a 10,000-event import changes some 80 MB of pages);
    then the connection's cache has its own size again. Other databases: nothing to do."""
    connection = connections[using or DEFAULT_DB_ALIAS]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (size,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-WRITE_CACHE_KIB:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(size):d}")


def _is_record(model):
    return issubclass(model, Record)


def _set_many_to_many(model, many_to_many, *, created=False):
    """Make some objects' related rows these: ``{field: [(obj, [related ids])]}``. Rows
    that stay are left as they are; only those that go or come are written. Objects just
    ``created`` have none yet (their ids are new to every table): nothing is read."""
    for name, wanted in many_to_many.items():
        if not wanted:
            continue
        through = getattr(model, name).through
        source = f"{model._meta.model_name}_id"
        target = f"{model._meta.get_field(name).related_model._meta.model_name}_id"
        wanted_pairs = {(obj.pk, related) for obj, related_ids in wanted for related in related_ids}
        stored_pairs = {}
        if not created:
            stored = through.objects.filter(**{f"{source}__in": [obj.pk for obj, _ids in wanted]})
            stored_pairs = {(s, t): pk for s, t, pk in stored.values_list(source, target, "pk")}
        gone = [pk for pair, pk in stored_pairs.items() if pair not in wanted_pairs]
        if gone:
            through.objects.filter(pk__in=gone).delete()
        insert_rows(
            through,
            [
                through(**{source: obj_id, target: related})
                for obj_id, related in sorted(wanted_pairs - set(stored_pairs))
            ],
        )


def _in_chunks(items, size=BATCH_SIZE):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _after_change(model, objs, *, created):
    """What the model derives from the rows written (``Record.after_change``; a part of an
    event may have its own, such as ``Participation.after_change``). Rows already derived
    from as they were written are left out (a new event's participations written with it:
    ``Event.prepare_write`` marks them ``derived_by_event``)."""
    after_change = getattr(model, "after_change", None)
    ids = []
    for obj in objs:
        if created and obj.__dict__.pop("derived_by_event", False):
            continue
        ids.append(obj.pk)
    if after_change is not None and ids:
        after_change(ids, created=created)


def _history(model, objs, *, update, by, reason, when):
    write_history(model, [obj.pk for obj in objs], update=update, by=by, reason=reason, when=when)


def write_history(model, ids, *, update, by, reason, when):
    """The history rows simple-history writes for a save of each of the rows ``ids``
    (every tracked field as now stored, who, why, when, ``+`` or ``~``), and for each the
    many-to-many rows it holds: copied in the database, a few statements per 500 rows."""
    history = model.history.model
    first = history._base_manager.aggregate(top=Max("history_id"))["top"] or 0
    kind = "~" if update else "+"
    groups = list(_id_groups(ids))
    for group in groups:
        _copy_history(model, group, by=by, reason=reason, when=when, kind=kind)
    for field in getattr(history, "_history_m2m_fields", []):
        for group in groups:
            _copy_many_to_many_history(model, field, group, after=first)


def _id_groups(ids):
    """``ids`` in groups a statement can name at once: each run of at least
    ``BATCH_SIZE`` consecutive ids as a ``range`` (one statement however long: the rows
    an import creates, with no list of ids to send and match), the others in lists of up
    to ``BATCH_SIZE`` (on PostgreSQL, all of them in one list: one array)."""
    ids = sorted(set(ids))
    runs, single, start = [], [], 0
    for n in range(1, len(ids) + 1):
        if n == len(ids) or ids[n] != ids[n - 1] + 1:
            run = ids[start:n]
            if len(run) >= BATCH_SIZE:
                runs.append(range(run[0], run[-1] + 1))
            else:
                single += run
            start = n
    yield from runs
    if connection.vendor == "postgresql":
        if single:
            yield single
        return
    yield from _in_chunks(single)


def _where_ids(column, ids):
    """``(condition, params)`` for a column holding one of ``ids`` (a list, or a range)."""
    if isinstance(ids, range):
        return f"{column} BETWEEN %s AND %s", [ids[0], ids[-1]]
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _copy_many_to_many_history(model, field, ids, *, after):
    """What simple-history keeps of a many-to-many field with each new history row (the
    rows written after history id ``after``) of the objects ``ids``."""
    quote = connection.ops.quote_name
    history = model.history.model
    m2m_history = getattr(history, field.name).model
    through = getattr(model, field.name).through
    columns = [f.column for f in through._meta.concrete_fields]
    source = quote(through._meta.get_field(field.m2m_field_name()).column)
    where, params = _where_ids(f"t.{source}", ids)
    sql = (
        f"INSERT INTO {quote(m2m_history._meta.db_table)} "
        f"({', '.join(quote(c) for c in columns)}, {quote('history_id')}) "
        f"SELECT {', '.join('t.' + quote(c) for c in columns)}, h.{quote('history_id')} "
        f"FROM {quote(through._meta.db_table)} t JOIN {quote(history._meta.db_table)} h "
        f"ON h.{quote(model._meta.pk.column)} = t.{source} "
        f"WHERE h.{quote('history_id')} > %s AND {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [after, *params])


def update_rows(model, objs, fields, *, using=None):
    """Save ``fields`` of ``objs`` as ``bulk_update`` does, with one short statement per
    row sent at once (``bulk_update``'s CASE expressions grow with the batch and are slow
    on SQLite)."""
    objs = list(objs)
    if not objs or not fields:
        return
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="update_rows", fields=fields)
    attnames = [model._meta.get_field(name).attname for name in fields]
    rows = [(obj.pk, *(getattr(obj, name) for name in attnames)) for obj in objs]
    update_values(model, fields, rows, using=using)


def update_values(model, fields, rows, *, using=None):
    """Set ``fields`` of the rows ``rows`` (``(id, value, …)``, values in the order of
    ``fields``), one short statement per row sent at once."""
    if not rows or not fields:
        return
    connection = connections[using or router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in fields]
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET "
        + ", ".join(f"{quote(f.column)} = %s" for f in fields)
        + f" WHERE {quote(model._meta.pk.column)} = %s"
    )
    prepare = [_preparer(f, connection) for f in fields]
    params = [
        [p(value, connection) for p, value in zip(prepare, values, strict=True)] + [pk]
        for pk, *values in rows
    ]
    with connection.cursor() as cursor:
        for chunk in _in_chunks(params, 5 * BATCH_SIZE):
            cursor.executemany(sql, chunk)


#: Fields whose Python values go to the database as they are (for a value of their own
#: type: others are prepared as Django prepares them).
_AS_THEY_ARE = {
    models.AutoField: int,
    models.BigAutoField: int,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.CharField: str,
    models.SlugField: str,
    models.TextField: str,
    models.URLField: str,
    models.EmailField: str,
}


def _preparer(field, connection):
    """How a field's value is prepared for the database: as ``field.get_db_prep_save``
    does, with values of the field's own type (and None) passed as they are."""
    target = field.target_field if field.is_relation else field
    kind = _AS_THEY_ARE.get(type(target))
    if kind is None:
        return field.get_db_prep_save

    def prepare(value, connection):
        if value is None or type(value) is kind:
            return value
        return field.get_db_prep_save(value, connection)

    return prepare


def _computes_on_save(field):
    """Whether the field sets its value as a row is saved (``auto_now``, say)."""
    if isinstance(field, models.DateField | models.TimeField):
        return field.auto_now or field.auto_now_add
    return type(field).pre_save is not models.Field.pre_save


def _plain(field):
    """Whether a field's value goes to the database as the instance holds it (text,
    integers, ids: what ``get_db_prep_save`` gives back unchanged)."""
    target = field.target_field if field.is_relation else field
    return type(target) in _AS_THEY_ARE and not _computes_on_save(field)


#: Values whose database form depends on nothing else: prepared once per insert. (None
#: too: a field prepares it the same way every time.)
_IMMUTABLE = {
    type(None),
    datetime.date,
    datetime.datetime,
    datetime.time,
    datetime.timedelta,
    bool,
    decimal.Decimal,
}


def _value_for_insert(field, connection, now):
    """How an insert takes a field's database value from an instance, as a save does
    (``pre_save``, then ``get_db_prep_save``), with two shortcuts: a timestamp set on
    saving (``auto_now``, ``auto_now_add``) is the insert's one ``now``, prepared once;
    an empty value, a date, timestamp, time, duration or decimal is prepared once for
    each value met."""
    attname, prepare = field.attname, field.get_db_prep_save
    if type(field) is models.DateTimeField and (field.auto_now or field.auto_now_add):
        prepared = prepare(now, connection)

        def stamp(obj):
            obj.__dict__[attname] = now
            return prepared

        return stamp
    if isinstance(field, CountryField):
        return _cleaned_on_save(field, connection)
    if _computes_on_save(field):
        return lambda obj: prepare(field.pre_save(obj, True), connection)
    memo = {}

    def value(obj):
        value = getattr(obj, attname)
        if type(value) not in _IMMUTABLE:
            return prepare(value, connection)
        if value not in memo:
            memo[value] = prepare(value, connection)
        return memo[value]

    return value


def _cleaned_on_save(field, connection):
    """A country's database value (``pre_save`` turns the code a row holds into a
    ``Country`` and back), prepared once for each code met."""
    attname, prepare, memo = field.attname, field.get_db_prep_save, {}

    def value(obj):
        code = obj.__dict__.get(attname)
        if type(code) is not str:
            return prepare(field.pre_save(obj, True), connection)
        if code not in memo:
            memo[code] = prepare(field.pre_save(obj, True), connection)
        return memo[code]

    return value


def _take_related_ids(objs, fields):
    """A foreign key set to a record that had no id yet takes its id now, as a save
    does (``Model._prepare_related_fields_for_save``, for the fields of one model): the
    key's column is set, and the record stays cached on the row.

    Read and written in the rows' ``__dict__``: a key's descriptor costs a Python call per
    read and write, and an import sets some 200,000 keys."""
    keys = [(f, f.attname, f.cache_name, f.target_field.attname) for f in fields if f.many_to_one]
    if not keys:
        return
    for obj in objs:
        values, cached = obj.__dict__, obj._state.fields_cache
        for field, attname, cache_name, target in keys:
            if (values[attname] if attname in values else getattr(obj, attname)) is not None:
                continue
            related = cached.get(cache_name)
            if related is None:
                continue
            key = getattr(related, target)
            if key is None and related.pk is None:
                raise ValueError(
                    f"insert_rows() prohibited to prevent data loss due to unsaved "
                    f"related object '{field.name}'."
                )
            values[attname] = key


def _give_ids(model, objs, connection):
    """Rows without an id get the next ones after the highest stored or given."""
    attname = model._meta.pk.attname
    if model._meta.parents:  # an inherited id is set on every parent link
        given = [obj.pk for obj in objs if obj.pk is not None]
        next_id = max([first_free_id(model, connection) - 1, *given]) + 1
        for obj in objs:
            if obj.pk is None:
                obj.pk, next_id = next_id, next_id + 1
        return
    given = [obj.__dict__.get(attname) for obj in objs]
    next_id = (
        max([first_free_id(model, connection) - 1, *(pk for pk in given if pk is not None)]) + 1
    )
    for obj, pk in zip(objs, given, strict=True):
        if pk is None:
            obj.__dict__[attname], next_id = next_id, next_id + 1


def _getter(make, names):
    """``make(*names)`` (``itemgetter``, ``attrgetter``), giving a tuple however many names."""
    if len(names) > 1:
        return make(*names)
    if names:
        get = make(*names)
        return lambda obj: (get(obj),)
    return lambda obj: ()


def _insert_values(model, objs, connection):
    """``(fields, rows)``: the columns an insert writes and each row's values, prepared as
    a save prepares them. Values that go to the database as they are come straight from
    each row's ``__dict__``, in one ``itemgetter`` call per row."""
    meta = model._meta
    plain = [f for f in meta.concrete_fields if _plain(f)]
    other = [f for f in meta.concrete_fields if not _plain(f)]
    now = timezone.now()
    steps = [_value_for_insert(f, connection, now) for f in other]
    attnames = [f.attname for f in plain]
    take, take_slowly = _getter(itemgetter, attnames), _getter(attrgetter, attnames)
    rows = []
    for obj in objs:
        try:
            row = take(obj.__dict__)
        except KeyError:  # a deferred field: read as the model reads it
            row = take_slowly(obj)
        if steps:
            row += tuple([step(obj) for step in steps])
        rows.append(row)
    return [*plain, *other], rows


def first_free_id(model, connection):
    """The first id that no row of ``model`` ever had: past the highest stored one and
    past the database's own high-water mark (the id sequence on PostgreSQL, SQLite's
    ``sqlite_sequence``). A deleted row's id is never given again: its history, the change
    log and calendar subscribers still know the deleted event by it."""
    table = model._meta.db_table
    top = model._base_manager.db_manager(connection.alias).aggregate(top=Max("pk"))["top"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, model._meta.pk.column])
            (sequence,) = cursor.fetchone()
            # The name comes from the catalogue, quoted and schema-qualified.
            cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {sequence}")
        else:
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        mark = cursor.fetchone()
    return max(top or 0, mark[0] if mark else 0) + 1


def insert_rows(model, objs, *, using=None):
    """Insert ``objs`` (unsaved instances of ``model``) as ``bulk_create`` does, without
    building its statements field by field: on PostgreSQL by ``COPY``, the rows streamed
    as values (an array literal of 2,500 rows' texts took longer to write out and to
    parse than to insert); elsewhere one short statement prepared once for every row.

    Rows without an id get the next ones after the highest stored or given (the caller
    holds the write lock, :meth:`RecordVersion.queue_write`); the database's id sequence
    is then moved past them. Values are prepared as a save prepares them.
    """
    objs = list(objs)
    if not objs:
        return objs
    connection = connections[using or router.db_for_write(model)]
    meta = model._meta
    _take_related_ids(objs, meta.concrete_fields)
    _give_ids(model, objs, connection)
    fields, params = _insert_values(model, objs, connection)
    quote = connection.ops.quote_name
    columns = f"{quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # rows streamed by COPY: no statement to parse
            with cursor.cursor.copy(f"COPY {columns} FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
        else:  # one statement, prepared once, for every row
            sql = f"INSERT INTO {columns} VALUES ({', '.join(['%s'] * len(fields))})"
            for chunk in _in_chunks(params, 5 * BATCH_SIZE):
                cursor.executemany(sql, chunk)
        for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(statement)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def create_with_history(model, objs, *, by, reason, many_to_many=None):
    """Create ``objs`` (unsaved instances of ``model``) with their history.

    ``many_to_many`` gives new objects' related ids: ``{field: [(obj, [ids])]}``.
    Returns the objects, now with their ids.
    """
    objs = list(objs)
    if not objs:
        return objs
    when = timezone.now()
    if _is_record(model):
        for obj in objs:
            obj.stamp_change(by=by, reason=reason)
            obj.prepare_write()
    created = insert_rows(model, objs)
    _set_many_to_many(model, many_to_many or {}, created=True)
    _history(model, created, update=False, by=by, reason=reason, when=when)
    _after_change(model, created, created=True)
    RecordVersion.bump(model)
    return created


def update_with_history(model, objs, fields, *, by, reason, many_to_many=None):
    """Save ``fields`` of ``objs`` (changed instances of ``model``) with their history;
    curated records move to their next version."""
    objs = list(objs)
    if not objs:
        return
    when = timezone.now()
    fields = list(fields)
    if _is_record(model):
        for obj in objs:
            obj.stamp_change(by=by, reason=reason)
        fields += ["version", "changed_by", "updated_at"]
    update_rows(model, objs, fields)
    _set_many_to_many(model, many_to_many or {})
    _history(model, objs, update=True, by=by, reason=reason, when=when)
    _after_change(model, objs, created=False)
    RecordVersion.bump(model)


def delete_with_history(objs, *, by, reason):
    """Delete ``objs`` (and what cascades from them); each gets a history row saying who
    deleted it and why. Raises ``ProtectedError`` as a delete does, before anything goes."""
    by_model = {}
    for obj in objs:
        by_model.setdefault(type(obj), []).append(obj)
    for model, group in by_model.items():
        collector = HistoryCollector(using=router.db_for_write(model), origin=group)
        collector.collect(group)
        collector.delete_with_history(by=by, reason=reason, when=timezone.now())
    if by_model:
        RecordVersion.bump(*by_model)


class HistoryCollector(Collector):
    """Django's delete, a few statements per model: the history rows simple-history
    writes one by one on each delete (``-``, who, why, when) are copied in the database
    before the rows go, so no signal is sent per row. (simple-history keeps no
    many-to-many rows with a delete: they are gone by then.)"""

    def delete_with_history(self, *, by, reason, when):
        for model, instances in self.data.items():
            self.data[model] = sorted(instances, key=attrgetter("pk"))
        self.sort()
        for model, instances in self.data.items():
            if hasattr(model, "history") and not model._meta.auto_created:
                for group in _id_groups([obj.pk for obj in instances]):
                    _copy_history(model, group, by=by, reason=reason, when=when, kind="-")
        for queryset in self.fast_deletes:
            queryset._raw_delete(using=self.using)
        self._update_fields()
        for model, instances in self.data.items():
            for chunk in _in_chunks([obj.pk for obj in reversed(instances)]):
                sql.DeleteQuery(model).delete_batch(chunk, self.using)
        for model, instances in self.data.items():
            for instance in instances:
                setattr(instance, model._meta.pk.attname, None)

    def _update_fields(self):
        """``SET_NULL`` and the like, as ``Collector.delete`` applies them."""
        for (field, value), instances_list in self.field_updates.items():
            updates, objs = [], []
            for instances in instances_list:
                if isinstance(instances, QuerySet) and instances._result_cache is None:
                    updates.append(instances)
                else:
                    objs.extend(instances)
            for queryset in updates:
                queryset.update(**{field.name: value})
            if objs:
                query = sql.UpdateQuery(objs[0].__class__)
                query.update_batch(list({obj.pk for obj in objs}), {field.name: value}, self.using)


def insert_with_history(model, rows, *, by=None, reason, prepared=()):
    """Insert generated rows at scale, with the bookkeeping :func:`create_with_history`
    keeps, without building model instances: a few hundred thousand rows a minute.

    ``rows`` are dicts of field attnames to values (no ``id``); fields they leave out get
    their defaults, and a curated record version 1 with ``by`` and now as its stamps.
    Values must be ready for the database, except those of the fields named in
    ``prepared`` (dates, say), adapted here. The rows get consecutive ids, which are returned as a
    ``range``; their history rows are copied from them in the database. The caller holds
    the write lock (:meth:`RecordVersion.queue_write`) and resets sequences once done
    (:func:`reset_sequences`).
    """
    rows = list(rows)
    now = timezone.now()
    fields = model._meta.concrete_fields
    defaults = {f.attname: f.get_default() for f in fields if f.attname != "id"}
    if _is_record(model):
        defaults |= {
            "version": 1,
            "changed_by_id": by.pk if by else None,
            "created_at": now,
            "updated_at": now,
        }
    defaults = {
        name: model._meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in defaults.items()
        if name in {f.attname for f in fields}
    }
    start = first_free_id(model, connection)
    names = ["id", *defaults]
    adapt = {name: model._meta.get_field(name).get_db_prep_save for name in prepared}
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(n).column) for n in names)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(names))})"
    with connection.cursor() as cursor:
        for first in range(0, len(rows), 5 * BATCH_SIZE):
            batch = []
            for n, row in enumerate(rows[first : first + 5 * BATCH_SIZE], start + first):
                for name, prepare in adapt.items():
                    row[name] = prepare(row[name], connection)
                values = defaults | row
                batch.append((n, *(values[name] for name in names[1:])))
            cursor.executemany(sql, batch)
    ids = range(start, start + len(rows))
    _copy_history(model, ids, by=by, reason=reason, when=now)
    RecordVersion.bump(model)
    return ids


def _copy_history(model, ids, *, by, reason, when, kind="+"):
    """History rows (``kind``: ``+`` created, ``~`` changed) for the rows ``ids`` of
    ``model`` (a list, or a range), copied in the database."""
    if not ids:
        return
    where, params = _where_ids("id", ids)
    history = model.history.model
    own = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}
    copied = [f.column for f in history._meta.concrete_fields if f.name not in own]
    quote = connection.ops.quote_name
    stamps = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} "
        f"({', '.join(quote(c) for c in [*copied, *stamps])}) "
        f"SELECT {', '.join(quote(c) for c in copied)}, %s, %s, %s, %s "
        f"FROM {quote(model._meta.db_table)} WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                connection.ops.adapt_datetimefield_value(when),
                str(reason),
                kind,
                by.pk if by else None,
                *params,
            ],
        )


def reset_sequences(models):
    """Move the databases' id sequences past rows inserted with explicit ids."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
