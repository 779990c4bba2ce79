"""PostgreSQL's side of writing many rows into empty tables: PostgreSQL's advice for
populating a database ("Populating a Database": drop the indexes and foreign keys, load,
create them again), taken where it costs readers nothing they could see.

A table qualifies when it is empty as the writes start and receives at least
``LARGE_IMPORT`` rows (a model's own table, and its history's). For the writes it loses
its secondary indexes (neither unique nor a primary key: the trigram index on the events'
search text, migration 0015, is one) and the foreign keys between two such tables; once
the writes are done, before the commit, each index is built once from all the rows
instead of row by row, and each key is added again as it was defined and checked by one
query over all the rows instead of one check per row. A row naming nothing is refused as
before: the transaction fails, and nothing is left of it.

Keys to any other table stay (never one to ``auth_user``: dropping a key locks both of
its tables, and a locked user table would stop every login). Dropping locks the tables
against every reader until the transaction ends: they are empty, so until the import
commits a reader would find no rows either way. The locks are asked for with a short
wait, and when a reader holds one of the tables the import writes as usual. Elsewhere
(SQLite, tables with rows, a small import) nothing changes.
"""

import contextlib
from dataclasses import dataclass

from django.db import OperationalError, connections, transaction

#: The fewest rows a table receives for its indexes and keys to be made after the writes.
LARGE_IMPORT = 1000

#: How long the import waits for readers of the empty tables before writing as usual.
LOCK_WAIT = "1s"


@dataclass(frozen=True)
class Dropped:
    """What was dropped, to be made again: ``indexes`` as ``[(name, definition)]``,
    ``keys`` as ``[(table, name, definition)]`` (names and tables as the catalogue
    quotes them, definitions as ``pg_get_indexdef`` and ``pg_get_constraintdef`` give
    them)."""

    indexes: list
    keys: list


@contextlib.contextmanager
def built_after_load(rows, *, meanwhile=(), using="default"):
    """Around writes inside the caller's transaction that create ``rows[model]`` rows of
    each model (a many-to-many through model: its pairs): on PostgreSQL, the qualifying
    tables' secondary indexes and the keys between them are dropped for the writes and
    made again, as they were defined, once the writes are done (before the commit: a
    reader never sees a table without them). If the writes fail, nothing is made again:
    the caller's rollback brings them back. Outside a transaction nothing is dropped
    (each drop would be committed on its own).

    ``meanwhile``: functions that need no database, called once the writes are done. The
    statements that make the indexes and keys again are sent in pipeline mode, not waited
    for one by one, so that this work runs on the client while the server builds (the
    two cores each have their half); their results are read, and any error raised, once
    it is done."""
    connection = connections[using]
    dropped = None
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        tables = loaded_tables(rows)
        if tables:
            dropped = _drop(tables, connection)
    yield dropped
    if not dropped:
        for work in meanwhile:
            work()
        return
    with connection.wrap_database_errors, connection.connection.pipeline():
        _make_again(dropped, connection)
        for work in meanwhile:
            work()


def loaded_tables(rows):
    """The tables of the models that receive at least ``LARGE_IMPORT`` rows: each
    model's own and, for a model with history, its history's (a row for each row
    written)."""
    tables = []
    for model, count in rows.items():
        if count < LARGE_IMPORT:
            continue
        tables.append(model._meta.db_table)
        history = getattr(model, "history", None)
        if history is not None:
            tables.append(history.model._meta.db_table)
    return sorted(set(tables))


def _empty(cursor, tables, quote):
    """Those of ``tables`` that hold no row."""
    cursor.execute(
        " UNION ALL ".join(
            f"SELECT %s WHERE NOT EXISTS (SELECT 1 FROM {quote(table)})" for table in tables
        ),
        tables,
    )
    return [table for (table,) in cursor.fetchall()]


def _drop(tables, connection):
    """The :class:`Dropped` indexes and keys of those of ``tables`` that are empty, or
    None when there is nothing to drop or a lock is not granted within ``LOCK_WAIT``."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        empty = _empty(cursor, tables, quote)
        if not empty:
            return None
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) AND i.indisvalid "
            "AND NOT i.indisunique AND NOT i.indisprimary AND NOT i.indisexclusion "
            "ORDER BY 1",
            [empty],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c WHERE c.contype = 'f' "
            "AND c.conrelid = ANY(%s::regclass[]) AND c.confrelid = ANY(%s::regclass[]) "
            "ORDER BY 1, 2",
            [empty, empty],
        )
        keys = cursor.fetchall()
        if not indexes and not keys:
            return None
        if keys:  # a table is altered only once no row waits for its deferred checks
            _check_now(cursor)
        cursor.execute("SELECT current_setting('lock_timeout')")
        (wait,) = cursor.fetchone()
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_WAIT])
                locked = ", ".join(quote(table) for table in empty)
                cursor.execute(f"LOCK TABLE {locked} IN ACCESS EXCLUSIVE MODE")
                for table, name, _definition in keys:
                    cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
                if indexes:
                    cursor.execute(f"DROP INDEX {', '.join(name for name, _ in indexes)}")
        except OperationalError:  # a reader holds a table: write as usual
            return None
        finally:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [wait])
    return Dropped(indexes=indexes, keys=keys)


def _check_now(cursor):
    """Run the foreign-key checks the transaction's writes wait for now rather than at
    the commit (the same checks, the same all-or-nothing): PostgreSQL alters a table, or
    builds an index on it, only once none of its rows waits for one."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _make_again(dropped, connection):
    """Build the indexes and add the keys again, after the checks the written rows
    still wait for (keys to other tables, ``auth_user``): the keys added are checked at
    once, all rows in one query each."""
    quote = connection.ops.quote_name
    by_table = {}
    for table, name, definition in dropped.keys:
        by_table.setdefault(table, []).append(f"ADD CONSTRAINT {quote(name)} {definition}")
    with connection.cursor() as cursor:
        _check_now(cursor)
        for _name, definition in dropped.indexes:
            cursor.execute(definition)
        for table, additions in by_table.items():
            cursor.execute(f"ALTER TABLE {table} {', '.join(additions)}")
