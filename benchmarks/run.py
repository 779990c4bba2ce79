"""The performance figures, each beside its raw baseline and the ratio (``make benchmark``).

    [DATABASE_URL=postgres://…] python benchmarks/run.py [--events 10000]
        [--memory-at 10000,100000] [--no-browser]

In a throwaway database (nothing touches the real one) holding a demo record of --events
events (``generate_demo``), it prints the record's counts and each CSV table's average
row size, then times

* the home page (the whole-record timeline) through the full Django stack, against
  fetching the same rows with raw SQL and dumping them as JSON;
* Chromium drawing that timeline, against the same browser loading a page with no chart;
* each streamed CSV table, against its raw baseline: the committed SQL in
  ``benchmarks/sql/<table>.<database>.sql`` (the same rows and columns, in the same
  order), read through a raw cursor (server-side on PostgreSQL) into ``csv.writer``;
* the dry-run import of the exported files, and their import into an empty database,
  against reading them with ``csv.reader`` (``benchmarks/imports.py``);
* memory: the growth of the resident set (``VmHWM`` minus ``VmRSS`` before) of a separate
  process that streams the events CSV, and of one running the raw baseline, for a demo
  record of each size in --memory-at.
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.chromium import CHROMIUM, launch  # noqa: E402
from benchmarks.record import demo_database, setup_django  # noqa: E402

SQL = Path(__file__).resolve().parent / "sql"
TABLE_NAMES = ("events", "participations", "outcomes", "links")


def timed(function, repeat=3):
    """The median of ``repeat`` runs, in milliseconds, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def report(label, ours, baseline, unit="ms"):
    ratio = f"×{ours / baseline:.1f}" if baseline else "×–"
    print(
        f"  {label:<46} {ours:>9.1f} {unit}   raw baseline {baseline:>8.1f} {unit}   {ratio}",
        flush=True,
    )


# The raw baselines ---------------------------------------------------------------------


def raw_sql(table_name, vendor):
    return (SQL / f"{table_name}.{vendor}.sql").read_text("utf-8")


def raw_csv(table_name, handle):
    """Write the table's raw baseline to ``handle``: its committed SQL, read through a
    raw cursor (server-side on PostgreSQL) into ``csv.writer``. Returns the rows written."""
    from django.db import connection

    writer = csv.writer(handle)
    rows = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(raw_sql(table_name, connection.vendor))
        writer.writerow([column[0] for column in cursor.description])
        while batch := cursor.fetchmany(2000):
            writer.writerows(batch)
            rows += len(batch)
    return rows


def tracker_csv(table_name, handle):
    """Write the table as the tracker exports it to ``handle``; returns the rows written."""
    from tracker.columns import TABLES
    from tracker.csv_export import csv_lines
    from tracker.models import Event

    counter = {}
    for piece in csv_lines(
        TABLES[table_name], Event.objects.published().for_export(), base_url="", counter=counter
    ):
        handle.write(piece)
    return counter["rows"]


class Sink:
    """A file that counts what is written to it and keeps nothing."""

    def __init__(self):
        self.size = 0

    def write(self, text):
        self.size += len(text.encode())


# Figures -----------------------------------------------------------------------------


def record_counts():
    from django.db import connection

    from tracker.demo import demo_events
    from tracker.models import Citation, Event, Outcome, Participation, Party, Person, Source

    counts = {
        "events": Event.objects.count(),
        "published": Event.objects.published().count(),
        "processes": demo_events().values("process").distinct().count(),
        "parties": Party.objects.count(),
        "people": Person.objects.count(),
        "sources": Source.objects.count(),
        "participations": Participation.objects.count(),
        "outcomes": Outcome.objects.count(),
        "citations": Citation.objects.count(),
    }
    print(f"Database: {connection.vendor}")
    print("Record: " + ", ".join(f"{n:,} {name}" for name, n in counts.items()))


def home_page(count):
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    print(f"Home page: the whole-record timeline ({count:,} events), page cache emptied")
    client = Client()

    def render():
        cache.clear()
        return client.get("/", secure=True)

    ours, response = timed(render)

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, slug, title, kind, start_date, end_date, date_precision, "
                "process_id FROM tracker_event WHERE status = 'published'"
            )
            return json.dumps(cursor.fetchall(), default=str)

    baseline, raw_json = timed(raw)
    report(f"render the home page ({response.status_code})", ours, baseline)
    print(
        f"  page {len(response.content) / 1e6:.2f} MB "
        f"(raw rows as JSON {len(raw_json) / 1e6:.2f} MB)"
    )


def browser_draw(count):
    print("Browser: time until the timeline is drawn")
    if not CHROMIUM.exists():
        print(f"  skipped: no Chromium at {CHROMIUM}")
        return
    from playwright.sync_api import sync_playwright

    from benchmarks.timeline import start_server

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    server, shared = start_server()
    url = f"http://localhost:{server.port}"
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page()

            def draw():
                page.goto(url + "/", wait_until="domcontentloaded")
                page.wait_for_selector("#timeline.is-drawn", timeout=60_000)

            ours, _ = timed(draw)
            baseline, _ = timed(lambda: page.goto(url + "/events/?kind=other&q=no-such-event"))
            report(f"load and draw {count:,} events", ours, baseline)
            print("  (baseline: the same browser loading a page with no chart)")
            browser.close()
    finally:
        server.terminate()
        for connection in shared.values():
            connection.dec_thread_sharing()


def csv_export():
    print("CSV export, streamed (time; average row size)")
    for name in TABLE_NAMES:
        sink = Sink()
        ours, rows = timed(lambda n=name, s=sink: tracker_csv(n, s), repeat=1)
        baseline, _ = timed(lambda n=name: raw_csv(n, Sink()), repeat=1)
        report(f"{name}.csv: {rows:,} rows, {sink.size / 1e6:.1f} MB", ours, baseline)
        print(f"  average row {sink.size / max(rows, 1):,.0f} bytes")


def csv_import():
    """The dry run of unchanged files and the import into an empty database
    (``benchmarks/imports.py``), each in events/s beside reading the files raw."""
    from benchmarks.imports import csv_import as import_figures

    import_figures(tracker_csv)


# Memory, in separate processes ------------------------------------------------------------


def memory_kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def measure_memory(database, how, table_name):
    """Run in a process of its own: stream one table from ``database`` and print the
    growth of the resident set while doing it, in MB, as JSON."""
    setup_django(database_name=database)
    write = tracker_csv if how == "tracker" else raw_csv
    from tracker.columns import TABLES
    from tracker.csv_export import csv_lines
    from tracker.models import Event

    # Connected, and the code loaded (a few events exported), before the baseline.
    first = Event.objects.published().values_list("pk", flat=True)[:20]
    first = Event.objects.filter(pk__in=list(first)).for_export()
    for _piece in csv_lines(TABLES[table_name], first, base_url=""):
        pass
    before = memory_kb("VmRSS")
    rows = write(table_name, Sink())
    growth = (memory_kb("VmHWM") - before) / 1024
    print(json.dumps({"growth_mb": growth, "rows": rows}))


def memory(database, events):
    results = {}
    for how in ("tracker", "raw"):
        child = subprocess.run(
            [sys.executable, __file__, "--measure-memory", how, "--database", database],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ,
        )
        results[how] = json.loads(child.stdout.strip().splitlines()[-1])
    report(
        f"events.csv at {events:,} events ({results['tracker']['rows']:,} rows)",
        results["tracker"]["growth_mb"],
        results["raw"]["growth_mb"],
        unit="MB",
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--memory-at", default="10000,100000")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--measure-memory", choices=["tracker", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure_memory:
        measure_memory(options.database, options.measure_memory, "events")
        return
    setup_django()
    sizes = [int(n) for n in options.memory_at.split(",") if n.strip()]
    print(f"Building a demo record of {options.events:,} events…", flush=True)
    with demo_database(events=options.events, seed=options.seed) as database:
        record_counts()
        home_page(options.events)
        if not options.no_browser:
            browser_draw(options.events)
        csv_export()
        csv_import()
        if options.events in sizes:
            print("Memory: resident-set growth of a process streaming the CSV")
            memory(database, options.events)
    for size in sizes:
        if size == options.events:
            continue
        print(f"Memory at {size:,} events: building that demo record…", flush=True)
        with demo_database(events=size, seed=options.seed, out=lambda line: None) as database:
            print("Memory: resident-set growth of a process streaming the CSV")
            memory(database, size)


if __name__ == "__main__":
    main()
