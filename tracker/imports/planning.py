"""Step 3 of an import: compare the rows with the record and plan every change.

The comparison is the export run backwards: for a row that matches a stored one, each
column's value is what export would write for the stored row (``Column.value``), and
only columns whose value differs become changes. Checks run per table, from the field
map and the models' rules, on the values that would be written; the record is read with
a fixed number of queries per table (per chunk of 500 events).
"""

import functools
from dataclasses import dataclass
from operator import itemgetter

from django.utils.translation import gettext as _

from ..columns import EVENTS, LINKS, OUTCOMES, PARTICIPATIONS, PartyList, Position, Sources
from ..models import (
    Event,
    Party,
)
from .among import Among
from .plan import CHANGED, CREATED, Change, Plan
from .references import MODELS as REFERENCED
from .references import References, SourceIndex, in_chunks
from .rules import instance_problems
from .stored import Blanks, Loader, Part, foreign_key, instances, keeps_value, new, set_key


@dataclass
class Options:
    confirm_renames: bool = False  # a name next to an existing slug may rename it
    confirm_new: bool = False  # a new record may be named like an existing one
    complete: bool = False  # an event's rows in the files are all it has (the seed files)
    keep_edited: bool = False  # records people changed are left alone (the seed loader)


class Context:
    """Everything the planning steps share: the rows, the plan, and what is known."""

    def __init__(self, tables, options):
        self.tables = tables
        self.options = options
        self.plan = Plan()
        self.problems = []
        self.refs = References(self)
        self.sources = SourceIndex(self)
        self.stored = {}  # slug -> stored event with its parts, for events that own rows
        self.events = {}  # slug -> event as the import leaves it (stored or new)
        self.broken = set()  # slugs of events rows that could not be read
        self.skipped = set()  # slugs of events left alone (changed by people, or deleted)
        self.parts = {}  # (table, slug) -> an event's rows as the import leaves them

    def rows(self, table):
        return [row for row in self.tables.get(table) or [] if row.ok]

    def refuse(self, row, column, message, *, confirm=None):
        self.problems.append(row.problem(column, message, confirm=confirm))

    def keeps_edit(self, obj):
        return self.options.keep_edited and obj.edited_by_person

    @staticmethod
    def edited_by(obj):
        who = obj.changed_by.get_username() if obj.changed_by else _("someone")
        return _("changed in the admin by %(who)s") % {"who": who}

    def event(self, slug, row, column):
        """The event a row refers to; refused by name when there is none."""
        if slug in self.events:
            return self.events[slug]
        unreadable = EVENTS in self.tables and self.tables[EVENTS] is None
        if slug not in self.broken and slug not in self.skipped and not unreadable:
            self.refuse(row, column, _("unknown event %(slug)r") % {"slug": slug})
        return None


def relations(table):
    """``{relation: {attribute: column}}`` for the table's columns that reach through a
    foreign key (``process.slug``, ``process.title``…)."""
    return _relations(table.columns)


def own_columns(table):
    """Columns that stand for one of the table's own fields."""
    return _own_columns(table.columns)


# Asked for every row: worked out once per set of columns (a test may add a column).
@functools.cache
def _relations(columns):
    groups = {}
    for column in columns:
        if column.relation:
            groups.setdefault(column.relation, {})[column.path[1]] = column
    return groups


@functools.cache
def _own_columns(columns):
    return [
        c
        for c in columns
        if (c.field and not c.relation and c.field != "id") or isinstance(c.codec, Position)
    ]


@functools.cache
def _attributes(columns):
    """``(column, attribute of the row it sets)`` for each of :func:`own_columns`."""
    return [
        (c, "position" if isinstance(c.codec, Position) else c.target.name)
        for c in _own_columns(columns)
    ]


class _Relation:
    """A foreign key a file's rows set, by the slug in their ``key`` cell."""

    __slots__ = ("name", "key", "model", "attname", "cache_name", "foreign_key")

    def __init__(self, name, key):
        self.name, self.key = name, key.name
        self.model = key.referenced_model
        field = key.model._meta.get_field(name)
        self.attname, self.cache_name = field.attname, field.cache_name
        self.foreign_key = foreign_key(key.model, name)


class _Fields:
    """What :func:`apply_columns` does with the rows of one file, worked out once per
    header rather than for every cell: ``own`` holds ``(column, cell, attribute, accepted
    values, checker, reader, kept as is)`` for each own column the file has
    (:attr:`Column.accepted`, :attr:`Column.checker`; the reader gives a stored row's
    value; an attribute kept as is is set in the row's ``__dict__``, as ``setattr``
    would), ``relations`` a :class:`_Relation` for each foreign key the file names (not
    the event the row belongs to); ``taken`` and ``checked`` split the own columns for
    a new row (:func:`_create_columns`)."""

    def __init__(self, columns, header):
        self.own = [
            (
                column,
                column.name,
                name,
                column.accepted,
                column.checker,
                None if column.codec else column._read,
                keeps_value(column.model, name),
            )
            for column, name in _attributes(columns)
            if column.name in header
        ]
        self.relations = [
            _Relation(relation, group["slug"])
            for relation, group in _relations(columns).items()
            if group["slug"].name in header and relation not in ("event", "from_event")
        ]
        # A new row's cells that no rule can refuse and that are kept as they are, set
        # together (``taken``, read by ``take``); the others, checked one by one.
        taken, self.checked = [], []
        for own in self.own:
            _column, cell, name, _accepted, check, _read, kept = own
            if kept and check is None:
                taken.append((cell, name))
            else:
                self.checked.append(own)
        self.taken = [name for _cell, name in taken]
        self.take = _cells_getter([cell for cell, _name in taken])


@functools.lru_cache(maxsize=256)  # a few headers per import
def _fields(columns, header):
    return _Fields(columns, header)


# Collecting what the files refer to ------------------------------------------------------


def collect_references(context):
    """Each record the rows name, claimed (:meth:`References.claim`). A row that names a
    record exactly as an earlier row did, when that claim found nothing to refuse, is
    passed over here without a call: most rows of a large file repeat a name."""
    for table, rows in context.tables.items():
        rows = rows or []
        groups = [
            _Reference(group)
            for group in relations(table).values()
            if group["slug"].referenced_model in REFERENCED
        ]
        lists = [
            (c.name, isinstance(c.codec, PartyList))
            for c in table.columns
            if isinstance(c.codec, PartyList | Sources)
        ]
        parties = _PartyClaims(context)
        header, keyed = None, []
        for row in rows:
            if not row.ok:
                if table is EVENTS and "slug" in row.values:
                    context.broken.add(row.values["slug"])
                continue
            if row.columns is not header:
                header = row.columns
                keyed = [(group, group.key_of(header), group.agreed) for group in groups]
            values = row.values
            for group, key_of, agreed in keyed:
                if key_of is None:
                    continue
                try:
                    given = (header, key_of(values))
                    if given in agreed:
                        continue
                except TypeError:  # a value that cannot be a key: claimed each time
                    given = None
                group.claim(context, row, given)
            for column, party_list in lists:
                if column not in header:
                    continue
                if party_list:
                    parties.claim(row, column)
                else:
                    values["_sources"] = [
                        context.sources.cite(source, row, column) for source in values[column]
                    ]


class _PartyClaims:
    """The parties a file's lists name (“Name [slug]”), each claimed once for as long as
    it is named the same way (see :meth:`_Reference.claim`)."""

    def __init__(self, context):
        self.context = context
        self._agreed = set()  # (column, slug, name)

    def claim(self, row, column):
        context, agreed = self.context, self._agreed
        for slug, name in row.values[column]:
            if (column, slug, name) in agreed:
                continue
            problems = len(context.problems)
            context.refs.claim(Party, slug, {"name": name}, row, {"name": column})
            if len(context.problems) == problems:
                agreed.add((column, slug, name))


class _Reference:
    """The columns that name one referenced record (``process``, ``process_title``…)."""

    def __init__(self, group):
        self.key = group["slug"]
        self.model = self.key.referenced_model
        self.attrs = [(name, c.name) for name, c in group.items() if name != "slug"]
        self.columns = {name: c.name for name, c in group.items()}
        self.agreed = set()  # (header, what rows said) claimed already, nothing refused

    def key_of(self, header):
        """A function of a row's values giving what the row says of the record (its
        slug, then the attributes the file gives), or None when the file names none."""
        if self.key.name not in header:
            return None
        return itemgetter(self.key.name, *(c for _n, c in self.attrs if c in header))

    def claim(self, context, row, given):
        """Claim the record the row names (``given``: what it says, as :meth:`key_of`
        gives it with the row's header; None for a value that cannot be a key). A row
        that names a record exactly as an earlier row did, when that claim found nothing
        to refuse, would only repeat it: the record's known values never change, so it
        would agree again."""
        values, header = row.values, row.columns
        slug = values.get(self.key.name)
        if not slug:
            return
        attrs = {name: values[column] for name, column in self.attrs if column in header}
        problems = len(context.problems)
        context.refs.claim(self.model, slug, attrs, row, self.columns)
        if given is not None and len(context.problems) == problems:
            self.agreed.add(given)


def load_events(context):
    """Stored events that own rows in the files, with their parts (as export reads them),
    and the other events the files point to: a few queries, however many events."""
    owners, targets = set(), set()
    for row in context.rows(EVENTS):
        owners.add(row.values["slug"])
    for table, key in ((PARTICIPATIONS, "event"), (OUTCOMES, "event"), (LINKS, "from_event")):
        owners |= {row.values[key] for row in context.rows(table)}
    for row in context.rows(OUTCOMES):
        for name in ("carried_out_by", "carried_out_in_part_by"):
            targets |= set(row.values.get(name, []))
    targets |= {row.values["to_event"] for row in context.rows(LINKS)}
    loader = Loader()
    events = Event.objects.order_by()
    if owners:
        context.stored |= {e.slug: e for e in instances(events.filter(Among("slug", owners)))}
    stored = list(context.stored.values())
    loader.related(stored, ["process"])
    for part in _parts_to_fetch(context):
        loader.parts(stored, part)
    context.events = dict(context.stored)
    if targets - owners:
        others = events.filter(Among("slug", targets - owners))
        context.events |= {e.slug: e for e in instances(others)}


def _parts_to_fetch(context):
    """The parts of stored events the files can change or derive cells from: each is one
    query per 500 events, so what the files do not carry is not fetched."""
    events = context.tables.get(EVENTS) or []
    header = events[0].columns if events else frozenset()
    parts = []
    if PARTICIPATIONS in context.tables or "participants" in header:
        parts.append(Part("participations", related=("person", "party", "side")))
    if OUTCOMES in context.tables or "outcomes" in header:
        carried_out = Part("implementations", related=("event",))
        parts.append(
            Part("outcomes", many=("agreed_by", "rejected_by", "sources"), parts=(carried_out,))
        )
    if "sources" in header:
        parts.append(Part("citations", related=("source",)))
    if LINKS in context.tables:
        parts.append(Part("links_out", related=("to_event",)))
    return parts


# Applying a row's values ---------------------------------------------------------------------


def apply_columns(context, row, obj, table, *, ordinal=None):
    """Set ``obj``'s fields from ``row`` and return the changes (none for a new row).

    Only columns the file has are read; values are checked against the field rules only
    when they would be written. A new row has nothing to compare with: its values are
    only checked and set (most rows of an import into an empty database).
    """
    fields = _fields(table.columns, row.columns)
    if obj._state.adding or obj.pk is None:  # a new row may carry a free id
        _create_columns(context, row, obj, fields)
        return []
    values, changes = row.values, []
    for column, cell, name, _accepted, _check, read, _kept in fields.own:
        value = values[cell]
        current = ordinal if read is None else read(obj)
        if value == current if read else column.same(value, current):
            continue
        messages = column.check(value)
        for message in messages:
            context.refuse(row, cell, message)
        if messages:
            continue
        changes.append(Change(name, current, value, stored=getattr(obj, name)))
        setattr(obj, name, value)
    for relation in fields.relations:
        changes += _apply_relation(context, row, obj, relation, False)
    return changes


def _create_columns(context, row, obj, fields):
    """:func:`apply_columns` for a row not yet written."""
    _set_cells(context, row, obj, fields)
    for relation in fields.relations:
        _apply_relation(context, row, obj, relation, True)


def _set_cells(context, row, obj, fields):
    """Set a new row's own columns from ``row``'s cells (``fields``: the file's
    :class:`_Fields`), each checked unless its column accepted the value before; a cell
    refused is named and left unset."""
    values, attributes = row.values, obj.__dict__
    if fields.taken:  # cells no rule refuses, kept as they are: set at once
        attributes.update(zip(fields.taken, fields.take(values), strict=True))
    for _column, cell, name, accepted, check, _read, kept in fields.checked:
        value = values[cell]
        if check is not None:
            try:  # in_set(), without a call per cell
                known = accepted is not None and value in accepted
            except TypeError:  # a value that cannot be a key: checked each time
                known = False
            if not known:
                messages = check(value)
                if messages:
                    for message in messages:
                        context.refuse(row, cell, message)
                    continue
        if kept:
            attributes[name] = value
        else:
            setattr(obj, name, value)


class NewRows:
    """New ``model`` rows for rows of one file, each belonging to a record through the
    foreign key ``owner`` (an event's): what :func:`new` and :func:`apply_columns` do
    for each, with what depends only on the file worked out once rather than for every
    row (most rows of an import into an empty database are new). The rows are copies of
    one blank row (:class:`~.stored.Blanks`); a foreign key to a record the row names is
    set as :func:`_apply_relation` sets it on a new row (one to an event goes through it:
    an unknown event is refused by name)."""

    def __init__(self, context, model, table, owner):
        self.context, self.table = context, table
        self.blanks, self.owner = Blanks(model), owner
        self._header = self._fields = self._relations = None

    def make(self, row, owner):
        """The new row for ``row``, belonging to ``owner`` (a record), its cells'
        problems refused in the order :func:`apply_columns` refuses them (the model's
        rules are the caller's to check, :func:`refuse_broken_rules`)."""
        context = self.context
        if row.columns is not self._header:
            self._per_file(row.columns)
        obj = self.blanks(**{self.owner: owner})
        _set_cells(context, row, obj, self._fields)
        values = row.values
        records = context.refs.records
        for relation, unset in self._relations:
            if not unset:
                _apply_relation(context, row, obj, relation, True)
                continue
            slug = values[relation.key]
            if not slug:  # nothing named: the key stays empty, known to be so
                obj._state.fields_cache[relation.cache_name] = None
                continue
            related = records[relation.model].get(slug)
            if related is None:
                row.unresolved = True  # already refused
            set_key(obj, relation.name, relation.foreign_key, related)
        return obj

    def _per_file(self, header):
        self._header = header
        self._fields = fields = _fields(self.table.columns, header)
        self._relations = [(r, self._unset(r)) for r in fields.relations]

    def _unset(self, relation):
        """Whether ``relation`` may be set the short way: every row starts without it,
        and it points to a record the references hold (not an event)."""
        return (
            relation.model is not Event
            and relation.model in self.context.refs.records
            and relation.name != self.owner
            and self.blanks.leave_unset(relation.name)
        )


def _cells_getter(cells):
    """A function of a row's values giving those of ``cells``, as a tuple."""
    if len(cells) > 1:
        return itemgetter(*cells)
    if cells:
        get = itemgetter(cells[0])
        return lambda values: (get(values),)
    return lambda values: ()


def check_values(context, row, table):
    """The field rules on every value of a row that cannot be planned (its event is
    unknown), so that one pass still names every problem."""
    for column in own_columns(table):
        if row.has(column.name):
            for message in column.check(row.values[column.name]):
                context.refuse(row, column.name, message)


def _apply_relation(context, row, obj, relation, creating):
    """``relation``: a :class:`_Relation` the row's file names."""
    slug = row.values[relation.key]
    model = relation.model
    if not slug:
        related = None
    elif model is Event:
        related = context.event(slug, row, relation.key)
    else:
        related = context.refs.records[model].get(slug)
    if slug and related is None:
        row.unresolved = True  # already refused: the row's other rules would only echo it
    cached = obj._state.fields_cache
    if relation.cache_name in cached:
        current = cached[relation.cache_name]
    elif getattr(obj, relation.attname) is not None:
        current = getattr(obj, relation.name)
    else:
        current = None
    if (current.slug if current else "") == (slug or ""):
        if current is None and creating:  # no record, as the descriptor would note it
            cached[relation.cache_name] = None
        return []
    set_key(obj, relation.name, relation.foreign_key, related)
    return [] if creating else [Change(relation.name, current, related)]


def refuse_broken_rules(context, row, obj):
    if row.unresolved:
        return
    for name, message in instance_problems(obj):
        context.refuse(row, name, message)


# Events ------------------------------------------------------------------------------------


def plan_events(context):
    rows = context.rows(EVENTS)
    seen, new = {}, []
    for row in rows:
        slug = row.values["slug"]
        if slug in seen:
            context.refuse(
                row,
                "slug",
                _("%(slug)r is also on %(first)s") % {"slug": slug, "first": seen[slug].place},
            )
            continue
        seen[slug] = row
        if slug not in context.stored:
            new.append(row)
    gone = _deleted_in_admin(context, [row.values["slug"] for row in new])
    free = _free_ids(row.values.get("id") for row in new)
    for row in seen.values():
        event = context.stored.get(row.values["slug"])
        if event is None:
            _new_event(context, row, gone, free)
        elif context.keeps_edit(event):
            context.skipped.add(event.slug)
            context.plan.skip(Event, event.slug, context.edited_by(event))
        else:
            _changed_event(context, row, event)


def label(event):
    return f"{event.title} [{event.slug}]"


def _deleted_in_admin(context, slugs):
    """Seed loading brings no event back that someone deleted in the admin."""
    if not context.options.keep_edited or not slugs:
        return set()
    gone = set()
    for chunk in in_chunks(slugs):
        gone |= set(
            Event.history.filter(history_type="-", slug__in=chunk).values_list("slug", flat=True)
        )
    return gone


def _free_ids(ids):
    wanted = [i for i in ids if i]
    taken = set()
    for chunk in in_chunks(wanted):
        taken |= set(Event.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    return set(wanted) - taken


def _new_event(context, row, gone, free):
    slug = row.values["slug"]
    if slug in gone:
        context.skipped.add(slug)
        context.plan.skip(Event, slug, _("deleted in the admin"))
        return
    event = new(Event, slug=slug)
    for message in EVENTS.column("slug").check(slug):
        context.refuse(row, "slug", message)
    if row.values.get("id") in free:
        event.pk = row.values["id"]
    apply_columns(context, row, event, EVENTS)
    if event.status == Event.Status.PUBLISHED:
        event.publish()
    refuse_broken_rules(context, row, event)
    context.events[slug] = event
    context.plan.add(CREATED, event, label(event))


def _changed_event(context, row, event):
    published_at = event.published_at
    was_published = event.is_published
    changes = apply_columns(context, row, event, EVENTS)
    if not changes:
        context.plan.keep(Event, event)
        return
    also = {}
    if event.is_published and not was_published:
        event.publish()
        if event.published_at != published_at:
            also["published_at"] = published_at
    refuse_broken_rules(context, row, event)
    context.plan.add(CHANGED, event, label(event), changes=changes, also=also)


def plan_records(context, records):
    """Seed records (conflicts, processes, parties, people) given in full: ``{model:
    [(slug, fields, row)]}``."""
    for model in REFERENCED:
        for slug, fields, row in records.get(model, []):
            context.refs.record(model, slug, fields, row)
