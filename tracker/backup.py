"""Backups of the whole record in one file, restorable into a fresh database of either kind.

What a backup holds is walked from the app registry, never listed by hand: every table of
every installed app's models, the tracker's django-simple-history tables and the
many-to-many link tables included, so that a model added later is in the next backup
without anyone remembering it. That covers the record and its history, users (with their
password hashes), groups and their permissions, content types, and the admin's log of
actions. Left out, with the reason, is :data:`LEFT_OUT`; proxy and unmanaged models have
no table of their own to back up.

Rows are keyed in one of three ways (:class:`Keying`), derived from the models:

- *matched*: rows a freshly migrated database makes for itself, with ids that differ
  between databases (content types, permissions, the groups of migration 0002). They are
  matched by natural key on restore and foreign keys to them are remapped. Every model
  with a natural key is matched, except the user model: users are people, and a database
  that already has some is not a fresh one.
- *replaced*: links between matched rows (a group's permissions). A restore replaces the
  links the migrations made with the backup's.
- *kept*: everything else, the record first of all. Rows keep their primary keys, and the
  database restored into must have none.

The file is gzip-compressed JSON Lines, written and read one row at a time:

1. a header: ``format``, ``format_version``, ``created_at``, ``made_by``, ``database``,
   ``migrations`` (the latest applied migration of each app) and ``tables``, a list of
   ``{"model", "table", "keying", "columns", "rows"}`` in dependency order;
2. for each table in that order, a line ``{"table": <model>, "rows": <count>}``, then one
   JSON array per row holding the ``columns`` in order (dates, times and durations in
   ISO 8601, binary data in base64); a matched table's rows end with one more item, the
   row's natural key;
3. the release files the header lists under ``files`` (``tracker.backup_files``), each
   with its checksum, verified when written and again when restored;
4. a last line ``{"end": <rows in all>}``.

The header also holds ``last_ids``: the last id each table's sequence handed out. A
restore goes on numbering from there, not from the highest id left in the table, so that a
record deleted at the top never gives its id to a new one: django-simple-history finds a
record's history by its id, and the new record would inherit the deleted one's history.
"""

import base64
import contextlib
import datetime
import gzip
import importlib.metadata
import json
import os
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, router, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.duration import duration_iso_string
from django.utils.translation import gettext as _

from .backup_files import listed_files, write_files

FORMAT = "peace-tracker-backup"
FORMAT_VERSION = 2
#: Formats a restore reads: 1 had no release files (``tracker.backup_files``).
READS = (1, 2)
SUFFIX = ".jsonl.gz"
#: Rows read or written at a time: memory stays the same however large the record grows.
CHUNK = 2000

#: Installed models whose rows are not backed up, with the reason.
LEFT_OUT = {
    "sessions.session": (
        "logins in progress: they expire anyway, a restore must not log anyone back in, "
        "and they are signed with the secret key of the server that made them"
    ),
    **dict.fromkeys(
        [
            "axes.accessattempt",
            "axes.accessattemptexpiration",
            "axes.accessfailurelog",
            "axes.accesslog",
        ],
        "login attempts and lockouts (django-axes): visitors' addresses, kept for the "
        "lockout only; a restore must neither lock anyone out nor carry them elsewhere",
    ),
}


class BackupError(Exception):
    """A backup or restore was refused; nothing was written. ``problems`` says why."""

    def __init__(self, problems):
        self.problems = [str(p) for p in problems]
        super().__init__("\n".join(self.problems))


class Keying(StrEnum):
    KEPT = "kept"
    MATCHED = "matched"
    REPLACED = "replaced"


@dataclass(frozen=True)
class Table:
    """One backed-up table: a model, and how its rows are keyed across databases."""

    model: type
    keying: Keying

    @property
    def label(self):
        return self.model._meta.label_lower

    @property
    def fields(self):
        return self.model._meta.local_concrete_fields

    @property
    def columns(self):
        return [f.attname for f in self.fields]

    def rows(self, using):
        return self.model._base_manager.using(using).order_by("pk")


# What is backed up -------------------------------------------------------------------------


def backed_up_models(using=DEFAULT_DB_ALIAS):
    """Every installed model with a table of its own in this database, but :data:`LEFT_OUT`."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy
        and model._meta.managed
        and model._meta.label_lower not in LEFT_OUT
        and router.allow_migrate_model(using, model)
    ]


def tables(using=DEFAULT_DB_ALIAS):
    """The backed-up tables, each after the tables its foreign keys point to."""
    ordered = in_dependency_order(backed_up_models(using))
    user_model = get_user_model()
    matched = {
        model
        for model in ordered
        if hasattr(model, "natural_key")
        and hasattr(model._default_manager, "get_by_natural_key")
        and model is not user_model
    }
    return [Table(model, _keying(model, matched)) for model in ordered]


def _keying(model, matched):
    if model in matched:
        return Keying.MATCHED
    targets = {f.related_model for f in model._meta.local_concrete_fields if f.is_relation}
    if model._meta.auto_created and targets and targets <= matched:
        return Keying.REPLACED
    return Keying.KEPT


def in_dependency_order(unordered):
    """The models sorted so that each comes after the models its foreign keys point to.

    Ties keep the order of labels; a cycle (none so far) is broken at its first label.
    """
    remaining = sorted(unordered, key=lambda m: m._meta.label_lower)
    wanted = set(remaining)
    needs = {
        model: {
            f.related_model
            for f in model._meta.local_concrete_fields
            if f.is_relation and f.related_model is not model and f.related_model in wanted
        }
        for model in remaining
    }
    ordered, placed = [], set()
    while remaining:
        ready = [m for m in remaining if needs[m] <= placed] or remaining[:1]
        for model in ready:
            ordered.append(model)
            placed.add(model)
            remaining.remove(model)
    return ordered


def migration_state(using=DEFAULT_DB_ALIAS):
    """The latest applied migration of each app, as ``{app_label: name}``."""
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    depth = {}
    for key in loader.applied_migrations:
        if key in loader.graph.nodes:
            depth[key] = len(loader.graph.forwards_plan(key))
    latest = {}
    for app_label, name in sorted(depth, key=depth.get):
        latest[app_label] = name
    return dict(sorted(latest.items()))


# Values in the file ------------------------------------------------------------------------


def encode(value):
    """JSON for the values a database returns that JSON has no type for."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"Cannot write {type(value).__name__} to a backup")


def line(item):
    return (
        json.dumps(item, default=encode, ensure_ascii=False, separators=(",", ":")) + "\n"
    ).encode()


def natural_key_text(key):
    """One text for a natural key, the same whether read from a row or from a file."""
    return json.dumps(list(key), default=encode, ensure_ascii=False)


# Writing -----------------------------------------------------------------------------------


@dataclass
class BackupSummary:
    path: Path
    counts: dict = field(default_factory=dict)

    @property
    def total(self):
        return sum(self.counts.values())

    def lines(self):
        for label, count in self.counts.items():
            yield f"{label}: {count}"


def backup_path(output, now):
    """The file to write: ``output`` itself, or a dated file in it if it is a directory."""
    output = Path(output)
    if output.is_dir():
        output = output / f"tracker-backup-{now:%Y-%m-%dT%H%M%SZ}{SUFFIX}"
    if not output.parent.is_dir():
        raise BackupError([_("No such directory: %(path)s") % {"path": output.parent}])
    if output.exists():
        raise BackupError(
            [_("%(path)s already exists; a backup never overwrites a file.") % {"path": output}]
        )
    return output


def write_backup(*, output, using=DEFAULT_DB_ALIAS, now=None):
    """Write every backed-up table to one new file, readable only by its owner (mode 0600).

    ``output`` is a directory (the file gets a dated name) or the file's path. All tables
    are read in one transaction, so the file is a consistent snapshot of the record even
    while editors work; rows are streamed, so memory does not grow with the record.
    """
    now = (now or timezone.now()).astimezone(datetime.UTC)
    path = backup_path(output, now)
    walked = tables(using)
    summary = BackupSummary(path=path)
    try:
        with _private_file(path) as handle, snapshot(using):
            summary.counts = {t.label: t.rows(using).count() for t in walked}
            header = _header(walked, summary.counts, using, now)
            handle.write(line(header))
            for table in walked:
                _write_table(handle, table, summary.counts[table.label], using)
            write_files(handle, header["files"], line, _refuse)
            handle.write(line({"end": summary.total}))
    except DatabaseError as error:
        raise BackupError(
            [_("Cannot read the database (is it migrated?): %(error)s") % {"error": error}]
        ) from None
    return summary


def _write_table(handle, table, count, using):
    handle.write(line({"table": table.label, "rows": count}))
    written = 0
    for row in _read_rows(table, using):
        handle.write(line(row))
        written += 1
    if written != count:
        raise BackupError([_("%(table)s changed while it was read.") % {"table": table.label}])


def _header(walked, counts, using, now):
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": now.isoformat().replace("+00:00", "Z"),
        "made_by": f"peace-tracker {importlib.metadata.version('peace-tracker')}",
        "database": connections[using].vendor,
        "migrations": migration_state(using),
        "last_ids": last_ids(walked, using),
        "files": listed_files(using),
        "tables": [
            {
                "model": t.label,
                "table": t.model._meta.db_table,
                "keying": str(t.keying),
                "columns": t.columns,
                "rows": counts[t.label],
            }
            for t in walked
        ],
    }


def _refuse(problem):
    raise BackupError([problem])


def _read_rows(table, using):
    if table.keying == Keying.MATCHED:
        columns = table.columns
        for obj in table.rows(using).select_related().iterator(chunk_size=CHUNK):
            yield [getattr(obj, c) for c in columns] + [list(obj.natural_key())]
    else:
        yield from table.rows(using).values_list(*table.columns).iterator(chunk_size=CHUNK)


@contextlib.contextmanager
def snapshot(using):
    """One transaction in which every table is read as of the same moment.

    PostgreSQL needs REPEATABLE READ for that (its default shows each query the rows
    committed before it started); SQLite's read transaction is a snapshot already.
    """
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


@contextlib.contextmanager
def _private_file(path):
    """A gzip stream to a new file created with mode 0600, renamed into place when complete.

    The file is created with its final permissions (never widened, then narrowed); an
    interrupted backup leaves no file behind.
    """
    partial = path.with_name(f".{path.name}.partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(
            [
                _("%(path)s exists: another backup is being written, or one was interrupted.")
                % {"path": partial}
            ]
        ) from None
    try:
        with os.fdopen(descriptor, "wb") as raw:
            with gzip.GzipFile(filename=path.name, mode="wb", fileobj=raw) as handle:
                yield handle
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


# Id sequences ------------------------------------------------------------------------------


def last_ids(walked, using):
    """``{table: the last id its sequence handed out}``, for tables numbered by the database."""
    connection = connections[using]
    found = {}
    with connection.cursor() as cursor:
        for table in walked:
            if isinstance(table.model._meta.pk, models.AutoField):
                last = last_id(cursor, table.model)
                if last:
                    found[table.label] = last
    return found


def last_id(cursor, model):
    """The last id handed out for ``model``'s rows (None or 0 where none was, or where the
    database keeps no count)."""
    vendor = cursor.db.vendor
    if vendor == "postgresql":
        sequence = _sequence(cursor, model)
        if sequence is None:
            return None
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
        value, called = cursor.fetchone()
        return value if called else None
    if vendor == "sqlite":
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [model._meta.db_table])
        row = cursor.fetchone()
        return row[0] if row else None
    return None


def continue_ids(cursor, model, last):
    """Make the database hand out ids after ``last`` for ``model``'s new rows."""
    current = last_id(cursor, model)
    if current is not None and current >= last:
        return
    if cursor.db.vendor == "postgresql":
        cursor.execute("SELECT setval(%s, %s, true)", [_sequence(cursor, model), last])
    elif cursor.db.vendor == "sqlite":
        table = model._meta.db_table
        cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last, table])
        if not cursor.rowcount:
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last])


def _sequence(cursor, model):
    quote = cursor.db.ops.quote_name
    cursor.execute(
        "SELECT pg_get_serial_sequence(%s, %s)",
        [quote(model._meta.db_table), model._meta.pk.column],
    )
    return cursor.fetchone()[0]
