"""A synthetic record at a realistic shape, for trying the tracker at scale and for the
benchmarks (``manage.py generate_demo``, ``benchmarks/``).

The shape follows the seeds, scaled by the number of events N: at least three conflicts,
N/200 processes, N/30 parties, N/3 people and N/5 sources; 2–6 participations, 0–3
outcomes and 1–2 citations per event, one event in five linked to an earlier one;
titles, summaries and outcome descriptions as long as the seeds' (:data:`LENGTHS`,
checked against ``seeds/`` by a test); 5% drafts; dates of all three precisions, some
spanning several days; names in several scripts.

Every row is written in bulk with the bookkeeping of :mod:`tracker.models.bulk` (history
rows, versions, one move of the record-wide version per batch). Demo records belong to
demo conflicts (``Conflict.demo``), named in :data:`DEMO_CONFLICT_NAMES`.
"""

import datetime
import itertools
import random
import time

from django.db import connection, transaction

from .models import (
    Citation,
    Conflict,
    Event,
    EventLink,
    Outcome,
    Participation,
    Party,
    Person,
    Process,
    RecordVersion,
    Source,
    periods,
)
from .models.bulk import insert_with_history, reset_sequences
from .text import search_key

#: The demo conflicts' names (marked ``Conflict.demo``).
DEMO_CONFLICT_NAMES = (
    "Demo: war over the northern valleys",
    "Demo: border dispute on the eastern river",
    "Demo: civil war in the southern provinces",
)
#: Shortest and longest text, in characters, as in the seeds (tests/test_demo.py).
LENGTHS = {"title": (40, 80), "summary": (400, 900), "outcome": (80, 200)}
#: Share of events left as drafts.
DRAFT_SHARE = 0.05
#: Events written (with their parts) per transaction; progress is shown after each.
CHUNK = 5_000
REASON = "Demo record (generate_demo)"

PRECISIONS = [Event.Precision.DAY] * 80 + [Event.Precision.MONTH] * 13 + [Event.Precision.YEAR] * 7

#: Given and family names by script, for people and (with PLACES) for parties and places.
NAMES = {
    "Latin": (
        ["Ana", "João", "Zoë", "Łukasz", "Émile", "Søren", "Inés", "Tomás", "Ayşe", "Niamh"],
        ["Moreira", "Kowalczyk", "Dubois", "Øster", "Nuñez", "Yılmaz", "Ó Briain", "Müller"],
    ),
    "Cyrillic": (
        ["Олена", "Дмитро", "Светлана", "Юрій", "Ґеоргій", "Наталья", "Богдан", "Ірина"],
        ["Шевченко", "Іваненко", "Кузнецова", "Ґудзь", "Соловйов", "Петрова", "Бондар"],
    ),
    "Greek": (
        ["Ελένη", "Γιώργος", "Δήμητρα", "Νίκος", "Αικατερίνη", "Χρήστος", "Σοφία"],
        ["Παπαδοπούλου", "Ιωάννου", "Κωνσταντίνου", "Γεωργίου", "Νικολάου", "Χριστοδούλου"],
    ),
    "Arabic": (
        ["فاطمة", "محمد", "ليلى", "عمر", "نور", "يوسف", "سلمى", "خالد"],
        ["الحسيني", "العتيبي", "النجار", "الخطيب", "المصري", "حداد", "الشامي"],
    ),
    "Armenian": (["Անի", "Արամ", "Նարե", "Տիգրան"], ["Պետրոսյան", "Հակոբյան", "Սարգսյան"]),
    "Georgian": (["ნინო", "გიორგი", "თამარ", "ლევან"], ["ბერიძე", "კაპანაძე", "გელაშვილი"]),
    "Hebrew": (["נועה", "אורי", "מיכל", "יונתן"], ["כהן", "לוי", "מזרחי", "פרץ"]),
}
PLACES = [
    ("Genève", "CH"),
    ("İstanbul", "TR"),
    ("Κύπρος", "CY"),
    ("Київ", "UA"),
    ("Москва", "RU"),
    ("الدوحة", "QA"),
    ("Bogotá", "CO"),
    ("La Habana", "CU"),
    ("Oslo", "NO"),
    ("Jeddah", "SA"),
    ("Ереван", "AM"),
    ("თბილისი", "GE"),
    ("Nicosia", "CY"),
    ("Wien", "AT"),
]
CORPUS = (
    "delegations met for talks on prisoner exchanges ceasefire lines humanitarian corridors "
    "and the return of displaced families; mediators proposed a joint commission while "
    "observers reported shelling near the front. переговори делегацій щодо обміну "
    "полоненими та припинення вогню тривали до вечора. οι αντιπροσωπείες συζήτησαν την "
    "ανταλλαγή αιχμαλώτων και μια κοινή επιτροπή. اتفق الطرفان على تبادل الأسرى ووقف "
    "إطلاق النار في المنطقة. the parties agreed to meet again within a month, and a "
    "follow-up round was announced for the autumn; disputed figures remain unverified."
)
WORDS = CORPUS.split()


class DemoRefused(Exception):
    """The database holds records this command must not mix a demo into."""


def demo_conflicts(rng):
    """The demo conflicts' ids. The one place that makes them: marked as demo."""
    rows = [
        {
            "name": name,
            "slug": f"demo-conflict-{n + 1}",
            "description": "A synthetic conflict written by generate_demo.",
            "status": rng.choice([s for s, _label in Conflict.Status.choices]),
            "demo": True,
        }
        for n, name in enumerate(DEMO_CONFLICT_NAMES)
    ]
    return list(_write(Conflict, rows))


def demo_events():
    return Event.objects.filter(process__conflict__demo=True)


def check_database(*, force=None):
    """Refuse a database holding a demo record already, or other events unless ``force``
    is that database's name."""
    name = str(connection.settings_dict["NAME"])
    demo = demo_events().count()
    if demo:
        raise DemoRefused(
            f"The database {name} already holds a demo record of {demo:,} events; "
            "generate the demo into an empty database."
        )
    others = Event.objects.count()
    if others and force != name:
        raise DemoRefused(
            f"The database {name} holds {others:,} events that are not demo records. "
            f"To add a demo record beside them anyway, give --force {name}"
            + (f" (you gave --force {force})." if force else ".")
        )


def snap_to_precision(day, precision):
    """The first day of the month or year that a month- or year-precision date stands for."""
    if precision == Event.Precision.YEAR:
        return day.replace(month=1, day=1)
    if precision == Event.Precision.MONTH:
        return day.replace(day=1)
    return day


def with_derived_fields(events, participant_names):
    """Fill in what event rows (dicts of field values) derive from their other fields,
    before they are inserted.

    The one place for it: dates are stored as their precision says (month: the 1st; year:
    1 January); the sort date and the search text as ``Event.derive`` makes them, the
    latter with the names of each event's participants (``participant_names``, a list per
    row).
    """
    for event, names in zip(events, participant_names, strict=True):
        precision = event["date_precision"]
        event["start_date"] = snap_to_precision(event["start_date"], precision)
        if event["end_date"]:
            event["end_date"] = snap_to_precision(event["end_date"], precision)
            if event["end_date"] <= event["start_date"]:
                event["end_date"] = None
        event["sort_date"] = periods.sort_date(
            event["start_date"], precision, event["period_position"]
        )
        own = [event["title"], event["summary"], event.get("venue"), event["city"]]
        event["search_text"] = "\n".join(search_key(part) for part in (*own, *names) if part)
    return events


#: The event fields :func:`with_derived_fields` leaves as Python values.
EVENT_PREPARED = ["start_date", "end_date", "sort_date", "published_at"]


class Text:
    """Text of a given length cut from a shuffled corpus of words in several scripts."""

    def __init__(self, rng, size=60_000):
        words, corpus, length = [], [], 0
        while length < size:
            word = rng.choice(WORDS)
            words.append(length)
            corpus.append(word)
            length += len(word) + 1
        self.corpus = " ".join(corpus) + " " + " ".join(corpus[:200])
        self.starts = words
        self.rng = rng

    def __call__(self, lengths):
        length = self.rng.randint(*lengths)
        start = self.rng.choice(self.starts)
        text = self.corpus[start : start + length]
        return (text[:-1] + ".") if text.endswith(" ") else text


def counts_for(events):
    """How many of each record a demo of ``events`` events has."""
    return {
        "conflicts": len(DEMO_CONFLICT_NAMES),
        "processes": max(3, events // 200),
        "parties": max(6, events // 30),
        "people": max(6, events // 3),
        "sources": max(2, events // 5),
        "events": events,
    }


def _name(rng, n):
    given, family = NAMES[list(NAMES)[n % len(NAMES)]]
    return f"{rng.choice(given)} {rng.choice(family)}"


def _write(model, rows, prepared=()):
    return insert_with_history(model, rows, reason=REASON, prepared=prepared)


def _processes(rng, counts, text):
    conflicts = demo_conflicts(rng)
    statuses = [s for s, _label in Process.Status.choices]
    rows = [
        {
            "title": f"Demo track {n + 1}: {text((20, 60))}",
            "slug": f"demo-process-{n + 1}",
            "conflict_id": conflicts[n % len(conflicts)],
            "description": text(LENGTHS["summary"]),
            "start_date": datetime.date(1990 + rng.randrange(25), 1 + rng.randrange(12), 1),
            "status": rng.choice(statuses),
            "position": n + 1,
        }
        for n in range(counts["processes"])
    ]
    ids = _write(Process, [dict(row) for row in rows], prepared=["start_date"])
    return [(pk, row["start_date"]) for pk, row in zip(ids, rows, strict=True)]


def _actors(rng, counts):
    """Parties' ids, and people as ``(id, party id)``."""
    kinds = [k for k, _label in Party.Kind.choices]
    parties = []
    for n in range(counts["parties"]):
        kind = Party.Kind.STATE if n % 3 == 0 else kinds[n % len(kinds)]
        place, country = PLACES[n % len(PLACES)]
        parties.append(
            {
                "name": f"{_name(rng, n).split()[-1]} {place} {n + 1}",
                "slug": f"demo-party-{n + 1}",
                "kind": kind,
                "country": country if kind == Party.Kind.STATE or n % 2 else "",
            }
        )
    party_ids = list(_write(Party, parties))
    people = [
        {"name": _name(rng, n), "slug": f"demo-person-{n + 1}", "party_id": rng.choice(party_ids)}
        for n in range(counts["people"])
    ]
    ids = _write(Person, people)
    return party_ids, [(pk, row["party_id"]) for pk, row in zip(ids, people, strict=True)]


def _sources(rng, counts, text):
    publishers = ["Reuters", "Укрінформ", "Καθημερινή", "الجزيرة", "AFP", "TASS", "El País"]
    first = datetime.date(1995, 1, 1)
    rows = [
        {
            "url": f"https://demo.example.org/sources/{n + 1}",
            "title": text(LENGTHS["title"]),
            "publisher": publishers[n % len(publishers)],
            "published_on": first + datetime.timedelta(days=n % 11_000),
        }
        for n in range(counts["sources"])
    ]
    return list(_write(Source, rows, prepared=["published_on"]))


KINDS = [k for k, _label in Event.Kind.choices]
ROLES = [r for r, _label in Participation.Role.choices]
OUTCOME_KINDS = [k for k, _label in Outcome.Kind.choices]
OUTCOME_STATUSES = [s for s, _label in Outcome.Status.choices]
RELATIONS = [r for r, _label in EventLink.Relation.choices]
#: Share of events linked to an earlier one.
LINK_SHARE = 0.2


def _event(rng, n, process, text, draft, now):
    process_id, first = process
    precision = rng.choice(PRECISIONS)
    start = first + datetime.timedelta(days=rng.randrange(3_650))
    spans = rng.random() < 0.15 or (precision == Event.Precision.YEAR and n % 4 == 0)
    end = start + datetime.timedelta(days=rng.randint(1, 6 if precision == "day" else 400))
    place, country = rng.choice(PLACES)
    return {
        "process_id": process_id,
        "kind": rng.choice(KINDS),
        "title": text(LENGTHS["title"]),
        "slug": f"demo-{n + 1}",
        "start_date": start,
        "end_date": end if spans else None,
        "date_precision": precision,
        "period_position": (
            rng.choice(PERIOD_POSITIONS)
            if precision != Event.Precision.DAY
            else Event.PeriodPosition.MIDDLE
        ),
        "city": place,
        "country": country,
        "summary": text(LENGTHS["summary"]),
        "status": Event.Status.DRAFT if draft else Event.Status.PUBLISHED,
        "published_at": None if draft else now,
    }


PERIOD_POSITIONS = [p for p, _label in Event.PeriodPosition.choices]


def _parts(rng, event_ids, chosen, sources, text):
    """The parts of the events ``event_ids``; ``chosen``: each event's participants as
    ``(person id, party id)``, picked before the events were written (their names are in
    the events' search text)."""
    participations, outcomes, citations, links = [], [], [], []
    for n, (event_id, picked) in enumerate(zip(event_ids, chosen, strict=True)):
        if n and rng.random() < LINK_SHARE:
            links.append(
                {
                    "from_event_id": event_id,
                    "relation": rng.choice(RELATIONS),
                    "to_event_id": event_ids[rng.randrange(n)],
                }
            )
        for position, (person, party) in enumerate(picked, 1):
            role = rng.choice(ROLES)
            participations.append(
                {
                    "event_id": event_id,
                    "person_id": person,
                    "party_id": party,
                    "role": role,
                    "side_id": None if role in Participation.NEUTRAL_ROLES else party,
                    "position": position,
                }
            )
        outcomes += [
            {
                "event_id": event_id,
                "position": position,
                "kind": rng.choice(OUTCOME_KINDS),
                "status": rng.choice(OUTCOME_STATUSES),
                "description": text(LENGTHS["outcome"]),
            }
            for position in range(1, rng.randint(0, 3) + 1)
        ]
        citations += [
            {"event_id": event_id, "source_id": source, "position": position}
            for position, source in enumerate(rng.sample(sources, rng.randint(1, 2)), 1)
        ]
    _write(Participation, participations)
    _write(Outcome, outcomes)
    _write(Citation, citations)
    _write(EventLink, links)


def generate_demo(*, events, seed=2025, force=None, out=print):
    """Write a demo record of ``events`` events into the database, saying how far it got
    with ``out``; refuses (:class:`DemoRefused`) as :func:`check_database` says. Returns
    the counts of :func:`counts_for`."""
    check_database(force=force)
    rng = random.Random(seed)
    text = Text(rng)
    counts = counts_for(events)
    began = time.perf_counter()
    out(
        "Generating a demo record: "
        + ", ".join(f"{count:,} {name}" for name, count in counts.items())
    )
    with transaction.atomic():
        RecordVersion.queue_write()
        processes = _processes(rng, counts, text)
        _parties, people = _actors(rng, counts)
        sources = _sources(rng, counts, text)
        names = dict(Person.objects.values_list("pk", "name"))
        party_names = dict(Party.objects.values_list("pk", "name"))
    out(f"  processes, parties, people and sources written ({time.perf_counter() - began:.1f} s)")
    drafts = set(rng.sample(range(events), round(events * DRAFT_SHARE)))
    now = datetime.datetime.now(tz=datetime.UTC)
    numbers = iter(range(events))
    while chunk := list(itertools.islice(numbers, CHUNK)):
        with transaction.atomic():
            RecordVersion.queue_write()
            rows = [_event(rng, n, rng.choice(processes), text, n in drafts, now) for n in chunk]
            chosen = [rng.sample(people, rng.randint(2, 6)) for _row in rows]
            named = [
                [
                    name
                    for person, party in picked
                    for name in (names[person], party_names.get(party))
                    if name
                ]
                for picked in chosen
            ]
            ids = _write(Event, with_derived_fields(rows, named), prepared=EVENT_PREPARED)
            _parts(rng, ids, chosen, sources, text)
        out(
            f"  events {chunk[-1] + 1:,} of {events:,} written with their parts"
            f" ({time.perf_counter() - began:.1f} s)"
        )
    reset_sequences(
        [
            Conflict,
            Process,
            Party,
            Person,
            Source,
            Event,
            Participation,
            Outcome,
            Citation,
            EventLink,
        ]
    )
    out(optimise_database())
    out(f"Done in {time.perf_counter() - began:.1f} s.")
    return counts


def optimise_database():
    """Refresh the planner's statistics after a bulk load: without them PostgreSQL plans the
    joined export as if the tables were empty."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
            return "  ANALYZE run (PostgreSQL's planner statistics refreshed)"
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")
            return "  PRAGMA optimize run (SQLite's planner statistics refreshed)"
    return f"  no statistics to refresh on {connection.vendor}"
