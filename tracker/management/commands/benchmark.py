"""Measure the performance targets, each against a raw baseline in the same run.

Runs in a throwaway test database (nothing touches the real one): it creates a
synthetic record of --events events, then times

* the home page (the whole-record timeline) through the full Django stack, against
  fetching the same rows with raw SQL and dumping them as JSON;
* the browser drawing that timeline, when Chromium and Playwright are installed;
* the streamed events and outcomes CSV export, time and peak Python memory at a tenth
  of the events and at all of them (memory must stay flat), against a raw cursor
  written straight to csv.writer;
* the CSV import of the exported files.
"""

import csv
import datetime
import io
import json
import os
import random
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, connections
from django.test import Client
from django.test.utils import (
    override_settings,
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)
from django.urls import reverse

from tracker.columns import EVENTS, OUTCOMES, TABLES
from tracker.csv_export import csv_lines
from tracker.imports import import_tables
from tracker.models import (
    Citation,
    Conflict,
    Event,
    Outcome,
    Participation,
    Party,
    Person,
    Process,
    Source,
)

CHROMIUM = "/usr/bin/chromium"


def timed(function, repeat=3):
    """Best of ``repeat`` runs, in milliseconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, (time.perf_counter() - start) * 1000)
    return best, result


def peak_memory(function):
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


class Command(BaseCommand):
    help = "Measure page, chart and CSV performance on a synthetic record, against raw baselines."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=2025)
        parser.add_argument("--no-browser", action="store_true")

    def handle(self, *args, events, seed, no_browser, **options):
        # Pages are measured as in production (no debug), with static files found in
        # place rather than from a collected, hashed copy.
        unhashed = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(
            STORAGES=unhashed, WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True
        ):
            self.run(events, seed, no_browser)

    def run(self, events, seed, no_browser):
        setup_test_environment(debug=False)
        old_config = setup_databases(verbosity=0, interactive=False)
        try:
            self.stdout.write(f"Building a synthetic record of {events:,} events…")
            self.build(events, random.Random(seed))
            self.stdout.write(f"Database: {connection.vendor}\n")
            self.home_page(events)
            if not no_browser:
                self.browser_draw(events)
            self.csv_export(events)
            self.csv_import()
        finally:
            teardown_databases(old_config, verbosity=0)
            teardown_test_environment()

    def report(self, label, ours, baseline, unit="ms"):
        ratio = ours / baseline if baseline else float("inf")
        self.stdout.write(
            f"  {label:<44} {ours:>9.1f} {unit}   raw baseline {baseline:>8.1f} {unit}"
            f"   ×{ratio:.1f}"
        )

    # Data

    def build(self, count, rng):
        conflict = Conflict.objects.create(slug="synthetic", name="Synthetic")
        processes = [
            Process.objects.create(
                slug=f"process-{i}", title=f"Process {i}", conflict=conflict, position=i
            )
            for i in range(6)
        ]
        parties = [
            Party.objects.create(slug=f"party-{i}", name=f"Party {i}", kind="other")
            for i in range(20)
        ]
        people = [
            Person.objects.create(slug=f"person-{i}", name=f"Person {i}", party=parties[i % 20])
            for i in range(200)
        ]
        start = datetime.date(2022, 1, 1)
        kinds = [k for k, _label in Event.Kind.choices]
        precisions = ["day"] * 18 + ["month", "year"]
        event_rows = [
            Event(
                process=rng.choice(processes),
                kind=rng.choice(kinds),
                title=f"Synthetic event {i}",
                slug=f"synthetic-{i}",
                start_date=start + datetime.timedelta(days=rng.randrange(1500)),
                date_precision=rng.choice(precisions),
                city="Geneva",
                country="CH",
                summary="A synthetic event for the benchmark.",
                status="published",
            )
            for i in range(count)
        ]
        Event.objects.bulk_create(event_rows, batch_size=2000)
        ids = list(Event.objects.values_list("pk", flat=True))
        statuses = [s for s, _label in Outcome.Status.choices]
        Participation.objects.bulk_create(
            [
                Participation(
                    event_id=pk,
                    person=person,
                    party=person.party,
                    role="delegate",
                    position=n,
                )
                for pk in ids
                for n, person in enumerate(rng.sample(people, 3))
            ],
            batch_size=5000,
        )
        source = Source.objects.create(url="https://example.org/report", publisher="Example")
        Citation.objects.bulk_create(
            [Citation(event_id=pk, source=source, position=1) for pk in ids], batch_size=5000
        )
        Outcome.objects.bulk_create(
            [
                Outcome(
                    event_id=pk,
                    kind="agreement",
                    status=rng.choice(statuses),
                    description="An outcome.",
                    position=n,
                )
                for pk in ids
                for n in range(2)
            ],
            batch_size=5000,
        )

    # Targets

    def home_page(self, count):
        self.stdout.write(f"Home page: the whole-record timeline ({count:,} events)")
        client = Client()
        ours, response = timed(lambda: client.get(reverse("home")))
        body = response.content.decode()
        start = body.index('<script id="timeline-data" type="application/json">')
        figure = json.loads(body[start:].split(">", 1)[1].split("</script>", 1)[0])
        markers = sum(len(t["x"]) for t in figure["data"] if t.get("mode") == "markers")

        def raw():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id, slug, title, kind, start_date, end_date, date_precision, "
                    "process_id FROM tracker_event WHERE status = 'published'"
                )
                return json.dumps(cursor.fetchall(), default=str)

        baseline, raw_json = timed(raw)
        self.report("server: render the home page", ours, baseline)
        types = sorted({t["type"] for t in figure["data"]})
        self.stdout.write(
            f"  figure: {len(figure['data'])} traces ({', '.join(types)}), {markers:,} markers, "
            f"page {len(body) / 1e6:.2f} MB (raw rows as JSON {len(raw_json) / 1e6:.2f} MB)"
        )
        self.stdout.write(f"  status {response.status_code}\n")

    def browser_draw(self, count):
        self.stdout.write("Browser: time until the timeline is drawn")
        if not os.path.exists(CHROMIUM):
            self.stdout.write(f"  skipped: no Chromium at {CHROMIUM}\n")
            return
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            self.stdout.write("  skipped: Playwright is not installed (pip install -e '.[dev]')\n")
            return
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.test.testcases import LiveServerThread

        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        shared = {
            c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()
        }
        for shared_connection in shared.values():
            shared_connection.inc_thread_sharing()
        server = LiveServerThread("localhost", StaticFilesHandler, shared, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        url = f"http://localhost:{server.port}"
        args = [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
                page = browser.new_page()
                page.on(
                    "console",
                    lambda m: (
                        self.stderr.write(f"  browser: {m.text}") if m.type == "error" else None
                    ),
                )

                def draw():
                    page.goto(url + "/", wait_until="domcontentloaded")
                    page.wait_for_selector("#timeline.is-drawn", timeout=60_000)

                ours, _ = timed(draw, repeat=2)

                def empty():
                    page.goto(url + "/events/?kind=other&q=no-such-event")

                baseline, _ = timed(empty, repeat=2)
                self.report(f"load and draw {count:,} events", ours, baseline)
                self.stdout.write("  (baseline: the same browser loading a page with no chart)\n")
                browser.close()
        finally:
            server.terminate()
            for shared_connection in shared.values():
                shared_connection.dec_thread_sharing()

    def csv_export(self, count):
        self.stdout.write("CSV export, streamed (time, and peak Python memory)")
        everything = Event.objects.published().for_export()
        tenth_ids = list(everything.values_list("pk", flat=True)[: max(1, count // 10)])
        tenth = Event.objects.filter(pk__in=tenth_ids).for_export()

        def drain(table, events):
            return sum(len(piece) for piece in csv_lines(table, events, base_url=""))

        for table in (EVENTS, OUTCOMES):
            ours, size = timed(lambda t=table: drain(t, everything), repeat=1)
            small_memory = peak_memory(lambda t=table: drain(t, tenth))
            full_memory = peak_memory(lambda t=table: drain(t, everything))

            def raw(t=table):
                sql = (
                    "SELECT * FROM tracker_event ORDER BY start_date, id"
                    if t is EVENTS
                    else "SELECT * FROM tracker_outcome ORDER BY event_id, position"
                )
                out = io.StringIO()
                writer = csv.writer(out)
                with connection.cursor() as cursor:
                    cursor.execute(sql)
                    for row in cursor:
                        writer.writerow(row)
                return out.tell()

            baseline, _ = timed(raw, repeat=1)
            self.report(f"{table.name}.csv, {size / 1e6:.1f} MB", ours, baseline)
            self.stdout.write(
                f"  peak memory: {small_memory:.1f} MB for a tenth of the events, "
                f"{full_memory:.1f} MB for all of them"
            )
        self.stdout.write("")

    def csv_import(self):
        self.stdout.write("CSV import of the exported events, participations, outcomes and links")
        folder = Path(tempfile.mkdtemp())
        try:
            for name in TABLES:
                with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
                    for piece in csv_lines(
                        TABLES[name], Event.objects.published().for_export(), base_url=""
                    ):
                        handle.write(piece)
            files = {p.name: p for p in folder.glob("*.csv")}
            ours, report = timed(lambda: import_tables(files=files, dry_run=True), repeat=1)

            def raw():
                for path in files.values():
                    with path.open(newline="", encoding="utf-8") as handle:
                        sum(1 for _row in csv.reader(handle))

            baseline, _ = timed(raw, repeat=1)
            self.report("dry-run import of unchanged files", ours, baseline)
            self.stdout.write(f"  {'; '.join(report.lines())}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
