"""Step 3's reading: the stored rows an import compares the files with, one query per
table (its owners' ids sent as one parameter, see :mod:`.among`), joined in Python.

``prefetch_related`` would run as many queries, but it clones a queryset for every
event and builds a related record (a person, a party, a source) once for every row that
names it, which at 10,000 events costs more than the rest of the import. Here each
related record is built once, shared by the rows that name it, and an event's rows are
kept where Django keeps prefetched rows, in the order its related manager gives them
(the model's ordering), so that :func:`stored_rows` and the export's codecs read them.
"""

import functools
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, router
from django.db.models import Model, signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor
from django.db.models.query_utils import DeferredAttribute

from ..models.base import Record
from .among import Among


@dataclass(frozen=True)
class Part:
    """Rows that hang on an owner through ``name`` (a reverse foreign key or a
    many-to-many field), with the foreign keys (``related``), many-to-many fields
    (``many``) and rows of their own (``parts``) to read with them."""

    name: str
    related: tuple = ()
    many: tuple = ()
    parts: tuple = ()


def stored_rows(obj, name):
    """A stored row's related rows: those read with it, else a query (never for a row
    not yet written)."""
    if obj.pk is None or obj._state.adding:
        return []
    cache = getattr(obj, "_prefetched_objects_cache", {})
    return list(cache[name] if name in cache else getattr(obj, name).all())


def _keep(obj, name, rows):
    if not hasattr(obj, "_prefetched_objects_cache"):
        obj._prefetched_objects_cache = {}
    obj._prefetched_objects_cache[name] = rows


class Loader:
    """Reads rows by owner; related records are built once per import (``known``)."""

    def __init__(self):
        self.known = {}  # model -> {pk: record}

    def related(self, objs, names):
        """Set each of ``objs``' foreign keys ``names`` to its record, one query per model
        for the records not known yet."""
        if not objs:
            return
        meta = objs[0]._meta
        for name in names:
            field = meta.get_field(name)
            known = self._records(field.related_model, {getattr(o, field.attname) for o in objs})
            for obj in objs:
                value = getattr(obj, field.attname)
                field.set_cached_value(obj, known[value] if value is not None else None)

    def parts(self, owners, part):
        """Read ``part`` of every owner, and what the part reads with it."""
        owners = [o for o in owners if o.pk is not None]
        if not owners:
            return
        relation = owners[0]._meta.get_field(part.name)
        if relation.many_to_many:
            rows = self._many(owners, relation)
        else:
            rows = self._children(owners, relation)
        self.related(rows, part.related)
        for name in part.many:
            self.parts(rows, Part(name))
        for child in part.parts:
            self.parts(rows, child)

    def _children(self, owners, relation):
        """Rows of ``relation.related_model`` pointing to ``owners`` (a reverse foreign
        key), each with its owner set."""
        key = relation.field
        by_pk = {o.pk: o for o in owners}
        grouped = {pk: [] for pk in by_pk}
        rows = []
        rows_of = _within_owner(relation.related_model._default_manager.all(), key)
        for row in instances(rows_of.filter(Among(key.attname, by_pk))):
            key.set_cached_value(row, by_pk[getattr(row, key.attname)])
            grouped[getattr(row, key.attname)].append(row)
            rows.append(row)
        for pk, group in grouped.items():
            _keep(by_pk[pk], relation.get_accessor_name(), group)
        return rows

    def _many(self, owners, field):
        """The records each owner holds in a many-to-many ``field``, in the order of the
        related model (as the related manager lists them)."""
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        model = field.related_model
        order = [_through(target, name) for name in model._meta.ordering]
        grouped = {o.pk: [] for o in owners}
        owner_id = through._meta.get_field(source).attname
        pairs = through._default_manager.filter(Among(owner_id, grouped))
        for owner, related in pairs.order_by(*order).values_list(source, target):
            grouped[owner].append(related)
        self._records(model, {pk for ids in grouped.values() for pk in ids})
        known = self.known[model]
        for obj in owners:
            _keep(obj, field.name, [known[pk] for pk in grouped[obj.pk]])
        return []

    def _records(self, model, ids):
        """Make sure the records ``ids`` of ``model`` are known: one query for the new."""
        known = self.known.setdefault(model, {})
        wanted = sorted(set(ids) - set(known) - {None})
        if wanted:
            rows = model._base_manager.filter(Among(model._meta.pk.attname, wanted)).order_by()
            known |= {r.pk: r for r in instances(rows)}
        return known


def _within_owner(queryset, key):
    """``queryset`` in the order it gives the rows of one owner (the record ``key``
    points to): terms of the model's ordering on the owner are the same for all of them,
    so the database is spared them, and the join they take."""
    query = queryset.query
    if query.order_by or not query.default_ordering:
        return queryset
    return queryset.order_by(
        *(term for term in queryset.model._meta.ordering if not _on_owner(term, key))
    )


def _on_owner(term, key):
    name = term.lstrip("-") if isinstance(term, str) else None
    return name in (key.name, key.attname) or bool(name and name.startswith(f"{key.name}__"))


def _through(target, name):
    """The related model's ordering ``name`` as seen from the many-to-many table."""
    descending = name.startswith("-")
    return ("-" if descending else "") + f"{target}__{name.lstrip('-')}"


def instances(queryset):
    """The rows of ``queryset`` as the model instances it gives, built as
    ``Model.from_db`` builds them, without the steps of ``Model.__init__`` that a row
    read whole does not need (defaults, keyword arguments): at ten thousand events an
    import reads a hundred thousand rows. A model that builds its instances its own way
    (a ``from_db`` of its own, ``post_init`` receivers) is read as usual."""
    model = queryset.model
    if model.from_db.__func__ not in _FROM_DB or signals.post_init.has_listeners(model):
        yield from queryset
        return
    names = [f.attname for f in model._meta.concrete_fields]
    setters = [name for name in names if _sets(model, name)]
    loaded = model.after_load if model.from_db.__func__ is Record.from_db.__func__ else None
    db, new = queryset.db, object.__new__
    for values in queryset.values_list(*names):
        obj = new(model)
        obj.__dict__.update(zip(names, values, strict=True))
        obj._state = state = ModelState()
        state.adding, state.db = False, db
        for name in setters:  # a field that keeps its value its own way (a country)
            setattr(obj, name, obj.__dict__[name])
        if loaded:
            loaded(obj)
        yield obj


#: The ``from_db`` that :func:`instances` does the work of: Django's, and a record's
#: (Django's, then :meth:`~tracker.models.base.Record.after_load`).
_FROM_DB = (Model.from_db.__func__, Record.from_db.__func__)


def new(model, **values):
    """A row not yet written, as ``model(**values)`` builds it: each field's default, then
    ``values`` set through the model's attributes (a foreign key given its record).
    ``Model.__init__`` works out every field's default anew for each row; here they are
    copied from a blank row built once per model, where that gives the same row (no
    default worked out per row, no ``__init__`` of the model's own, no ``pre_init`` or
    ``post_init`` receivers)."""
    blank = _blank(model)
    if (
        blank is None
        or (signals.pre_init.receivers and signals.pre_init.has_listeners(model))
        or (signals.post_init.receivers and signals.post_init.has_listeners(model))
    ):
        return model(**values)
    obj = object.__new__(model)
    obj.__dict__.update(blank)
    obj._state = ModelState()
    for name, value in values.items():
        set_key(obj, name, foreign_key(model, name), value)
    return obj


class Blanks:
    """New rows as :func:`new` builds them, for many rows of one model (a file's new
    participations): each a copy of one blank row built once, then ``values`` set as
    :func:`new` sets them, where :func:`new` would start every row from that blank row
    (no default worked out per row, no ``__init__`` of the model's own, no ``pre_init`` or
    ``post_init`` receivers); else each is built by :func:`new`."""

    def __init__(self, model):
        self.model = model
        self.row = new(model) if _blank(model) is not None and not _initialised(model) else None

    def __call__(self, **values):
        row, model = self.row, self.model
        if row is None or _initialised(model):
            return new(model, **values)
        obj = object.__new__(model)
        attributes = obj.__dict__
        attributes.update(row.__dict__)
        attributes["_state"] = state = ModelState()
        state.db, state.fields_cache = row._state.db, dict(row._state.fields_cache)
        for name, value in values.items():
            set_key(obj, name, foreign_key(model, name), value)
        return obj

    def leave_unset(self, name):
        """Whether every row starts without the foreign key ``name`` (no record cached, no
        key) unless given it: then setting it to nothing changes nothing."""
        key = foreign_key(self.model, name)
        return bool(
            self.row is not None
            and key is not None
            and key[1] not in self.row._state.fields_cache
            and self.row.__dict__.get(key[0]) is None
        )


def _initialised(model):
    """Whether ``model`` has ``pre_init`` or ``post_init`` receivers."""
    return bool(
        (signals.pre_init.receivers and signals.pre_init.has_listeners(model))
        or (signals.post_init.receivers and signals.post_init.has_listeners(model))
    )


def relate(obj, name, value):
    """``setattr(obj, name, value)``, where ``name`` is a foreign key: what its descriptor
    does (the type check, the rows' databases, the key's value, the cached record), without
    asking the database routers on every row when there are none (an import sets about
    200,000 keys at 10,000 events). A record that is itself new keeps its place in the cache,
    where the write takes its id from (``bulk.insert_rows``)."""
    set_key(obj, name, foreign_key(type(obj), name), value)


def set_key(obj, name, key, value):
    """:func:`relate` with the foreign key's :func:`foreign_key` worked out already (a
    caller that sets the same key on many rows)."""
    if key is None or router.routers:
        setattr(obj, name, value)
        return
    attname, cache_name, target, remote, pk = key
    cache = obj._state.fields_cache
    if value is None:
        old = cache.get(cache_name)
        if old is not None:  # the descriptor forgets this row on the old record
            old._state.fields_cache[remote] = None
        obj.__dict__[attname] = None
        cache[cache_name] = None
        return
    state, other = obj._state, value._state
    if type(value) is not target:  # refused, or a subclass: the descriptor decides
        setattr(obj, name, value)
        return
    if state.db is None:
        state.db = other.db or DEFAULT_DB_ALIAS
    if other.db is None:
        other.db = state.db
    if other.db != state.db:  # the descriptor refuses a relation across databases
        setattr(obj, name, value)
        return
    try:
        obj.__dict__[attname] = value.__dict__[pk]  # ``value.pk``, read as it keeps it
    except KeyError:
        obj.__dict__[attname] = value.pk
    cache[cache_name] = value


@functools.cache
def foreign_key(model, name):
    """``(attname, cache name, related model, cache name on the related record, the
    related model's id attribute)`` of a plain foreign key to a record's id, or None for
    any other attribute."""
    descriptor = getattr(model, name, None)
    if type(descriptor) is not ForwardManyToOneDescriptor:
        return None
    field = descriptor.field
    target = field.remote_field.model._meta.concrete_model
    if field.target_field is not target._meta.pk:
        return None
    return (
        field.attname,
        field.cache_name,
        target,
        field.remote_field.cache_name,
        target._meta.pk.attname,
    )


@functools.cache
def _blank(model):
    """The attributes of ``model()`` but its state, or None where a blank row cannot stand
    for every new one."""
    per_row = [f for f in model._meta.concrete_fields if f.has_default() and callable(f.default)]
    if per_row or model.__init__ is not Model.__init__:
        return None
    values = dict(model().__dict__)
    del values["_state"]
    return values


def _sets(model, attname):
    """Whether the model's attribute for a field does more than keep the value."""
    attribute = getattr(model, attname, None)
    return hasattr(type(attribute), "__set__") and not isinstance(attribute, DeferredAttribute)


def keeps_value(model, attname):
    """Whether setting the attribute only keeps the value in the row's ``__dict__`` (where
    the planning may then put it itself): not a country, not a foreign key."""
    return not _sets(model, attname)
