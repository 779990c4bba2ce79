"""The timeline's acceptance figures on a synthetic record (10,000 events by default).

    python benchmarks/timeline.py [--events 10000] [--no-browser]

Prints, for ``/`` and ``/events/``, the size of the chart data (the figure's JSON and the
table that stands in for it) and the server time; then how long Chromium takes to draw
the home timeline: the cold first visit, and the median of five second visits in the
same browser context (warm HTTP cache). Targets: chart data at most 1 MB, warm draw at
most 1.5 s.

Standalone on purpose: the ``tracker`` package never imports it. It runs in a throwaway
database, as in production (debug off, static files served by whitenoise with their
cache headers), holding a demo record written by ``generate_demo`` (``tracker.demo``).
``measure_timeline()`` is the function to call from elsewhere.
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.chromium import CHROMIUM, launch  # noqa: E402
from benchmarks.record import demo_database, setup_django  # noqa: E402

DATA_TARGET_MB = 1.0
DRAW_TARGET_MS = 1500


def chart_data_size(body):
    """Bytes of the timeline's figure JSON and of the table that stands in for it."""
    figure = re.search(
        r'<script id="timeline-data" type="application/json">.*?</script>', body, re.S
    )
    table = re.search(r'<details class="chart-table".*?</details>', body, re.S)
    return len(figure.group(0).encode()) if figure else 0, len(
        table.group(0).encode()
    ) if table else 0


def measure_pages(out):
    from django.test import Client

    client = Client()
    results = {}
    for url in ("/", "/events/"):
        start = time.perf_counter()
        response = client.get(url)
        server_ms = (time.perf_counter() - start) * 1000
        body = response.content.decode()
        figure, table = chart_data_size(body)
        results[url] = {
            "figure": figure,
            "table": table,
            "page": len(body.encode()),
            "ms": server_ms,
        }
        verdict = "ok" if (figure + table) / 1e6 <= DATA_TARGET_MB else "OVER TARGET"
        out(
            f"  {url:<9} chart data {(figure + table) / 1e6:5.2f} MB (figure {figure / 1e6:.2f} MB,"
            f" table {table / 1e6:.2f} MB), page {len(body.encode()) / 1e6:.2f} MB,"
            f" server {server_ms:6.0f} ms, status {response.status_code}  [{verdict}]"
        )
    return results


def start_server():
    """A live server of the whole WSGI application, whitenoise included, so that static
    files carry the cache headers production sends."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connections
    from django.test.testcases import LiveServerThread

    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    for connection in shared.values():
        connection.inc_thread_sharing()

    class Application:
        def __new__(cls, _handler):
            return WSGIHandler()

    server = LiveServerThread("localhost", Application, shared, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    return server, shared


def measure_browser(out):
    if not os.path.exists(CHROMIUM):
        out(f"  skipped: no Chromium at {CHROMIUM}")
        return {}
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    server, shared = start_server()
    url = f"http://localhost:{server.port}/"
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()

            def visit():
                start = time.perf_counter()
                page.goto(url, wait_until="commit")
                page.wait_for_selector("#timeline.is-drawn", timeout=60_000)
                return (time.perf_counter() - start) * 1000

            cold = visit()
            warm = [visit() for _ in range(5)]
            browser.close()
    finally:
        server.terminate()
        for connection in shared.values():
            connection.dec_thread_sharing()
    median = statistics.median(warm)
    verdict = "ok" if median <= DRAW_TARGET_MS else "OVER TARGET"
    out(
        f"  draw the home timeline, warm HTTP cache: median {median:6.0f} ms of five"
        f" ({', '.join(f'{ms:.0f}' for ms in warm)})  [{verdict}]"
    )
    out(f"  cold first visit (no target):             {cold:6.0f} ms")
    return {"cold_ms": cold, "warm_ms": warm, "warm_median_ms": median}


def measure_timeline(*, events=10_000, seed=2025, browser=True, out=print):
    """Build a synthetic record of ``events`` events in a throwaway database, print the
    timeline's figures with ``out``, and return them."""
    from django.db import connection

    results = {}
    out(f"Building a demo record of {events:,} events… ({connection.vendor})")
    with demo_database(events=events, seed=seed, out=out):
        out(f"Chart data (target: at most {DATA_TARGET_MB:.0f} MB)")
        results["pages"] = measure_pages(out)
        if browser:
            out(f"Chromium (target: at most {DRAW_TARGET_MS:,} ms with a warm HTTP cache)")
            results["browser"] = measure_browser(out)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--no-browser", action="store_true")
    options = parser.parse_args()
    setup_django()
    measure_timeline(events=options.events, seed=options.seed, browser=not options.no_browser)


if __name__ == "__main__":
    main()
