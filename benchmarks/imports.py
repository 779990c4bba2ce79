"""The CSV import's figures, each beside its raw baseline (reading the files with
``csv.reader``), in events per second; ``benchmarks/run.py`` prints them with the others.

    [DATABASE_URL=postgres://…] python benchmarks/imports.py [--events 10000]

On its own it builds the demo record, exports its four files and times

* the dry run of the unchanged files against the demo record;
* the import of the same files, with their parts, into an empty database: every table
  of the record emptied inside a transaction that is rolled back afterwards.
"""

import argparse
import contextlib
import csv
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.record import demo_database, setup_django  # noqa: E402

TABLE_NAMES = ("events", "participations", "outcomes", "links")


def export_files(folder, write_table):
    """The demo record's four files in ``folder``, written by ``write_table(name, handle)``."""
    for name in TABLE_NAMES:
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            write_table(name, handle)
    return {p.name: p for p in sorted(folder.glob("*.csv"))}


def read_raw(files):
    """The raw baseline: every row of every file through ``csv.reader``."""
    for path in files.values():
        with path.open(newline="", encoding="utf-8") as handle:
            sum(1 for _row in csv.reader(handle))


def seconds(function):
    """``((wall-clock seconds, CPU seconds of this process), result)``: on a shared
    machine the CPU time says what the wall clock cannot (PostgreSQL's own work is in the
    wall clock only)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function()
    return (time.perf_counter() - start, time.process_time() - cpu), result


def line(label, ours, baseline, events):
    (wall, cpu), (raw_wall, _raw_cpu) = ours, baseline
    print(
        f"  {label:<32} {wall * 1000:>9.1f} ms {events / wall:>7,.0f} events/s "
        f"(CPU {cpu * 1000:>8.1f} ms {events / cpu:>7,.0f}/s)   raw baseline "
        f"{raw_wall * 1000:>6.1f} ms {events / raw_wall:>7,.0f} events/s   ×{wall / raw_wall:.1f}",
        flush=True,
    )


@contextlib.contextmanager
def emptied_record():
    """Every table of the tracker app empty (history and imports too), inside a
    transaction rolled back on leaving."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection, transaction

    tables = [
        model._meta.db_table
        for model in apps.get_app_config("tracker").get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.object_name != "RecordVersion"
    ]
    with transaction.atomic():
        with connection.cursor() as cursor:
            for sql in connection.ops.sql_flush(no_style(), tables, allow_cascade=True):
                cursor.execute(sql)
        try:
            yield
        finally:
            transaction.set_rollback(True)


def csv_import(write_table):
    """Print the dry run of unchanged files and the import into an empty database."""
    from tracker.imports import import_tables
    from tracker.models import Event

    print("CSV import of the exported files (events/s: the events file's rows)")
    folder = Path(tempfile.mkdtemp())
    try:
        files = export_files(folder, write_table)
        events = Event.objects.published().count()
        baseline, _ = seconds(lambda: read_raw(files))
        ours, result = seconds(lambda: import_tables(files=files, dry_run=True))
        line("dry run of unchanged files", ours, baseline, events)
        print(f"    {'; '.join(result.lines())}")
        with emptied_record():
            ours, result = seconds(lambda: import_tables(files=files))
            written = Event.objects.count()
        baseline, _ = seconds(lambda: read_raw(files))
        line("import into an empty database", ours, baseline, events)
        print(f"    {'; '.join(result.lines())}")
        assert written == events, (written, events)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2025)
    options = parser.parse_args()
    setup_django()
    from benchmarks.run import tracker_csv

    print(f"Building a demo record of {options.events:,} events…", flush=True)
    with demo_database(events=options.events, seed=options.seed):
        from django.db import connection

        print(f"Database: {connection.vendor}")
        csv_import(tracker_csv)


if __name__ == "__main__":
    main()
