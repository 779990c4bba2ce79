"""What the trigram index on ``tracker_event.search_text`` costs the import into an empty
PostgreSQL database, and what the ways around it really save (issue 17).

    DATABASE_URL=postgres://… python benchmarks/search_index.py [--events 10000]

Each import runs in a transaction rolled back afterwards (``emptied_record``):

* ``usual``: what the import does: into an empty events table, and for at least
  ``bulk_pg.LARGE_IMPORT`` new events, the index (with the other secondary indexes of
  the empty tables and the foreign keys between them) is dropped for the writes and
  made again once after them, before the commit (``tracker.models.bulk_pg``);
* ``row by row``: the index as it is (``fastupdate`` on, a 4 MB pending list merged as
  it fills), what the import did before;
* ``pending``: ``SET LOCAL gin_pending_list_limit`` at its maximum, so the import only
  appends to the pending list. The merge is not saved but moved: it is timed after the
  import (``gin_clean_pending_list``, the work autovacuum would do), with a search for a
  rare word before it (a search reads the whole pending list until then);
* ``no index``: the index dropped for the import and built afterwards. ``DROP INDEX``
  locks the table against every reader for the whole import.

Every mode but ``usual`` turns the import's own drop-and-build off.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.imports import emptied_record, export_files  # noqa: E402
from benchmarks.record import demo_database, setup_django  # noqa: E402

SEARCH = "SELECT count(*) FROM tracker_event WHERE search_text ILIKE %s"
RARE = "%zqxj%"  # in no event: the index answers from the pending list and its pages


def _sql(text, *params):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(text, params)
        return cursor.fetchall() if cursor.description else None


def _seconds(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measure(mode, files, index):
    """One import in ``mode``, and what it leaves to do afterwards, as a line."""
    from tracker.imports import import_tables
    from tracker.models import bulk_pg

    threshold = bulk_pg.LARGE_IMPORT
    with emptied_record():
        if mode != "usual":
            bulk_pg.LARGE_IMPORT = float("inf")
        if mode == "pending":
            _sql("SET LOCAL gin_pending_list_limit = '2GB'")
        elif mode == "no index":
            _sql(f'DROP INDEX "{index}"')
        try:
            wall = _seconds(lambda: import_tables(files=files))
        finally:
            bulk_pg.LARGE_IMPORT = threshold
        line = f"  {mode:<10} import {wall:6.2f} s"
        if mode == "no index":
            _sql("SET CONSTRAINTS ALL IMMEDIATE")  # CREATE INDEX refuses pending triggers
            build = f'CREATE INDEX "{index}" ON tracker_event USING gin (search_text gin_trgm_ops)'
            return f"{line}   then CREATE INDEX {_seconds(lambda: _sql(build)):5.2f} s"
        search = _seconds(lambda: _sql(SEARCH, RARE)) * 1000
        pages = []
        clean = _seconds(
            lambda: pages.extend(_sql("SELECT gin_clean_pending_list(%s::regclass)", index))
        )
        after = _seconds(lambda: _sql(SEARCH, RARE)) * 1000
        return (
            f"{line}   rare-word search {search:6.1f} ms, then merging {pages[0][0]:>6} "
            f"pending pages {clean:5.2f} s, then the search {after:5.1f} ms"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    setup_django()
    from benchmarks.run import tracker_csv

    with demo_database(events=options.events, out=lambda *args, **kwargs: None):
        from django.db import connection

        assert connection.vendor == "postgresql", "the trigram index is PostgreSQL's"
        files = export_files(Path(tempfile.mkdtemp()), tracker_csv)
        index = _sql(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'tracker_event' "
            "AND indexdef LIKE %s",
            "%gin_trgm_ops%",
        )[0][0]
        print(f"Import of {options.events:,} events into an empty database, index {index}:")
        for _round in range(options.rounds):
            for mode in ("usual", "row by row", "pending", "no index"):
                print(measure(mode, files, index), flush=True)


if __name__ == "__main__":
    main()
