"""PostgreSQL's side of writing many events at once: a table's GIN indexes (the trigram
index on the events' search text, migration 0015) built once after a large first import
instead of row by row during it.

PostgreSQL's advice for populating a table ("Populating a Database": drop the indexes,
load, create them again) is taken only where it costs readers nothing they could see:
the table is empty, so until the import commits a reader would find no rows either way.
Dropping an index locks the table against every reader until the transaction ends; the
lock is asked for with a short wait, and when a reader holds the table the import writes
as usual. Elsewhere (SQLite, a table with rows, a small import) nothing changes.
"""

import contextlib

from django.db import OperationalError, connections, transaction

#: The fewest rows of an import for which the indexes are built afterwards.
LARGE_IMPORT = 1000

#: How long the import waits for readers of the empty table before writing as usual.
LOCK_WAIT = "1s"


@contextlib.contextmanager
def gin_indexes_built_after(model, *, rows, using="default"):
    """Around the writes of ``rows`` new rows of ``model`` inside the caller's transaction:
    on PostgreSQL, when the table is empty and ``rows`` is at least ``LARGE_IMPORT``, its
    GIN indexes are dropped for the writes and created again, as they were defined, once
    they are done (before the commit: a search never sees the table without them)."""
    connection = connections[using]
    dropped = []
    if connection.vendor == "postgresql" and rows >= LARGE_IMPORT:
        dropped = _drop_gin_indexes(model, connection)
    yield
    if dropped:
        _create_indexes(dropped, connection)


def _drop_gin_indexes(model, connection):
    """``[(name, definition)]`` of the indexes dropped: none unless the table is empty
    and its lock is granted within ``LOCK_WAIT``."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
        if cursor.fetchone()[0]:
            return []
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = %s::regclass "
            "AND a.amname = 'gin' ORDER BY 1",
            [table],
        )
        indexes = cursor.fetchall()
        if not indexes:
            return []
        cursor.execute("SELECT current_setting('lock_timeout')")
        (wait,) = cursor.fetchone()
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_WAIT])
                for name, _definition in indexes:
                    cursor.execute(f"DROP INDEX {name}")  # quoted by regclass::text
        except OperationalError:  # a reader holds the table: write as usual
            return []
        finally:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [wait])
    return indexes


def _create_indexes(indexes, connection):
    """Create the indexes again. PostgreSQL refuses to while the table's rows wait for
    their deferred foreign-key checks, so those run now rather than at the commit (the
    same checks, the same all-or-nothing)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for _name, definition in indexes:
            cursor.execute(definition)
