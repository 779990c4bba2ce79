"""Server time and queries of the busiest pages, uncached and cached, on a given database.

    DATABASE_URL=postgres://…/tracker [REDIS_URL=redis://127.0.0.1:6379/0] \\
        python benchmarks/pages.py [--repeat 15]

Prints, for ``/``, ``/events/`` and an event page, the median time through the whole
Django stack (middleware included, as production settings run it) with the page cache
empty before every request ("uncached") and with it warm ("cached"), and the queries
each answer runs. Targets (README, "Performance"): ``/`` and ``/events/`` at most 150 ms
uncached, 20 ms cached and 8 queries; an event page at most 30 ms uncached.

It reads the record it is given and builds none: measure on the 10,000-event demo record
(``manage.py generate_demo --events 10000`` into an empty database; it runs ``ANALYZE`` at
the end, without which PostgreSQL's plans for the filters' choices are ten times slower).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Pages are asked for as a browser asks: every browser accepts gzip (kept pages are sent
#: as kept, gzipped).
BROWSER = {"Accept-Encoding": "gzip, deflate, br"}
#: (uncached ms, cached ms, queries uncached) the issue sets; None where it sets none.
TARGETS = {"/": (150, 20, 8), "/events/": (150, 20, 8), "event": (30, 20, None)}


def setup_django():
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to the database to measure (it is only read).")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-secret")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("TRACKER_BASE_URL", "https://testserver")
    import django

    django.setup()


def measure(client, url, *, cold, repeat):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries, statuses = [], 0, set()
    client.get(url, secure=True, headers=BROWSER)
    for _ in range(repeat):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url, secure=True, headers=BROWSER)
            times.append((time.perf_counter() - start) * 1000)
        queries = max(queries, len(captured))
        statuses.add((response.status_code, response.get("X-Page-Cache")))
    return statistics.median(times), queries, statuses


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from tracker.models import Event

    # Static files found in place, not collected (as benchmarks/timeline.py does).
    unhashed = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=unhashed).enable()

    event = Event.objects.published().order_by("start_date", "pk").first()
    client = Client()
    print(f"Database: {connection.vendor}, {Event.objects.published().count():,} published events")
    for label, url in (("/", "/"), ("/events/", "/events/"), ("event", event.get_absolute_url())):
        uncached_target, cached_target, query_target = TARGETS[label]
        uncached, queries, statuses = measure(client, url, cold=True, repeat=args.repeat)
        cached, cached_queries, _ = measure(client, url, cold=False, repeat=args.repeat)
        verdict = (
            "ok"
            if uncached <= uncached_target
            and cached <= cached_target
            and queries <= (query_target or queries)
            else "OVER TARGET"
        )
        print(
            f"  {url:<40} uncached {uncached:6.1f} ms ({queries} queries)"
            f"   cached {cached:5.1f} ms ({cached_queries} queries)"
            f"   {sorted(statuses)}  [{verdict}]"
        )


if __name__ == "__main__":
    main()
