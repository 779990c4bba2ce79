"""Backups and restores: what a backup holds, that it restores exactly, and what it refuses.

Most tests run in the suite's own database: they back it up, empty the record, and restore
into it. The round trip across databases runs ``manage.py`` in subprocesses against real
database files and servers, as an operator would.
"""

import base64
import gc
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tracemalloc
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.management import create_contenttypes
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from simple_history.models import HistoricalChanges

from tests import backup_drill
from tests.factories import make_full_record
from tracker.backup import LEFT_OUT, BackupError, Keying, tables, write_backup
from tracker.models import Release
from tracker.roles import sync_roles

BASE_DIR = Path(settings.BASE_DIR)


def read_backup(path):
    """The file as the format describes it: header, then {table: rows}, then the end line."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle]
    header, *body, end = lines
    rows, current = {}, None
    for item in body:
        if isinstance(item, dict):
            current = rows.setdefault(item.get("table") or f"file {item['file']}", [])
        else:
            current.append(item)
    return header, rows, end


def rewrite_backup(source, target, change):
    """A copy of a backup with ``change(lines)`` applied to its parsed lines."""
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle]
    change(lines)
    with gzip.open(target, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(line) + "\n" for line in lines)
    return target


def dump():
    out = io.StringIO()
    call_command(*backup_drill.dumpdata(), stdout=out)
    return out.getvalue()


def empty_the_record():
    """Delete every row a restore writes with its own id, as in a freshly migrated database."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in reversed(tables()):
            if table.keying == Keying.KEPT:
                cursor.execute(f"DELETE FROM {quote(table.model._meta.db_table)}")


def restore(path):
    out = io.StringIO()
    call_command("restore", str(path), stdout=out)
    return out.getvalue()


@pytest.fixture
def edited_record(db, client):
    """A record with everything in it, and history made in the admin by users in groups."""
    make_full_record()
    backup_drill.make_admin_history(client)
    client.logout()


# What a backup holds -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_backup_holds_every_table_the_app_registry_knows(tmp_path):
    header, rows, end = read_backup(write_backup(output=tmp_path).path)

    registry = {
        model._meta.label_lower: [f.attname for f in model._meta.local_concrete_fields]
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed
    }
    in_backup = {entry["model"]: entry["columns"] for entry in header["tables"]}
    assert in_backup == {label: cols for label, cols in registry.items() if label not in LEFT_OUT}
    # Logins in progress, and django-axes' record of login attempts (visitors' addresses).
    assert {label.split(".")[0] for label in LEFT_OUT} == {"sessions", "axes"}
    histories = {
        model._meta.label_lower
        for model in apps.get_models()
        if issubclass(model, HistoricalChanges)
    }
    assert len(histories) == 13  # eleven tracked models, and an outcome's parties for and against
    assert histories <= set(in_backup)
    assert list(rows) == list(in_backup)
    assert end == {"end": sum(len(r) for r in rows.values())}


@pytest.mark.django_db
def test_the_header_names_the_migration_state_and_counts_every_table(edited_record, tmp_path):
    header, rows, _end = read_backup(write_backup(output=tmp_path).path)

    assert (header["format"], header["format_version"]) == ("peace-tracker-backup", 2)
    assert header["database"] == connection.vendor
    loader = MigrationLoader(connection)
    assert header["migrations"]["tracker"] == loader.graph.leaf_nodes("tracker")[0][1]
    assert set(header["migrations"]) == {key[0] for key in loader.applied_migrations}
    for entry in header["tables"]:
        model = apps.get_model(entry["model"])
        assert entry["rows"] == len(rows[entry["model"]]) == model._base_manager.count()
    # Where the database handed out ids, a restore goes on from the last one it did.
    for label, last in header["last_ids"].items():
        ids = apps.get_model(label)._base_manager.values_list("pk", flat=True)
        assert last >= max(ids, default=1), label
    assert {entry["model"]: entry["keying"] for entry in header["tables"]} == {
        t.label: str(t.keying) for t in tables()
    }


@pytest.mark.django_db
def test_no_last_id_is_written_for_tables_that_never_had_a_row(tmp_path):
    """SQLite's migrations leave a last id of 0 for some tables; PostgreSQL refuses to move
    a sequence to 0, so a backup of a record without users must not carry one."""
    header, _rows, _end = read_backup(write_backup(output=tmp_path).path)

    assert not get_user_model().objects.exists()
    assert all(last > 0 for last in header["last_ids"].values()), header["last_ids"]


@pytest.mark.django_db
def test_only_rows_that_migrations_make_are_matched_by_natural_key():
    keying = {table.label: table.keying for table in tables()}

    matched = {label for label, kind in keying.items() if kind == Keying.MATCHED}
    assert matched == {"contenttypes.contenttype", "auth.permission", "auth.group"}
    assert keying["auth.group_permissions"] == Keying.REPLACED
    assert keying["auth.user"] == keying["auth.user_groups"] == Keying.KEPT


@pytest.mark.django_db
def test_users_are_backed_up_with_their_password_hashes(edited_record, tmp_path):
    header, rows, _end = read_backup(write_backup(output=tmp_path).path)

    columns = next(e["columns"] for e in header["tables"] if e["model"] == "auth.user")
    users = {row[columns.index("username")]: row for row in rows["auth.user"]}
    olena = get_user_model().objects.get(username="olena")
    assert users["olena"][columns.index("password")] == olena.password
    assert olena.password.startswith("md5$")


# The file ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_backup_file_is_readable_by_its_owner_only(tmp_path):
    previous = os.umask(0)
    try:
        dated = write_backup(output=tmp_path).path
        named = write_backup(output=tmp_path / "named.jsonl.gz").path
    finally:
        os.umask(previous)

    assert re.fullmatch(r"tracker-backup-\d{4}-\d\d-\d\dT\d{6}Z\.jsonl\.gz", dated.name)
    for path in (dated, named):
        assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([dated.name, "named.jsonl.gz"])


@pytest.mark.django_db
def test_the_backup_command_names_its_file_and_never_overwrites_one(tmp_path):
    out = io.StringIO()
    call_command("backup", output=str(tmp_path), stdout=out)
    (path,) = tmp_path.iterdir()
    assert f"Wrote {path}: " in out.getvalue()
    before = path.read_bytes()

    with pytest.raises(CommandError, match="already exists; a backup never overwrites a file"):
        call_command("backup", output=str(path))
    with pytest.raises(CommandError, match="No such directory: .*missing"):
        call_command("backup", output=str(tmp_path / "missing" / "file.jsonl.gz"))
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


# Restoring ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_restore_brings_back_every_row_and_adds_no_history(edited_record, tmp_path):
    before = dump()
    path = write_backup(output=tmp_path).path
    header, _rows, _end = read_backup(path)
    empty_the_record()

    output = restore(path)

    assert backup_drill.differences({"before": before, "restored": dump()}) == []
    for entry in header["tables"]:
        assert apps.get_model(entry["model"])._base_manager.count() == entry["rows"], entry
    assert "tracker.historicalevent: " in output
    assert f"Restored {sum(e['rows'] for e in header['tables'])} rows" in output
    backup_drill.save_new_records()


@pytest.mark.django_db
def test_rows_whose_ids_differ_are_matched_by_natural_key(edited_record, tmp_path):
    path = write_backup(output=tmp_path).path
    before = dump()
    empty_the_record()
    # Another database: its roles, the source model's content type and permissions were
    # made in another order, and its migrations made a group the backup does not have.
    Group.objects.all().delete()
    Group.objects.create(name="Interns")
    sync_roles()
    ContentType.objects.filter(app_label="tracker", model="source").delete()
    ContentType.objects.clear_cache()
    create_contenttypes(apps.get_app_config("tracker"), verbosity=0)
    create_permissions(apps.get_app_config("tracker"), verbosity=0)
    sync_roles()
    source_permissions = set(Permission.objects.filter(codename__endswith="_source"))

    output = restore(path)

    assert backup_drill.differences({"before": before, "restored": dump()}) == []
    assert "made by the migrations and not in the backup removed: Interns" in output
    assert set(Permission.objects.filter(codename__endswith="_source")) == source_permissions
    users = get_user_model().objects
    assert users.get(username="taras").has_perm("tracker.delete_source")
    assert users.get(username="iryna").has_perm("tracker.view_event")


@pytest.mark.django_db
def test_a_restore_refuses_a_database_that_holds_a_record(edited_record, tmp_path):
    path = write_backup(output=tmp_path).path
    before = dump()

    with pytest.raises(CommandError) as refused:
        restore(path)

    message = str(refused.value)
    assert "This database already holds a record: " in message
    assert "tracker.event (1)" in message
    assert "auth.user (4)" in message
    assert dump() == before


# Release files ------------------------------------------------------------------------------


def release_files_in(path):
    """``{name: bytes}`` of the release files a backup holds."""
    _header, parts, _end = read_backup(path)
    return {
        label.removeprefix("file "): b"".join(base64.b64decode(chunk) for chunk in chunks)
        for label, chunks in parts.items()
        if label.startswith("file ")
    }


def moved_releases(settings, folder):
    """Release files in a new, empty folder from now on, as on a new server."""
    settings.STORAGES = {
        **settings.STORAGES,
        "releases": {**settings.STORAGES["releases"], "OPTIONS": {"location": str(folder)}},
    }


@pytest.mark.django_db
def test_a_backup_holds_release_files_with_their_checksums_and_restores_them(
    edited_record, tmp_path, release_files, settings
):
    release = Release.objects.get()
    path = write_backup(output=tmp_path / "backup.jsonl.gz").path
    header, _rows, _end = read_backup(path)
    assert [f["name"] for f in header["files"]] == [
        f"{release.version}/{f['name']}" for f in release.files
    ]
    held = release_files_in(path)
    for entry in header["files"]:
        original = (release_files / entry["name"]).read_bytes()
        assert held[entry["name"]] == original
        assert hashlib.sha256(original).hexdigest() == entry["sha256"]

    empty_the_record()
    moved_releases(settings, tmp_path / "new-server")
    output = restore(path)

    assert f"Release files: {len(release.files)}, each matching its checksum." in output
    for entry in header["files"]:
        restored = tmp_path / "new-server" / entry["name"]
        assert restored.read_bytes() == (release_files / entry["name"]).read_bytes()


def changed_release_file(lines):
    """One byte of a release file changed in the backup, its checksum left as it was."""
    marker = next(n for n, line in enumerate(lines) if isinstance(line, dict) and "file" in line)
    data = bytearray(base64.b64decode(lines[marker + 1]))
    data[-3] ^= 1
    lines[marker + 1] = base64.b64encode(bytes(data)).decode("ascii")
    return lines[marker]["file"]


@pytest.mark.django_db
def test_a_restore_refuses_a_release_file_that_does_not_match_its_checksum(
    edited_record, tmp_path, settings
):
    path = write_backup(output=tmp_path / "backup.jsonl.gz").path
    names = []
    damaged = rewrite_backup(
        path, tmp_path / "damaged.jsonl.gz", lambda lines: names.append(changed_release_file(lines))
    )
    empty_the_record()
    before = dump()
    moved_releases(settings, tmp_path / "new-server")

    with pytest.raises(CommandError) as refused:
        restore(damaged)

    assert f"Release file {names[0]} does not match its checksum: " in str(refused.value)
    assert dump() == before
    assert not any(p.is_file() for p in (tmp_path / "new-server").rglob("*"))


@pytest.mark.django_db
def test_a_backup_refuses_a_stored_release_file_that_changed(edited_record, tmp_path):
    release = Release.objects.get()
    stored = Path(storages["releases"].path(f"{release.version}/links.csv"))
    stored.chmod(0o644)
    stored.write_bytes(stored.read_bytes() + b"tampered\r\n")

    with pytest.raises(BackupError, match=f"Release file {release.version}/links.csv does not"):
        write_backup(output=tmp_path / "backup.jsonl.gz")
    assert list(tmp_path.iterdir()) == []


def another_migration_state(lines):
    lines[0]["migrations"]["tracker"] = "0099_from_the_future"


def another_column(lines):
    entry = next(e for e in lines[0]["tables"] if e["model"] == "tracker.event")
    entry["columns"] = [*entry["columns"], "mood"]


def another_table(lines):
    lines[0]["tables"].append(
        {"model": "tracker.rumour", "columns": ["id"], "rows": 0, "keying": "kept"}
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            another_migration_state,
            "tracker: the backup was made at migration 0099_from_the_future, this database "
            "is at {tracker}.",
        ),
        (another_column, "tracker.event: the backup has columns id, created_at, "),
        (another_table, "tracker.rumour: in the backup, but not in this tracker."),
    ],
)
def test_a_restore_refuses_a_backup_that_does_not_fit(edited_record, tmp_path, change, problem):
    path = write_backup(output=tmp_path / "backup.jsonl.gz").path
    tampered = rewrite_backup(path, tmp_path / "tampered.jsonl.gz", change)
    empty_the_record()
    tracker = MigrationLoader(connection).graph.leaf_nodes("tracker")[0][1]

    with pytest.raises(CommandError) as refused:
        restore(tampered)

    assert problem.format(tracker=tracker) in str(refused.value)
    assert "Restore into a database migrated by the same version" in str(refused.value)
    assert not apps.get_model("tracker.event").objects.exists()


def not_gzip(path, target):
    target.write_text("id,title\n1,Talks\n")


def not_a_backup(path, target):
    with gzip.open(target, "wt") as handle:
        handle.write('{"hello": "world"}\n')


def cut_short(path, target):
    data = path.read_bytes()
    target.write_bytes(data[: len(data) // 2])


def without_the_end(path, target):
    rewrite_backup(path, target, lambda lines: lines.pop())


def last_row_with_a_date(lines):
    """The last row of the last table that has rows and a date column, and that column."""
    entries = [e for e in lines[0]["tables"] if e["rows"]]
    for entry in reversed(entries):
        fields = apps.get_model(entry["model"])._meta.local_concrete_fields
        dated = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
        if dated:
            start = next(
                i
                for i, line in enumerate(lines)
                if line == {"table": entry["model"], "rows": entry["rows"]}
            )
            return lines[start + entry["rows"]], dated[0]
    raise AssertionError("no table with rows and a date")


def a_row_too_short(path, target):
    rewrite_backup(path, target, lambda lines: last_row_with_a_date(lines)[0].pop())


def a_bad_date(path, target):
    def change(lines):
        row, column = last_row_with_a_date(lines)
        row[column] = "2025-13-45T00:00:00Z"

    rewrite_backup(path, target, change)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (not_gzip, "is not a tracker backup"),
        (not_a_backup, "is not a tracker backup"),
        (cut_short, "the file is damaged or cut short"),
        (without_the_end, "the file ends early; it is not a complete backup"),
        (a_row_too_short, "expected a row of "),
        (a_bad_date, "a value of tracker.historical"),
    ],
)
def test_a_damaged_backup_restores_nothing(edited_record, tmp_path, damage, problem):
    path = write_backup(output=tmp_path / "backup.jsonl.gz").path
    damaged = tmp_path / "damaged.jsonl.gz"
    damage(path, damaged)
    empty_the_record()
    groups = sorted(Group.objects.values_list("name", "permissions"))

    with pytest.raises(CommandError, match="Nothing was restored") as refused:
        restore(damaged)

    assert problem in str(refused.value)
    assert not any(t.rows("default").exists() for t in tables() if t.keying == Keying.KEPT)
    assert sorted(Group.objects.values_list("name", "permissions")) == groups


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CommandError, match=r"Cannot read .*nowhere\.jsonl\.gz"):
        restore(tmp_path / "nowhere.jsonl.gz")


# Across databases, through manage.py -------------------------------------------------------


class Database:
    """A temporary database of one kind, reached by ``manage.py`` through DATABASE_URL,
    with a releases folder of its own (a restore writes the release files into it)."""

    def __init__(self, url, drop=None):
        self.url = url
        self.drop = drop
        self.releases = tempfile.mkdtemp(prefix="releases-")

    def start(self, *args):
        return subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env={**os.environ, "DATABASE_URL": self.url, "TRACKER_RELEASES_DIR": self.releases},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def manage(self, *args):
        finish(self.start(*args))

    def attempt(self, *args):
        """Run a command expected to fail: its exit code and what it printed."""
        process = self.start(*args)
        output, _ = process.communicate()
        return process.returncode, output

    def drill(self, code):
        """Run ``code`` with :mod:`tests.backup_drill` in ``manage.py shell``."""
        self.manage("shell", "--no-imports", "-c", f"from tests import backup_drill; {code}")


def finish(process):
    output, _ = process.communicate()
    assert process.returncode == 0, f"{' '.join(process.args[1:])}:\n{output}"


def sqlite_database(folder, name, template):
    path = folder / f"{name}.sqlite3"
    shutil.copyfile(template, path)
    return Database(f"sqlite:///{path}")


def postgresql_database(name):
    """A new database on the suite's PostgreSQL server, dropped when the test ends."""
    import psycopg

    options = connection.settings_dict
    server = {
        "host": options["HOST"],
        "port": options["PORT"] or 5432,
        "user": options["USER"],
        "password": options["PASSWORD"],
    }

    def run(sql):
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(sql)

    run(f'DROP DATABASE IF EXISTS "{name}"')
    run(f'CREATE DATABASE "{name}"')
    password = f":{server['password']}" if server["password"] else ""
    url = f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
    return Database(url, drop=lambda: run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.django_db
def test_an_unmigrated_database_is_named_not_a_traceback(tmp_path):
    backup = write_backup(output=tmp_path / "backup.jsonl.gz").path
    empty = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")

    code, output = empty.attempt("backup", "--output", str(tmp_path))
    assert code == 1
    assert "No backup was written:\n  Cannot read the database (is it migrated?): " in output
    assert "Traceback" not in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.jsonl.gz", "empty.sqlite3"]

    code, output = empty.attempt("restore", str(backup))
    assert code == 1
    assert "tracker: the backup was made at migration 0" in output
    assert ", this database is at (none)." in output
    assert "Traceback" not in output


def test_a_backup_restores_across_databases_and_back(tmp_path, migrated_sqlite):
    """SQLite → the suite's database (PostgreSQL in CI's second run) → SQLite: every table
    equal by natural key, history included, and new records save on both."""
    template = tmp_path / "migrated.sqlite3"
    if connection.vendor == "postgresql":
        middle = postgresql_database(f"{connection.settings_dict['NAME']}_{uuid.uuid4().hex[:8]}")
        migrating = middle.start("migrate", "--noinput", "-v0")
    else:
        middle, migrating = None, None
    migrated_sqlite(template)
    source = sqlite_database(tmp_path, "source", template)
    middle = middle or sqlite_database(tmp_path, "middle", template)
    last = sqlite_database(tmp_path, "last", template)
    first, second = tmp_path / "first.jsonl.gz", tmp_path / "second.jsonl.gz"
    try:
        source.manage("loadseeds", "-v0")
        source.drill(
            f"backup_drill.make_admin_history(); backup_drill.dump_to('{tmp_path}/1.json')"
        )
        source.manage("backup", "--output", str(first))
        if migrating:
            finish(migrating)
        middle.manage("restore", str(first))
        middle.manage("backup", "--output", str(second))
        restoring = last.start("restore", str(second))
        check = "backup_drill.dump_to('{}'); backup_drill.save_new_records()"
        middle.drill(check.format(tmp_path / "2.json"))
        finish(restoring)
        last.drill(check.format(tmp_path / "3.json"))

        dumps = {n: (tmp_path / f"{n}.json").read_text(encoding="utf-8") for n in (1, 2, 3)}
        assert backup_drill.differences(dumps) == []
        history = backup_drill.normalised(dumps[1])["tracker.historicalevent"]
        assert any('"history_change_reason": "Changed in the admin: title"' in r for r in history)
        assert any('"history_type": "-"' in row for row in history)
    finally:
        if middle.drop:
            middle.drop()


def sources(count):
    """``count`` sources of about a kilobyte each: memory held per row would show."""
    from tracker.models import Source

    Source.objects.bulk_create(
        Source(
            url=f"https://example.org/{n}/{'x' * 400}",
            publisher="Example",
            title=f"Report {n} {'y' * 380}",
        )
        for n in range(count)
    )


def peak_memory(function):
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.django_db
def test_memory_stays_flat_as_the_record_grows(tmp_path, monkeypatch):
    """Ten times the rows (3.6 MB more of them) add well under 1 MB to the peak: rows are
    streamed a chunk at a time (small chunks here, so that a small record spans many)."""
    monkeypatch.setattr("tracker.backup.CHUNK", 50)
    monkeypatch.setattr("tracker.restore.CHUNK", 50)
    peaks = {}
    for count in (400, 4000):
        sources(count)
        path = tmp_path / f"{count}.jsonl.gz"
        backup = peak_memory(lambda p=path: write_backup(output=p))
        empty_the_record()
        restored = peak_memory(lambda p=path: restore(p))
        empty_the_record()
        peaks[count] = (backup, restored)
    for small, large in zip(peaks[400], peaks[4000], strict=True):
        assert large - small < 1_000_000, peaks


def test_the_documented_schedule_keeps_the_newest_fourteen_files(tmp_path):
    """README's schedule (manage.py backup and pg_dump alike) prunes its folder with one
    shell line each; run as written against 20 days of files, each keeps the newest 14
    of its own kind and touches nothing else."""
    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Backups\n", 1)[1].split("\n## ", 1)[0]
    prunes = re.findall(r"^(ls -1 /var/backups/tracker/.*\| xargs -r rm --)", section, re.M)
    assert len(prunes) == 2, prunes
    days = [f"2026-11-{day:02d}T031500Z" for day in range(1, 21)]
    kinds = {"tracker-backup-{}.jsonl.gz": [], "tracker-{}.dump": []}
    for pattern, names in kinds.items():
        for day in reversed(days):  # written in any order: the names sort by date
            names.append(pattern.format(day))
            (tmp_path / names[-1]).write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a backup", encoding="utf-8")

    for line in prunes:
        subprocess.run(
            ["sh", "-c", line.replace("/var/backups/tracker", str(tmp_path))], check=True
        )

    left = sorted(p.name for p in tmp_path.iterdir())
    newest = sorted(pattern.format(day) for pattern in kinds for day in days[-14:])
    assert left == sorted([*newest, "notes.txt"])
