"""Records for the timeline tests: two conflicts a decade apart, crowded days, and many
events at once (bulk-inserted, so that a test with 1,501 events stays quick)."""

import datetime

from tests.factories import make_event, make_process
from tracker.models import Event

D = datetime.date
FIRST_BULK_DAY = D(2023, 1, 1)


def two_conflicts():
    """Minsk talks over the war in Donbas (2014–2015) and two tracks of the Russia–Ukraine
    war (2022–2025): names of other scripts, month-precision dates, a crowded day."""
    minsk = make_process(
        title="Trilateral Contact Group (Minsk)",
        slug="minsk",
        conflict="War in Donbas",
        position=1,
        start_date=D(2014, 6, 8),
    )
    istanbul = make_process(
        title="Russia–Ukraine direct talks in Istanbul, 2025",
        slug="istanbul",
        conflict="Russia–Ukraine war",
        position=2,
    )
    grain = make_process(
        title="Black Sea Grain Initiative",
        slug="grain",
        conflict="Russia–Ukraine war",
        position=3,
    )
    events = {
        "minsk-protocol": make_event(
            process=minsk,
            slug="minsk-protocol",
            title="Minsk Protocol signed",
            kind=Event.Kind.SIGNING,
            start_date=D(2014, 9, 5),
            city="Minsk",
            country="BY",
        ),
        "minsk-ii": make_event(
            process=minsk,
            slug="minsk-ii",
            title="Мінськ-2: Комплекс заходів",
            kind=Event.Kind.SIGNING,
            start_date=D(2015, 2, 12),
            city="Minsk",
            country="BY",
        ),
        "minsk-spring": make_event(
            process=minsk,
            slug="minsk-spring",
            title="Contact group meetings",
            start_date=D(2015, 4, 1),
            date_precision=Event.Precision.MONTH,
        ),
        "grain-deal": make_event(
            process=grain,
            slug="grain-deal",
            title="Grain deal signed",
            kind=Event.Kind.SIGNING,
            start_date=D(2022, 7, 22),
        ),
    }
    for n, title in enumerate(["Morning plenary", "Working group on prisoners", "Evening talks"]):
        slug = f"same-day-{n + 1}"
        events[slug] = make_event(process=istanbul, slug=slug, title=title)
    events["istanbul-august"] = make_event(
        process=istanbul, slug="istanbul-august", title="Second round", start_date=D(2025, 8, 20)
    )
    return events


def many_events(count, *, process=None, first=FIRST_BULK_DAY, days=700, **fields):
    """``count`` published events spread over ``days`` days from ``first``, inserted at
    once."""
    process = process or make_process(slug=f"bulk-{count}", title=f"Bulk track of {count}")
    Event.objects.bulk_create(
        [
            Event(
                process=process,
                kind=Event.Kind.ROUND_OF_TALKS,
                title=f"Bulk event {i}",
                slug=f"bulk-{process.pk}-{i}",
                start_date=first + datetime.timedelta(days=i * days // count),
                status=Event.Status.PUBLISHED,
                **fields,
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    return process
