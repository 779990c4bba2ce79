"""The change log at scale: ``python benchmarks/changes.py [events]`` builds a demo record
(20,000 events by default) in a throwaway database, gives it a history of corrections and
withdrawals, and times the change log uncached (its first page, a late page, and one
event's corrections) with its number of queries."""

import sys
import time

from record import demo_database, setup_django


def main(events):
    setup_django()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tracker.changes import change_log, corrections
    from tracker.models import Event
    from tracker.models.bulk import write_history

    with demo_database(events=events):
        ids = list(Event.objects.published().values_list("pk", flat=True))
        now = timezone.now()
        for step, share in enumerate((2, 5, 10)):  # corrections of every 2nd, 5th, 10th event
            chosen = ids[::share]
            Event.objects.filter(pk__in=chosen).update(city=f"City {step}")
            write_history(Event, chosen, update=True, by=None, reason="bench", when=now)
        withdrawn = ids[::50]
        Event.objects.filter(pk__in=withdrawn).update(status=Event.Status.DRAFT)
        write_history(Event, withdrawn, update=True, by=None, reason="bench", when=now)
        rows = Event.history.count()
        print(f"{events} events, {rows} history rows, {len(withdrawn)} withdrawn")

        if "--profile" in sys.argv:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(change_log)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
            return
        started = time.perf_counter()
        entries = change_log()
        print(f"change_log(): {len(entries)} entries in {time.perf_counter() - started:.2f} s")
        client = Client(headers={"Host": "testserver", "X-Forwarded-Proto": "https"})
        for url in ("/changes/", "/changes/?page=200"):
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                status = client.get(url).status_code
            took = time.perf_counter() - started
            print(f"GET {url} uncached: {status} in {took:.2f} s, {len(queries)} queries")
        event = Event.objects.get(pk=ids[0])
        started = time.perf_counter()
        found = corrections(event)
        print(f"corrections(one event): {len(found)} in {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    main(numbers[0] if numbers else 20_000)
