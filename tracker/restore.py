"""Restoring a backup written by :mod:`tracker.backup` into a freshly migrated database.

The steps: read the header; check that the backup fits this database (the same tables and
columns, the same migration state) and that the database holds no record yet; then, in
one transaction, write every table in dependency order, check that each holds exactly the
backup's rows and that every foreign key points somewhere, and move the id sequences past
the restored rows so that new saves work. Any problem stops the restore before it
commits, so a database is either restored in full or left as it was.

Rows are written as they are in the file, without ``save()``: no signal fires, so
django-simple-history records nothing and the history tables hold the backup's rows and no
others.
"""

import contextlib
import gzip
import itertools
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .backup import (
    CHUNK,
    FORMAT,
    READS,
    BackupError,
    Keying,
    continue_ids,
    migration_state,
    natural_key_text,
    tables,
)
from .backup_files import remove, restore_files
from .models import Event


@dataclass
class TableResult:
    rows: int = 0
    matched: int = 0
    added: int = 0
    updated: int = 0
    removed: list = field(default_factory=list)
    replaced: int = 0

    def describe(self):
        parts = []
        if self.matched:
            parts.append(_("%(n)d matched by natural key") % {"n": self.matched})
        if self.added and (self.matched or self.removed):
            parts.append(_("%(n)d added") % {"n": self.added})
        if self.updated:
            parts.append(_("%(n)d updated") % {"n": self.updated})
        if self.removed:
            parts.append(
                _("%(n)d made by the migrations and not in the backup removed: %(keys)s")
                % {"n": len(self.removed), "keys": "; ".join(self.removed)}
            )
        if self.replaced:
            parts.append(_("replacing %(n)d made by the migrations") % {"n": self.replaced})
        return f" ({', '.join(parts)})" if parts else ""


@dataclass
class RestoreReport:
    path: Path
    results: dict = field(default_factory=dict)
    files: int = 0  # release files, each checked against its checksum

    @property
    def total(self):
        return sum(result.rows for result in self.results.values())

    def lines(self):
        for label, result in self.results.items():
            rows = ngettext("%(n)d row", "%(n)d rows", result.rows) % {"n": result.rows}
            yield f"{label}: {rows}{result.describe()}"


def restore_backup(*, path, using=DEFAULT_DB_ALIAS):
    """Load the backup at ``path`` into ``using``, a freshly migrated database.

    Refuses, writing nothing, a file that is not a complete backup, a backup from another
    migration state or with other tables, and a database that already holds a record.
    """
    walked = {table.label: table for table in tables(using)}
    report = RestoreReport(path=Path(path))
    with BackupReader.open(path) as reader:
        header = reader.header()
        _check_fits(header, list(walked.values()), using)
        with transaction.atomic(using=using):
            _check_fresh(walked.values(), using)
            remap = {}
            for entry in header["tables"]:
                table = walked[entry["model"]]
                rows = reader.rows(entry, _decoder(table, remap))
                report.results[table.label] = _restore_table(table, rows, remap, using)
            files = restore_files(reader, header.get("files", []), using, _refuse)
            try:
                reader.end(report.total)
                _check_counts(header, walked, using)
                _check_constraints(walked.values(), using)
                _reset_sequences(walked, header["last_ids"], using)
                # What events derive (sort date, search text) follows the restored rows.
                Event.objects.using(using).refresh_derived()
            except BaseException:
                remove(files)
                raise
            report.files = len(header.get("files", []))
    _clear_caches()
    return report


# Reading -----------------------------------------------------------------------------------


class BackupReader:
    """A backup's lines, one at a time; damage is reported with the line where it is."""

    def __init__(self, path, handle):
        self.path = path
        self.handle = handle
        self.number = 0

    @classmethod
    @contextlib.contextmanager
    def open(cls, path):
        with contextlib.ExitStack() as stack:
            try:
                handle = stack.enter_context(gzip.open(path, "rt", encoding="utf-8", newline="\n"))
            except OSError as error:
                raise BackupError(
                    [_("Cannot read %(path)s: %(error)s") % {"path": path, "error": error}]
                ) from None
            yield cls(path, handle)

    def damaged(self, problem):
        return BackupError(
            [
                _("%(path)s, line %(line)d: %(problem)s")
                % {"path": self.path, "line": self.number, "problem": problem}
            ]
        )

    def next(self):
        try:
            text = self.handle.readline()
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
            problem = _("the file is damaged or cut short (%(error)s)") % {"error": error}
            raise self.damaged(problem) from None
        self.number += 1
        if not text:
            raise self.damaged(_("the file ends early; it is not a complete backup"))
        try:
            return json.loads(text)
        except ValueError:
            raise self.damaged(_("not valid JSON")) from None

    def header(self):
        try:
            header = self.next()
        except BackupError:
            header = None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise BackupError(
                [
                    _("%(path)s is not a tracker backup (made by manage.py backup).")
                    % {"path": self.path}
                ]
            )
        if header.get("format_version") in READS and not _well_formed(header):
            raise BackupError(
                [_("%(path)s: the backup's header is incomplete.") % {"path": self.path}]
            )
        if header.get("format_version") not in READS:
            raise BackupError(
                [
                    _(
                        "%(path)s is in backup format %(found)s; this version of the tracker "
                        "reads format %(known)s."
                    )
                    % {
                        "path": self.path,
                        "found": header.get("format_version"),
                        "known": " or ".join(str(n) for n in READS),
                    }
                ]
            )
        return header

    def rows(self, entry, decode):
        """The rows of one table, decoded; exactly as many as the header says."""
        marker = self.next()
        if marker != {"table": entry["model"], "rows": entry["rows"]}:
            raise self.damaged(
                _("expected the start of table %(table)s") % {"table": entry["model"]}
            )
        width = len(entry["columns"]) + (entry["keying"] == Keying.MATCHED)
        for _i in range(entry["rows"]):
            row = self.next()
            if not isinstance(row, list) or len(row) != width:
                raise self.damaged(
                    _("expected a row of %(table)s with %(width)d values")
                    % {"table": entry["model"], "width": width}
                )
            try:
                values = decode(row)
            except (ValidationError, ValueError, TypeError) as error:
                raise self.damaged(
                    _("a value of %(table)s cannot be read: %(error)s")
                    % {"table": entry["model"], "error": error}
                ) from None
            yield values

    def end(self, total):
        if self.next() != {"end": total}:
            raise self.damaged(_("expected the end of the backup"))
        if self.handle.readline():
            raise self.damaged(_("unexpected lines after the end of the backup"))


def _refuse(problem):
    raise BackupError([problem])


def _well_formed(header):
    entries = header.get("tables")
    files = header.get("files", [])
    return (
        isinstance(files, list)
        and all(
            isinstance(f, dict)
            and f.get("storage") == "releases"
            and isinstance(f.get("name"), str)
            and isinstance(f.get("bytes"), int)
            and isinstance(f.get("sha256"), str)
            for f in files
        )
        and isinstance(header.get("migrations"), dict)
        and isinstance(header.get("last_ids"), dict)
        and all(isinstance(n, int) and n > 0 for n in header["last_ids"].values())
        and isinstance(entries, list)
        and all(
            isinstance(entry, dict)
            and isinstance(entry.get("model"), str)
            and isinstance(entry.get("columns"), list)
            and isinstance(entry.get("rows"), int)
            and entry.get("keying") in set(Keying)
            for entry in entries
        )
        and set(header["last_ids"]) <= {entry["model"] for entry in entries}
    )


def _decoder(table, remap):
    """A function from a row of the file to ``{attname: value}``, with foreign keys to
    matched rows remapped (``remap`` fills in as matched tables are restored)."""
    fields = table.fields
    matched = table.keying == Keying.MATCHED

    def decode(row):
        values = {}
        for model_field, value in zip(fields, row, strict=False):
            if value is not None:
                value = model_field.to_python(value)
                if model_field.is_relation and model_field.related_model in remap:
                    value = remap[model_field.related_model].get(value, value)
            values[model_field.attname] = value
        if matched:
            return values, natural_key_text(row[-1])
        return values

    return decode


# Checking ----------------------------------------------------------------------------------


def _check_fits(header, walked, using):
    """The backup was made from the same migration state, with the same tables."""
    problems = [*_migration_problems(header, using), *_table_problems(header, walked)]
    if problems:
        problems.append(
            _(
                "Restore into a database migrated by the same version of the tracker that made "
                "the backup; migrate to a newer version after the restore."
            )
        )
        raise BackupError(problems)


def _migration_problems(header, using):
    ours, theirs = migration_state(using), header["migrations"]
    for app_label in sorted(set(ours) | set(theirs)):
        if ours.get(app_label) != theirs.get(app_label):
            yield _(
                "%(app)s: the backup was made at migration %(theirs)s, this database is at "
                "%(ours)s."
            ) % {
                "app": app_label,
                "theirs": theirs.get(app_label) or _("(none)"),
                "ours": ours.get(app_label) or _("(none)"),
            }


def _table_problems(header, walked):
    in_file = {entry["model"]: entry for entry in header["tables"]}
    here = {table.label: table for table in walked}
    problems = []
    for label in sorted(set(in_file) | set(here)):
        if label not in here:
            problems.append(
                _("%(table)s: in the backup, but not in this tracker.") % {"table": label}
            )
        elif label not in in_file:
            problems.append(
                _("%(table)s: in this tracker, but not in the backup.") % {"table": label}
            )
        elif in_file[label]["columns"] != here[label].columns:
            problems.append(
                _("%(table)s: the backup has columns %(theirs)s, this tracker %(ours)s.")
                % {
                    "table": label,
                    "theirs": ", ".join(in_file[label]["columns"]),
                    "ours": ", ".join(here[label].columns),
                }
            )
        elif in_file[label]["keying"] != here[label].keying:
            problems.append(
                _("%(table)s: the backup keys its rows as %(theirs)s, this tracker as %(ours)s.")
                % {"table": label, "theirs": in_file[label]["keying"], "ours": here[label].keying}
            )
    if not problems and list(in_file) != list(here):
        problems.append(_("The backup's tables are in another order than this tracker's."))
    return problems


def _check_fresh(walked, using):
    """Kept rows keep their ids, so the database must not hold any yet."""
    occupied = []
    for table in walked:
        if table.keying == Keying.KEPT:
            count = table.rows(using).count()
            if count:
                occupied.append(f"{table.label} ({count})")
    if occupied:
        raise BackupError(
            [
                _(
                    "This database already holds a record: %(tables)s. Restore only into a "
                    "freshly migrated, empty database."
                )
                % {"tables": ", ".join(occupied)}
            ]
        )


def _check_counts(header, walked, using):
    """Every table holds exactly the backup's rows: none lost, none added (no history row
    written by the restore itself)."""
    problems = []
    for entry in header["tables"]:
        count = walked[entry["model"]].rows(using).count()
        if count != entry["rows"]:
            problems.append(
                _("%(table)s holds %(count)d rows after the restore, the backup %(rows)d.")
                % {"table": entry["model"], "count": count, "rows": entry["rows"]}
            )
    if problems:
        raise BackupError(problems)


def _check_constraints(walked, using):
    connection = connections[using]
    try:
        connection.check_constraints(table_names=[t.model._meta.db_table for t in walked])
    except IntegrityError as error:
        raise BackupError(
            [_("The backup's rows do not fit together: %(error)s") % {"error": error}]
        ) from None


# Writing -----------------------------------------------------------------------------------


def _restore_kept(table, rows, remap, using):
    """Write the rows as they are, their ids included, a batch at a time."""
    model = table.model
    connection = connections[using]
    size = max(1, min(CHUNK, connection.ops.bulk_batch_size(table.fields, range(CHUNK))))
    result = TableResult()
    manager = model._base_manager.using(using)
    while batch := list(itertools.islice(rows, size)):
        manager._insert([model(**values) for values in batch], fields=table.fields, raw=True)
        result.rows += len(batch)
    return result


def _restore_replaced(table, rows, remap, using):
    """Links between matched rows: the migrations' links give way to the backup's."""
    replaced, _details = table.rows(using).delete()
    result = _restore_kept(table, rows, remap, using)
    result.replaced = replaced
    return result


def _restore_matched(table, rows, remap, using):
    """Rows the migrations made are matched by natural key and brought in line with the
    backup; the backup's other rows are added (keeping their ids where free); rows the
    migrations made that the backup does not have are removed."""
    model = table.model
    manager = model._base_manager.using(using)
    pk = model._meta.pk.attname
    wanted = {key: values for values, key in rows}
    present = {natural_key_text(obj.natural_key()): obj for obj in manager.select_related()}
    result = TableResult(rows=len(wanted))
    gone = {key: obj for key, obj in present.items() if key not in wanted}
    manager.filter(pk__in=[obj.pk for obj in gone.values()]).delete()
    result.removed = [", ".join(str(part) for part in json.loads(key)) for key in gone]
    mapping = remap.setdefault(model, {})
    for key, values in wanted.items():
        obj = present.get(key)
        if obj is not None:
            changed = {a: v for a, v in values.items() if a != pk and getattr(obj, a) != v}
            if changed:
                manager.filter(pk=obj.pk).update(**changed)
                result.updated += 1
            result.matched += 1
        else:
            free = not manager.filter(pk=values[pk]).exists()
            obj = model(**{**values, pk: values[pk] if free else None})
            obj.save_base(raw=True, force_insert=True, using=using)
            result.added += 1
        mapping[values[pk]] = obj.pk
    return result


def _restore_table(table, rows, remap, using):
    try:
        return RESTORE[table.keying](table, rows, remap, using)
    except DatabaseError as error:
        raise BackupError(
            [
                _("%(table)s: the database refused a row: %(error)s")
                % {"table": table.label, "error": error}
            ]
        ) from None


RESTORE = {
    Keying.KEPT: _restore_kept,
    Keying.REPLACED: _restore_replaced,
    Keying.MATCHED: _restore_matched,
}


def _reset_sequences(walked, last_ids, using):
    """Move each table's id sequence past its restored rows, so that new saves work, and on
    to where the backed-up database had got, so that no deleted record's id is reused."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), [t.model for t in walked.values()])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        for label, last in last_ids.items():
            continue_ids(cursor, walked[label].model, last)


def _clear_caches():
    """Content type ids may have moved; the cache of them must not outlive the restore."""
    if apps.is_installed("django.contrib.contenttypes"):
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
