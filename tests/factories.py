"""Plain factory functions with explicit defaults: every test states what differs.

Each row a factory adds moves the record-wide version on, as every write path does, so
that a page cached before it (``tracker.page_cache``) is not served after it."""

import datetime
import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tracker.models import (
    Citation,
    Conflict,
    Event,
    EventLink,
    Implementation,
    Outcome,
    Participation,
    Party,
    Person,
    Process,
    RecordVersion,
    Source,
)
from tracker.slugs import slug_from

_counter = itertools.count(1)


def _next():
    return next(_counter)


def _made(row):
    RecordVersion.bump()
    return row


def make_conflict(**overrides):
    n = _next()
    fields = {"name": f"Conflict {n}", "slug": f"conflict-{n}"}
    fields.update(overrides)
    return _made(Conflict.objects.create(**fields))


def conflict_named(name):
    """The conflict called ``name``, made the first time it is asked for."""
    found = Conflict.objects.filter(name=name).first()
    return found or make_conflict(name=name, slug=slug_from(name))


def make_process(**overrides):
    """A process; ``conflict`` may be given by name (made when it does not exist yet)."""
    n = _next()
    fields = {
        "title": f"Process {n}",
        "slug": f"process-{n}",
        "conflict": "Russia–Ukraine war",
        "start_date": datetime.date(2022, 2, 28),
    }
    fields.update(overrides)
    if isinstance(fields["conflict"], str):
        fields["conflict"] = conflict_named(fields["conflict"])
    return _made(Process.objects.create(**fields))


def make_party(**overrides):
    n = _next()
    fields = {"name": f"Party {n}", "slug": f"party-{n}", "kind": Party.Kind.STATE, "country": "UA"}
    fields.update(overrides)
    return _made(Party.objects.create(**fields))


def make_person(**overrides):
    n = _next()
    fields = {"name": f"Person {n}", "slug": f"person-{n}"}
    fields.update(overrides)
    if "party" not in fields:
        fields["party"] = make_party()
    return _made(Person.objects.create(**fields))


def make_event(**overrides):
    n = _next()
    fields = {
        "kind": Event.Kind.ROUND_OF_TALKS,
        "title": f"Event {n}",
        "slug": f"event-{n}",
        "start_date": datetime.date(2025, 5, 16),
        "city": "Istanbul",
        "country": "TR",
        "summary": f"Summary of event {n}.",
        "status": Event.Status.PUBLISHED,
    }
    fields.update(overrides)
    if "process" not in fields:
        fields["process"] = make_process()
    if fields["status"] == Event.Status.PUBLISHED:
        fields.setdefault("published_at", datetime.datetime(2025, 5, 17, tzinfo=datetime.UTC))
    return _made(Event.objects.create(**fields))


def make_participation(**overrides):
    fields = {"role": Participation.Role.DELEGATE}
    fields.update(overrides)
    if "event" not in fields:
        fields["event"] = make_event()
    if "person" not in fields and "party" not in fields:
        fields["person"] = make_person()
    return _made(Participation.objects.create(**fields))


def make_outcome(**overrides):
    fields = {
        "kind": Outcome.Kind.AGREEMENT,
        "status": Outcome.Status.AGREED,
        "description": "Exchange prisoners of war.",
    }
    fields.update(overrides)
    if "event" not in fields:
        fields["event"] = make_event()
    return _made(Outcome.objects.create(**fields))


def make_source(**overrides):
    n = _next()
    fields = {
        "url": f"https://news.example.org/{n}",
        "title": f"Report {n}",
        "publisher": "Example News",
        "published_on": datetime.date(2025, 5, 16),
    }
    fields.update(overrides)
    return _made(Source.objects.create(**fields))


def cite(event, source=None, **overrides):
    return _made(Citation.objects.create(event=event, source=source or make_source(), **overrides))


def link(from_event, to_event, relation=EventLink.Relation.FOLLOWS):
    return _made(
        EventLink.objects.create(from_event=from_event, to_event=to_event, relation=relation)
    )


def carry_out(outcome, event, extent=Implementation.Extent.FULL):
    return _made(Implementation.objects.create(outcome=outcome, event=event, extent=extent))


def make_user(username=None, *, groups=(), **overrides):
    username = username or f"user{_next()}"
    fields = {"is_staff": True}
    fields.update(overrides)
    user = get_user_model().objects.create_user(username=username, password="pw", **fields)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def make_release():
    """A release of the published record as it stands, cut by a new publisher."""
    from tracker.releases import cut_release

    return cut_release(by=make_user(groups=["Publisher"]))


def make_full_record():
    """One of everything, linked together: an agreement and the event that carried it out."""
    ukraine = make_party(name="Ukraine", slug="ukraine", country="UA")
    russia = make_party(name="Russia", slug="russia", country="RU")
    turkey = make_party(name="Türkiye", slug="turkiye", country="TR")
    process = make_process(title="Istanbul direct talks", slug="istanbul-2025")
    talks = make_event(process=process, title="Istanbul talks", slug="istanbul-talks")
    exchange = make_event(
        process=process,
        kind=Event.Kind.PRISONER_EXCHANGE,
        title="1,000-for-1,000 exchange",
        slug="exchange",
        start_date=datetime.date(2025, 5, 23),
        end_date=datetime.date(2025, 5, 25),
    )
    umerov = make_person(name="Rustem Umerov", slug="rustem-umerov", party=ukraine)
    make_participation(
        event=talks,
        person=umerov,
        party=ukraine,
        side=ukraine,
        role=Participation.Role.HEAD_OF_DELEGATION,
        title="Minister of Defence of Ukraine",
    )
    make_participation(event=talks, party=turkey, role=Participation.Role.HOST)
    outcome = make_outcome(
        event=talks,
        kind=Outcome.Kind.PRISONER_EXCHANGE,
        quantity=1000,
        unit="prisoners of war per side",
    )
    outcome.agreed_by.set([ukraine, russia])
    carry_out(outcome, exchange)
    link(exchange, talks, EventLink.Relation.RESULTS_FROM)
    cite(talks)
    cite(exchange)
    return {"talks": talks, "exchange": exchange, "outcome": outcome, "process": process}
