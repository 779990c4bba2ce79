"""Step 3, continued: an event's parts, updated in place.

Rows are matched to stored ones, never replaced wholesale, so that what the files do not
carry survives: citations by (event, source), participations by (event, person or party,
role), outcomes by (event, position), “carried out” by (outcome, event), links by (event,
relation, other event). A stored row is deleted only when its event has rows in that
file and the file no longer has it, and then the plan names it. Links and “carried out”
rows that point to unpublished events are never deleted this way (a public export leaves
them out); with the seed files, whose events are complete, they are.
"""

import functools
from collections import defaultdict

from ..columns import (
    EVENTS,
    LINKS,
    OUTCOMES,
    PARTICIPATIONS,
    CarriedOut,
    PartyList,
    event_paths,
)
from ..models import Citation, EventLink, Implementation, Outcome, Participation, Party
from .plan import CHANGED, CREATED, DELETED, Change
from .planning import NewRows, apply_columns, check_values, refuse_broken_rules
from .problems import translated as _
from .references import SourceIndex
from .rules import duplicates, implementation_problems
from .stored import new, stored_rows


def _grouped(context, table, key):
    """``(event, rows)`` for each event with rows in ``table``; with complete files (the
    seeds), for every event of the events file, rows or none."""
    groups = defaultdict(list)
    if context.options.complete:
        for row in context.rows(EVENTS):
            groups[row.values["slug"]] = []
    for row in context.rows(table):
        groups[row.values[key]].append(row)
    for slug, rows in groups.items():
        event = context.events.get(slug) if not rows else context.event(slug, rows[0], key)
        if event is None:
            for row in rows:
                check_values(context, row, table)
        elif slug not in context.skipped:
            yield event, rows


def _refuse_duplicates(context, final):
    """``final``: ``[(row object, file row)]`` of one event, as the import leaves them."""
    rows = {id(obj): row for obj, row in final}
    for obj, message in duplicates([obj for obj, _row in final]):
        context.refuse(rows[id(obj)], None, message)


def _deletable(context, target):
    """Whether a stored link or “carried out” row to ``target`` may go when a file no
    longer has it: public exports leave out unpublished events, so such rows stay."""
    return context.options.complete or target.is_published


def _written(context, obj, row, changes, label, **details):
    """Plan one row of an event's part (``label``: a function of the row giving its name,
    asked only for rows that are written). The models' rules are checked on rows that
    would be written: a row left as it is stored meets them (the database holds it to
    them)."""
    adding = obj._state.adding  # a part is new exactly when it has no id (never a free one)
    if not adding and not changes:
        context.plan.keep(type(obj))
        return False
    refuse_broken_rules(context, row, obj)
    if adding:
        context.plan.add(CREATED, obj, label(obj), where=row.place, **details)
    else:
        context.plan.add(CHANGED, obj, label(obj), changes=changes, **details)
    return True


def _by_position(rows):
    return sorted(rows, key=lambda r: r.values["position"])


def _new_rows(context, event, rows, made, label):
    """``[(row object, file row)]`` for the rows of an event the import creates: with
    nothing stored to match or compare, each is set from its columns (``made``: a
    :class:`~.planning.NewRows` for the file), checked and planned as created (the event
    touched once, not per row)."""
    final = []
    make, add = made.make, context.plan.add
    for row in rows:
        obj = make(row, event)
        refuse_broken_rules(context, row, obj)
        add(CREATED, obj, label(obj), where=row.place)
        final.append((obj, row))
    if final:
        context.plan.touch(event)
    return final


def _positions_run_on(context, event, rows, table):
    positions = sorted(row.values["position"] for row in rows)
    if positions != list(range(1, len(rows) + 1)):
        context.refuse(
            rows[0],
            "position",
            _("positions of %(event)r in %(file)s should run 1, 2, 3… (found %(found)s)")
            % {"event": event.slug, "file": f"{table.name}.csv", "found": positions},
        )
        return False
    return True


# Citations (the sources column of events.csv) ------------------------------------------------


def plan_citations(context):
    cited = functools.partial(_cited, context.sources)
    for row in context.rows(EVENTS):
        event = context.events.get(row.values["slug"])
        if "_sources" not in row.values or event is None or event.slug in context.skipped:
            continue
        stored = stored_rows(event, "citations")
        by_key = {SourceIndex._key(c.source): c for c in stored}
        ordinal = {id(c): n for n, c in enumerate(stored, 1)}
        seen = set()
        for n, (key, source) in enumerate(
            zip(row.values["_sources"], row.values["sources"], strict=True), 1
        ):
            if key in seen:
                context.refuse(row, "sources", _("source %(n)s repeats an earlier one") % {"n": n})
                continue
            seen.add(key)
            citation = by_key.pop(key, None) or new(
                Citation, event=event, source=context.sources.get(key)
            )
            changes = _citation_changes(citation, ordinal.get(id(citation)), n, source["supports"])
            if _written(context, citation, row, changes, cited):
                context.plan.touch(event)
        for citation in by_key.values():
            context.plan.add(DELETED, citation, cited(citation))
            context.plan.touch(event)


def _citation_changes(citation, ordinal, position, supports):
    changes = []
    if citation.pk is None:
        citation.position, citation.supports = position, supports
        return changes
    if ordinal != position:
        changes.append(Change("position", ordinal, position, stored=citation.position))
        citation.position = position
    if citation.supports != supports:
        changes.append(Change("supports", citation.supports, supports))
        citation.supports = supports
    return changes


def _cited(sources, citation):
    return _("%(source)s, cited by %(event)s") % {
        "source": sources.label(_related(citation, "source")),
        "event": _related(citation, "event").slug,
    }


# Participations --------------------------------------------------------------------------


def _related(obj, name):
    """``getattr(obj, name)`` for a foreign key, read where Django caches the record (under
    the field's name) when it is there: a plan names every row it writes by its records."""
    cache = obj._state.fields_cache
    return cache[name] if name in cache else getattr(obj, name)


def participation_label(p):
    person, party = _related(p, "person"), _related(p, "party")
    if person is not None and party is not None:
        who = f"{person} – {party}"
    else:
        who = str(person or party or "")
    return _("%(who)s (%(role)s) at %(event)s") % {
        "who": who,
        "role": p.role,
        "event": _related(p, "event").slug,
    }


def _participation_key(person, party, role):
    return ("person", person, role) if person else ("party", party, role)


def plan_participations(context):
    made = NewRows(context, Participation, PARTICIPATIONS, "event")
    for event, rows in _grouped(context, PARTICIPATIONS, "event"):
        if not _positions_run_on(context, event, rows, PARTICIPATIONS):
            continue
        rows = _by_position(rows)
        if event._state.adding:
            final = _new_rows(context, event, rows, made, participation_label)
            written = bool(final)
        else:
            final, written = _matched_participations(context, event, rows)
        if written:  # rows left as stored cannot repeat each other
            _refuse_duplicates(context, final)
        context.parts[(PARTICIPATIONS, event.slug)] = [obj for obj, _row in final]


def _matched_participations(context, event, rows):
    """A stored event's participations matched to its rows, planned, and those the file
    no longer has deleted: ``([(row object, file row)], whether any is written)``."""
    stored = stored_rows(event, "participations")
    ordinal = {id(p): n for n, p in enumerate(stored, 1)}
    by_key = {}
    for p in stored:
        person, party = _related(p, "person"), _related(p, "party")
        key = (person.slug if person else "", party.slug if party else "", p.role)
        by_key[_participation_key(*key)] = p
    final, written = [], False
    for row in rows:
        v = row.values
        key = _participation_key(v.get("person", ""), v.get("party", ""), v.get("role"))
        participation = by_key.pop(key, None) or new(Participation, event=event)
        changes = apply_columns(
            context, row, participation, PARTICIPATIONS, ordinal=ordinal.get(id(participation))
        )
        if _written(context, participation, row, changes, participation_label):
            context.plan.touch(event)
            written = True
        final.append((participation, row))
    for participation in by_key.values():
        context.plan.add(DELETED, participation, participation_label(participation))
        context.plan.touch(event)
    return final, written


# Outcomes and the events that carried them out ---------------------------------------------


def outcome_label(o):
    text = o.description if len(o.description) <= 60 else o.description[:57] + "…"
    return _("outcome %(n)s of %(event)s: %(text)s") % {
        "n": o.position,
        "event": _related(o, "event").slug,
        "text": text,
    }


def plan_outcomes(context):
    made = NewRows(context, Outcome, OUTCOMES, "event")
    for event, rows in _grouped(context, OUTCOMES, "event"):
        if not _positions_run_on(context, event, rows, OUTCOMES):
            continue
        stored = stored_rows(event, "outcomes")
        final = []
        for row in sorted(rows, key=lambda r: r.values["position"]):
            position = row.values["position"]
            if position <= len(stored):
                outcome = stored[position - 1]
                changes = apply_columns(context, row, outcome, OUTCOMES, ordinal=position)
            else:  # a new row: its columns set, nothing to compare
                outcome, changes = made.make(row, event), []
            many = _plan_parties(context, row, outcome, changes)
            if _written(context, outcome, row, changes, outcome_label, many_to_many=many):
                context.plan.touch(event)
            _plan_carried_out(context, row, outcome)
            final.append(outcome)
        for outcome in stored[len(rows) :]:
            _delete_outcome(context, outcome)
        context.parts[(OUTCOMES, event.slug)] = final


@functools.cache
def _columns_of(columns, codec):
    """The columns whose codec is a ``codec``: asked for every outcome."""
    return [column for column in columns if isinstance(column.codec, codec)]


def _plan_parties(context, row, outcome, changes):
    many = {}
    for column in _columns_of(OUTCOMES.columns, PartyList):
        if not row.has(column.name):
            continue
        named = [context.refs.get(Party, slug) for slug, _name in row.values[column.name]]
        wanted = [party for party in named if party is not None]
        field = column.codec.field
        if outcome._state.adding:  # a new outcome holds what the file names
            many[field] = wanted
            continue
        current = stored_rows(outcome, field)
        if sorted([p.slug for p in current]) != sorted([p.slug for p in wanted]):
            many[field] = wanted
            changes.append(Change(field, current, wanted))
    return many


def _plan_carried_out(context, row, outcome):
    wanted, columns = {}, {}
    for column in _columns_of(OUTCOMES.columns, CarriedOut):
        if row.has(column.name):
            columns[column.codec.extent] = column.name
            for slug in row.values[column.name]:
                if slug in wanted and wanted[slug] != column.codec.extent:
                    context.refuse(
                        row,
                        column.name,
                        _("%(slug)r is named as carrying it out both in full and in part")
                        % {"slug": slug},
                    )
                wanted[slug] = column.codec.extent
    if not columns:
        return
    stored = {i.event.slug: i for i in stored_rows(outcome, "implementations")}
    for slug, extent in wanted.items():
        target = context.event(slug, row, columns[extent])
        if target is None:
            continue
        implementation = stored.pop(slug, None)
        _plan_implementation(context, row, outcome, implementation, target, extent, columns[extent])
    for implementation in stored.values():
        if implementation.extent in columns and _deletable(context, implementation.event):
            context.plan.add(DELETED, implementation, carried_out_label(implementation))
            context.plan.touch(outcome.event, implementation.event)


def _plan_implementation(context, row, outcome, implementation, target, extent, column):
    changes = []
    if implementation is None:  # new: it is the row its rule is checked on
        implementation = check = new(Implementation, outcome=outcome, event=target, extent=extent)
    else:
        if implementation.extent != extent:
            changes.append(Change("extent", implementation.extent, extent))
            implementation.extent = extent
        check = new(Implementation, outcome=outcome, event=target, extent=extent)
    for message in implementation_problems(check):
        context.refuse(row, column, message)
    if implementation.pk is None or changes:
        action = CHANGED if changes else CREATED
        context.plan.add(action, implementation, carried_out_label(implementation), changes=changes)
        context.plan.touch(outcome.event, target)
    else:
        context.plan.keep(Implementation)


def carried_out_label(i):
    return _("%(outcome)s, carried out (%(extent)s) by %(event)s") % {
        "outcome": outcome_label(i.outcome),
        "extent": i.extent,
        "event": i.event.slug,
    }


def _delete_outcome(context, outcome):
    """An outcome the file no longer has goes, and with it what hangs on it (named)."""
    for implementation in stored_rows(outcome, "implementations"):
        context.plan.add(DELETED, implementation, carried_out_label(implementation))
        context.plan.touch(implementation.event)
    sources = stored_rows(outcome, "sources")
    label = outcome_label(outcome)
    if sources:
        label += " " + _("(with its %(count)s source link(s))") % {"count": len(sources)}
    context.plan.add(DELETED, outcome, label)
    context.plan.touch(outcome.event)


# Links between events ----------------------------------------------------------------------


def link_label(link):
    return f"{link.from_event.slug} {link.relation} {link.to_event.slug}"


def plan_links(context):
    for event, rows in _grouped(context, LINKS, "from_event"):
        stored = {
            (link.relation, link.to_event.slug): link for link in stored_rows(event, "links_out")
        }
        final, written = [], False
        for row in rows:
            target = context.event(row.values["to_event"], row, "to_event")
            if target is None:
                continue
            link = stored.pop((row.values["relation"], target.slug), None)
            link = link or new(
                EventLink, from_event=event, relation=row.values["relation"], to_event=target
            )
            changes = apply_columns(context, row, link, LINKS)
            if _written(context, link, row, changes, link_label):
                context.plan.touch(event, target)
                written = True
            final.append((link, row))
        for link in stored.values():
            if _deletable(context, link.to_event):
                context.plan.add(DELETED, link, link_label(link))
                context.plan.touch(event, link.to_event)
        if written:
            _refuse_duplicates(context, final)


# Derived cells -------------------------------------------------------------------------------


class _Planned:
    """An event as the import leaves it, for the derived cells: its planned parts."""

    def __init__(self, event, context):
        self._event = event
        for table, name in ((PARTICIPATIONS, "participations"), (OUTCOMES, "outcomes")):
            planned = context.parts.get((table, event.slug))
            setattr(self, name, planned if planned is not None else stored_rows(event, name))

    def __getattr__(self, name):
        return getattr(self._event, name)


def check_derived(context):
    """A derived cell that differs from what the record derives is reported as ignored.
    Called only once the files have no problems: what a refused row would derive (a URL
    from an invalid slug, say) cannot be computed."""
    derived = [c for c in EVENTS.columns if c.derived]
    cell_context = {"base_url": "", "event_path": event_paths()}
    for row in context.rows(EVENTS):
        event = context.events.get(row.values["slug"])
        if event is None:
            continue
        planned = _Planned(event, context)
        for column in derived:
            if not row.has(column.name) or row.values[column.name] == "":
                continue  # a cell left empty says nothing
            expected = column.value(planned, cell_context)
            if not column.same(row.values[column.name], expected):
                context.plan.notes.append(
                    row.problem(
                        column.name,
                        _("ignored: it is derived, and the record gives %(expected)r")
                        % {"expected": column.to_text(expected)},
                    )
                )
