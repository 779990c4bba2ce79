"""Step 2 of an import: the processes, parties and people the files name, and the sources
they cite, looked up in the record with one query per table.

A name next to a slug is a reference: an existing record keeps its name unless renames
are confirmed, and then the plan lists the rename. A new slug whose name is an existing
record's name written differently (case, accents, punctuation) is refused as a likely
duplicate unless new records are confirmed.
"""

from django.utils.translation import gettext as _

from ..columns import EVENTS, Sources, field_rules
from ..models import Conflict, Party, Person, Process, Source
from ..text import name_key
from .plan import CHANGED, CREATED, NAME_FIELDS, Change
from .rules import instance_problems
from .stored import new

CHUNK = 500
MODELS = (Conflict, Process, Party, Person)
#: What a new record needs besides its slug, and what it gets when the files say nothing.
NEEDED = {
    Conflict: ("name",),
    Process: ("title", "conflict"),
    Party: ("name",),
    Person: ("name",),
}
DEFAULTS = {Party: {"kind": Party.Kind.OTHER}}


def in_chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def stored(obj, name):
    """A field's value as the files write it (a country as its code)."""
    value = getattr(obj, name)
    if name == "country":
        return value.code if value else ""
    if name == "countries":
        return [country.code for country in value]
    return value


def label(obj):
    name = getattr(obj, NAME_FIELDS.get(type(obj), "slug"))
    return f"{name} [{obj.slug}]"


class Claim:
    """What the files say about one referenced record: ``{field: (value, row, column)}``."""

    def __init__(self, row, column):
        self.row, self.column = row, column
        self.attrs = {}
        self.broken = False  # refused already: planned no further


class KnownNames:
    """The names the record holds, per model, for look-alikes and for names that must stay
    unique: one query per model, made only when a record is new or renamed."""

    def __init__(self):
        self._known = {}

    def of(self, model):
        if model not in self._known:
            known = {"names": {}, "keys": {}}
            for slug, name in model.objects.values_list("slug", NAME_FIELDS[model]):
                known["names"][name] = slug
                known["keys"].setdefault(name_key(name), (slug, name))
            self._known[model] = known
        return self._known[model]

    def taken(self, obj):
        """The slug of another record that has ``obj``'s name, where names are unique."""
        model, name_field = type(obj), NAME_FIELDS[type(obj)]
        if not model._meta.get_field(name_field).unique:
            return None
        other = self.of(model)["names"].get(getattr(obj, name_field))
        return other if other != obj.slug else None

    def lookalike(self, obj):
        """``(slug, name)`` of another record named like ``obj``, or None."""
        name = getattr(obj, NAME_FIELDS[type(obj)])
        slug, existing = self.of(type(obj))["keys"].get(name_key(name), (None, None))
        return (slug, existing) if slug and slug != obj.slug else None


class References:
    """Processes, parties and people by slug, as the import will leave them."""

    def __init__(self, context):
        self.context = context
        self.claims = {model: {} for model in MODELS}
        self.full = {model: {} for model in MODELS}  # seed records: slug -> (fields, row)
        self.records = {model: {} for model in MODELS}
        self.names = KnownNames()
        self.seeds = SeedRecords(self)
        self.conflicts = ConflictNames(self)

    def claim(self, model, slug, attrs, row, columns):
        """Note that ``row`` names ``slug`` with ``attrs`` (``{field: value}``; empty values
        say nothing); ``columns`` names the column of each field, for messages."""
        claims = self.claims[model]
        claim = claims.get(slug)
        if claim is None:
            claim = claims[slug] = Claim(row, columns.get("slug"))
        for name, value in attrs.items():
            if value in ("", None):
                continue
            if name not in claim.attrs:
                claim.attrs[name] = (value, row, columns[name])
                continue
            known, first, _column = claim.attrs[name]
            if known != value:
                self.context.refuse(
                    row,
                    columns[name],
                    _("%(slug)r is given as %(value)r here but as %(known)r on %(first)s")
                    % {"slug": slug, "value": value, "known": known, "first": first.place},
                )

    def record(self, model, slug, fields, row):
        """A whole record from the seed files: it is created or brought up to date."""
        self.full[model][slug] = (fields, row)

    def get(self, model, slug):
        return self.records[model].get(slug) if slug else None

    def resolve(self):
        self.conflicts.claim_named(self.context.rows(EVENTS))
        for model in MODELS:
            if model is Process:
                self.conflicts.resolve(self.claims[Process].values())
            slugs = set(self.claims[model]) | set(self.full[model])
            existing = {}
            for chunk in in_chunks(slugs):
                existing |= {o.slug: o for o in model.objects.filter(slug__in=chunk).order_by()}
            for slug in sorted(slugs):
                if slug in self.full[model]:
                    self.seeds.plan(model, slug, existing.get(slug))
                elif slug in existing:
                    self._existing(model, existing[slug])
                else:
                    self._new(model, slug)

    def _existing(self, model, obj):
        claim = self.claims[model][obj.slug]
        if claim.broken:
            self.records[model][obj.slug] = obj
            return
        changes = [
            Change(name, stored(obj, name), value)
            for name, (value, _row, _column) in claim.attrs.items()
            if stored(obj, name) != value
        ]
        self.records[model][obj.slug] = obj
        if not changes:
            self.context.plan.keep(model)
            return
        if not self.context.options.confirm_renames:
            for change in changes:
                _value, row, column = claim.attrs[change.field]
                message = _rename_message(model, obj, change)
                self.context.refuse(row, column, message, confirm="renames")
            return
        for change in changes:
            setattr(obj, change.field, change.new)
        self._unique_name(obj, claim)
        self._check(obj, claim)
        self.context.plan.add(CHANGED, obj, label(obj), changes=changes)

    def _new(self, model, slug):
        claim = self.claims[model][slug]
        if claim.broken:
            return
        attrs = {name: value for name, (value, _row, _column) in claim.attrs.items()}
        missing = [name for name in NEEDED[model] if name not in attrs]
        if missing:
            self.context.refuse(
                claim.row,
                claim.column,
                _("unknown %(model)s %(slug)r (to add it, give its %(fields)s)")
                % {"model": model._meta.verbose_name, "slug": slug, "fields": ", ".join(missing)},
            )
            return
        obj = new(model, slug=slug, **(DEFAULTS.get(model, {}) | attrs))
        self._field_rules(model, slug, claim)
        self._unique_name(obj, claim)
        if not self.context.options.confirm_new:
            self._lookalike(obj, claim)
        self._check(obj, claim)
        self.records[model][slug] = obj
        self.context.plan.add(CREATED, obj, label(obj))

    def _field_rules(self, model, slug, claim):
        for message in field_rules(model._meta.get_field("slug"), slug):
            self.context.refuse(claim.row, claim.column, message)
        for name, (value, row, column) in claim.attrs.items():
            for message in field_rules(model._meta.get_field(name), value):
                self.context.refuse(row, column, message)

    def _unique_name(self, obj, claim):
        other = self.names.taken(obj)
        if other:
            name_field = NAME_FIELDS[type(obj)]
            row, column = _where(claim, name_field)
            self.context.refuse(
                row,
                column,
                _("the %(model)s %(other)r is already called %(name)r")
                % {
                    "model": obj._meta.verbose_name,
                    "other": other,
                    "name": getattr(obj, name_field),
                },
            )

    def _lookalike(self, obj, claim):
        found = self.names.lookalike(obj)
        if found:
            row, column = _where(claim, NAME_FIELDS[type(obj)])
            message = _(
                "the new %(model)s %(new)r is named like the existing %(slug)r (%(name)s): "
                "use that slug, or confirm new records if they differ"
            ) % {
                "model": obj._meta.verbose_name,
                "new": obj.slug,
                "slug": found[0],
                "name": found[1],
            }
            self.context.refuse(row, column, message, confirm="new")

    def _check(self, obj, claim):
        for name, message in instance_problems(obj):
            row, column = _where(claim, name)
            self.context.refuse(row, column, message)


def _where(claim, name):
    if name in claim.attrs:
        return claim.attrs[name][1], claim.attrs[name][2]
    return claim.row, claim.column


def _rename_message(model, obj, change):
    params = {
        "model": model._meta.verbose_name,
        "slug": obj.slug,
        "field": change.field,
        "old": change.old,
        "new": change.new,
    }
    if change.field == NAME_FIELDS[model]:
        message = _(
            "the %(model)s %(slug)r is called %(old)r in the record, not %(new)r: "
            "confirm renames to rename it"
        )
    else:
        message = _(
            "the %(model)s %(slug)r has %(field)s %(old)r in the record, not %(new)r: "
            "confirm renames to change it"
        )
    return message % params


class ConflictNames:
    """The conflict a process claim names: by slug (the events file's ``conflict``
    column), or, in files from before conflicts were records (no ``conflict_name``
    column), by name compared as look-alikes are (:func:`tracker.text.name_key`).
    A conflict is created only from a row that gives both its slug and its name (shown in
    the plan as every new record is); an unknown one otherwise is refused, listing those
    the record knows."""

    def __init__(self, references):
        self.references = references
        self.context = references.context
        self._known = None

    def claim_named(self, rows):
        """A row that gives the conflict's slug and name (today's files) refers to that
        conflict as it does to a process: a new one is planned (and shown) like any new
        record, look-alikes refused; another name for a known one is a rename to confirm.
        Rows of older files (no ``conflict_name`` column) only name conflicts that exist."""
        for row in rows:
            slug, name = row.values.get("conflict"), row.values.get("conflict_name")
            if slug and name and row.has("conflict_name"):
                columns = {"slug": "conflict", "name": "conflict_name"}
                self.references.claim(Conflict, slug, {"name": name}, row, columns)

    def known(self):
        """``{slug: conflict}``: the record's conflicts and those the seed files add (one
        query, made when a file names a conflict)."""
        if self._known is None:
            self._known = {c.slug: c for c in Conflict.objects.all()}
        return self._known | self.references.records[Conflict]

    def find(self, value, row):
        known = self.known()
        if value in known:
            return known[value]
        if row.has("conflict_name"):
            return None
        by_name = {name_key(c.name): c for c in known.values()}
        return by_name.get(name_key(value))

    def resolve(self, claims):
        """Turn the ``conflict`` each claim gives into the conflict it names."""
        for claim in claims:
            if "conflict" not in claim.attrs or isinstance(claim.attrs["conflict"][0], Conflict):
                continue
            value, row, column = claim.attrs["conflict"]
            conflict = self.find(value, row)
            if conflict is None:
                claim.broken = True
                self.context.refuse(row, column, self.unknown(value))
            else:
                claim.attrs["conflict"] = (conflict, row, column)

    def unknown(self, value):
        names = sorted(f"{c.name} [{c.slug}]" for c in self.known().values())
        return _(
            "unknown conflict %(value)r: give its slug and, to add it, its name in "
            "conflict_name; the record knows %(known)s"
        ) % {"value": value, "known": "; ".join(names) or _("none yet")}


class SeedRecords:
    """Whole records from the seed files: created, brought up to date, or left alone when
    a person changed them in the admin."""

    def __init__(self, references):
        self.references = references
        self.context = references.context

    def plan(self, model, slug, obj):
        fields, row = self.references.full[model][slug]
        values = self._resolve_relations(model, fields, row)
        if obj is None:
            obj = model(slug=slug, **values)
            self._check(obj, fields, row)
            self.references.records[model][slug] = obj
            self.context.plan.add(CREATED, obj, label(obj))
            return
        self.references.records[model][slug] = obj
        changes = [
            Change(name, stored(obj, name), value)
            for name, value in values.items()
            if stored(obj, name) != value
        ]
        if not changes:
            self.context.plan.keep(model)
        elif self.context.keeps_edit(obj):
            self.context.plan.skip(model, label(obj), self.context.edited_by(obj))
        else:
            for change in changes:
                setattr(obj, change.field, change.new)
            self._check(obj, fields, row)
            self.context.plan.add(CHANGED, obj, label(obj), changes=changes)

    def _resolve_relations(self, model, fields, row):
        values = {}
        for name, value in fields.items():
            field = model._meta.get_field(name)
            if field.is_relation:
                related = self.references.get(field.related_model, value)
                if value and related is None:
                    self.context.refuse(
                        row,
                        name,
                        _("unknown %(model)s %(slug)r")
                        % {"model": field.related_model._meta.verbose_name, "slug": value},
                    )
                value = related
            values[name] = value
        return values

    def _check(self, obj, fields, row):
        for name, value in fields.items():
            field = obj._meta.get_field(name)
            if field.is_relation or value in ("", None):
                continue
            for message in field_rules(field, value):
                self.context.refuse(row, name, message)
        for name, message in instance_problems(obj):
            self.context.refuse(row, name, message)


class SourceIndex:
    """The sources the files cite, by identity (:meth:`Source.identity`), looked up in one
    query and created or brought up to date once each."""

    FIELDS = Sources.FIELDS

    def __init__(self, context):
        self.context = context
        self.given = {}  # identity -> (fields, row)
        self.records = {}
        self._labels = {}  # id(source) -> (source, its name)

    @classmethod
    def identity(cls, source):
        return Source.identity(
            url=source["url"],
            publisher=source["publisher"],
            title=source["title"],
            published_on=source["published"],
        )

    def cite(self, source, row, column):
        fields = {}
        for part, name in self.FIELDS.items():
            empty = None if name.endswith("_on") else ""
            fields[name] = source[part] or empty
        key = self.identity(source)
        if key in self.given and self.given[key][0] != fields:
            self.context.refuse(
                row,
                column,
                _("the source %(source)r is given with other details on %(first)s")
                % {"source": source["url"] or source["title"], "first": self.given[key][1].place},
            )
        self.given.setdefault(key, (fields, row))
        return key

    def resolve(self):
        keys = list(self.given)
        urls = [k[1] for k in keys if k[0] == "url"]
        titles = [k[2] for k in keys if k[0] == "report"]
        found = {}
        for chunk in in_chunks(urls):
            found |= {self._key(s): s for s in Source.objects.filter(url__in=chunk).order_by()}
        for chunk in in_chunks(titles):
            found |= {
                self._key(s): s for s in Source.objects.filter(url="", title__in=chunk).order_by()
            }
        for key in keys:
            self._resolve(key, found.get(key))

    @staticmethod
    def _key(source):
        return Source.identity(
            url=source.url,
            publisher=source.publisher,
            title=source.title,
            published_on=source.published_on,
        )

    def _resolve(self, key, source):
        fields, row = self.given[key]
        if source is None:
            source = new(Source, **fields)
            self.records[key] = source
            for _name, message in instance_problems(source):
                self.context.refuse(row, "sources", message)
            self.context.plan.add(CREATED, source, self.label(source))
            return
        self.records[key] = source
        changes = [
            Change(n, getattr(source, n), v) for n, v in fields.items() if getattr(source, n) != v
        ]
        if not changes:
            self.context.plan.keep(Source)
        elif self.context.keeps_edit(source):
            self.context.plan.skip(Source, self.label(source), self.context.edited_by(source))
        else:
            for change in changes:
                setattr(source, change.field, change.new)
            self.context.plan.add(CHANGED, source, self.label(source), changes=changes)

    def get(self, key):
        return self.records.get(key)

    def label(self, source):
        """``str(source)`` as it stands once the import has planned it, worked out once
        per source (it formats a date): the plan names a source for every citation."""
        found = self._labels.get(id(source))
        if found is None or found[0] is not source:
            found = self._labels[id(source)] = (source, str(source))
        return found[1]
