"""The performance figures, each beside its raw baseline and the ratio (``make benchmark``).

    [DATABASE_URL=postgres://…] python benchmarks/run.py [--events 10000]
        [--memory-at 10000,100000] [--no-browser] [--no-import]

In a throwaway database (nothing touches the real one) holding a demo record of --events
events (``generate_demo``), it prints the record's counts and each CSV table's average
row size, then times

* the home page (the whole-record timeline) through the full Django stack, against
  fetching the same rows with raw SQL and dumping them as JSON;
* Chromium drawing that timeline, against the same browser loading a page with no chart;
* each CSV table downloaded over HTTP from one gunicorn worker on loopback (production
  settings, behind the trusted proxy), in rows/s, against its raw baseline in this
  process: the committed SQL in ``benchmarks/sql/<table>.<database>.sql`` (the same rows
  and columns, in the same order), read through a raw cursor (server-side on PostgreSQL)
  into ``csv.writer``;
* the dry-run import of the exported files, and their import into an empty database,
  against reading them with ``csv.reader`` (``benchmarks/imports.py``);
* memory: the growth of the worker's resident set while it streams each table (its peak,
  ``VmHWM``, reset before, minus ``VmRSS`` before), against a separate process running
  the raw baseline, at --events and for a demo record of each other size in --memory-at.
"""

import argparse
import contextlib
import csv
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.chromium import CHROMIUM, launch  # noqa: E402
from benchmarks.record import demo_database, setup_django  # noqa: E402

SQL = Path(__file__).resolve().parent / "sql"
TABLE_NAMES = ("events", "participations", "outcomes", "links")
REPEAT = 3  # downloads of each table; the median time counts, and the largest growth


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
        TABLES[table_name], Event.objects.published(), base_url="", counter=counter
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


# Exports over HTTP: gunicorn on loopback, as a reader downloads them -----------------------


def database_url(database):
    """The URL of the throwaway database, for a server in another process."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"sqlite:///{database}"
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url):
    """Download ``url`` as the trusted TLS proxy in front of the tracker would; returns
    (status, bytes, CRLF line ends)."""
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    size = lines = 0
    last = b""
    with urllib.request.urlopen(request, timeout=600) as response:
        while chunk := response.read(1 << 16):
            size += len(chunk)
            lines += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            last = chunk[-1:]
    return response.status, size, lines


def worker_pid(master):
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"gunicorn {master} has workers {children}, expected one")
    return int(children[0])


def process_kb(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


@contextlib.contextmanager
def gunicorn(database):
    """One sync gunicorn worker serving ``database`` with the production settings on a free
    loopback port, as behind the TLS proxy; yields (base URL, the worker's pid)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    slots = tempfile.mkdtemp(prefix="tracker-benchmark-slots-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(database),
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "TRACKER_TRUSTED_PROXIES": "127.0.0.1",
        "TRACKER_EXPORT_SLOTS_DIR": slots,
    }
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "tracker.wsgi", f"--bind=127.0.0.1:{port}"]
        + ["--workers=1", "--timeout=900", "--log-level=warning"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fetch(base + "/healthz")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer") from None
                time.sleep(0.2)
        yield base, worker_pid(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(slots, ignore_errors=True)


def http_export(base, pid, name):
    """Download one table; its time in ms, size, rows, and the worker's resident-set growth
    in MB (its peak, reset before, minus its resident set before)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak (VmHWM) starts again from here
    before = process_kb(pid, "VmRSS")
    start = time.perf_counter()
    status, size, lines = fetch(f"{base}/export/{name}.csv")
    ms = (time.perf_counter() - start) * 1000
    if status != 200:
        raise RuntimeError(f"{name}.csv answered {status}")
    return ms, size, lines - 1, (process_kb(pid, "VmHWM") - before) / 1024


def csv_export(database, events, *, memory_only=False):
    """Each table over HTTP beside its raw baseline in this process, with rows/s; and the
    memory the serving worker grew by while streaming it, beside a process running the
    raw baseline."""
    print(
        f"CSV export of {events:,} events over HTTP from one gunicorn worker on loopback, "
        "beside its raw baseline"
    )
    with gunicorn(database) as (base, pid):
        for name in TABLE_NAMES:  # the code loaded, and the worker connected
            fetch(f"{base}/export/{name}.csv?date_after=2999-01-01")
        for name in TABLE_NAMES:
            runs = [http_export(base, pid, name) for _ in range(REPEAT)]
            ours = statistics.median(ms for ms, *_ in runs)
            _ms, size, rows, growth = runs[0]
            growth = max(run[3] for run in runs)
            baseline, raw_rows = timed(lambda n=name: raw_csv(n, Sink()), repeat=REPEAT)
            if rows != raw_rows:
                print(f"  {name}.csv: {rows:,} rows over HTTP but {raw_rows:,} raw: not comparable")
            if not memory_only:
                report(f"{name}.csv: {rows:,} rows, {size / 1e6:.1f} MB", ours, baseline)
                report(
                    f"{name}.csv: rows per second",
                    rows / ours * 1000,
                    raw_rows / baseline * 1000,
                    "rows/s",
                )
            report(f"{name}.csv: resident memory growth", growth, raw_memory(database, name), "MB")


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


def measure_memory(database, table_name):
    """Run in a process of its own: stream one table's raw baseline from ``database`` and
    print the growth of the resident set while doing it, in MB, as JSON."""
    setup_django(database_name=database)
    from django.db import connection

    connection.ensure_connection()
    raw_csv(table_name, Sink())  # the first run loads what it needs: measure the second
    before = memory_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    rows = raw_csv(table_name, Sink())
    growth = (memory_kb("VmHWM") - before) / 1024
    print(json.dumps({"growth_mb": growth, "rows": rows}))


def raw_memory(database, table_name):
    child = subprocess.run(
        [sys.executable, __file__, "--measure-memory", table_name, "--database", database],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])["growth_mb"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--memory-at", default="10000,100000")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-import", action="store_true", help="Leave out the import figures.")
    parser.add_argument("--measure-memory", choices=TABLE_NAMES, help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure_memory:
        measure_memory(options.database, options.measure_memory)
        return
    setup_django()
    sizes = [int(n) for n in options.memory_at.split(",") if n.strip()]
    print(f"Building a demo record of {options.events:,} events…", flush=True)
    with demo_database(events=options.events, seed=options.seed) as database:
        record_counts()
        home_page(options.events)
        if not options.no_browser:
            browser_draw(options.events)
        csv_export(database, options.events)
        if not options.no_import:
            csv_import()
    for size in sizes:
        if size == options.events:
            continue
        print(f"Memory at {size:,} events: building that demo record…", flush=True)
        with demo_database(events=size, seed=options.seed, out=lambda line: None) as database:
            csv_export(database, size, memory_only=True)


if __name__ == "__main__":
    main()
