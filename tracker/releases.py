"""Cutting and withdrawing releases: citable, fixed copies of the published record.

A release is the four CSV files of the whole published record (``tracker.csv_export``,
the FilterSet with no filter), and ``datapackage.json`` (``columns.data_package`` plus the
version, date, licence, sources, each file's size and sha256, and the changes since the
previous release). Files go through ``STORAGES["releases"]`` (``tracker.release_storage``)
once and never change; a withdrawn release keeps its files and is listed as withdrawn.

Versions are ``YYYY.MM.DD`` of the day (UTC) a release is cut, and ``YYYY.MM.DD.2``,
``.3``… for later releases the same day. A cut whose four CSV files are byte for byte
those of the previous release is refused: a new version must hold something new. The
files are read from one snapshot of the record, and the release is then recorded in a
short write (:func:`cut_release`).

The changes are counted against the previous release (withdrawn or not): events added
and changed (by slug, with the columns or files that changed), and the number of events
no longer public. Those are never named: a withdrawn event's title, slug and address
appear in no release cut after it left the public record.

The admin (``tracker.admin_releases``) and ``manage.py release`` call the same two
functions, :func:`cut_release` and :func:`withdraw_release`.
"""

import contextlib
import csv
import datetime
import hashlib
import io
import json
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import licence
from .backup import snapshot
from .columns import TABLES, data_package
from .csv_export import csv_lines
from .filters import filter_events
from .models import RecordVersion, Release, ReleaseEntry

DATAPACKAGE = "datapackage.json"
MEDIA_TYPES = {".csv": "text/csv; charset=utf-8", ".json": "application/json"}
CUT_PERMISSION = "tracker.add_release"
WITHDRAW_PERMISSION = "tracker.change_release"


class ReleaseRefused(Exception):
    """A cut or a withdrawal that was not made; the message says why."""


def storage():
    return storages["releases"]


def path_of(version, name):
    return f"{version}/{name}"


def media_type(name):
    return MEDIA_TYPES[name[name.rindex(".") :]]


# Versions ----------------------------------------------------------------------------------


def next_version(day, taken):
    """The version of a release cut on ``day``, given the versions ``taken`` that day."""
    base = day.strftime("%Y.%m.%d")
    if base not in taken:
        return base
    number = 2
    while f"{base}.{number}" in taken:
        number += 1
    return f"{base}.{number}"


# Files -------------------------------------------------------------------------------------


@dataclass
class Written:
    """One file of a release, in a temporary file until it is stored."""

    name: str
    handle: object
    size: int
    sha256: str

    def listed(self):
        return {
            "name": self.name,
            "bytes": self.size,
            "sha256": self.sha256,
            "mediatype": media_type(self.name),
        }


def spool(name, pieces):
    """``pieces`` of text written, as UTF-8, to a temporary file, hashed on the way."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed by cut_release, stored or not)
    digest, size = hashlib.sha256(), 0
    for piece in pieces:
        data = piece.encode()
        digest.update(data)
        size += len(data)
        handle.write(data)
    handle.seek(0)
    return Written(name=name, handle=handle, size=size, sha256=digest.hexdigest())


def csv_files():
    """The four CSV files of the whole published record, as the export writes them."""
    _filterset, events = filter_events(QueryDict())
    base_url = settings.TRACKER_BASE_URL.rstrip("/")
    return [
        spool(f"{table.name}.csv", csv_lines(table, events, base_url=base_url))
        for table in TABLES.values()
    ]


# Changes -----------------------------------------------------------------------------------


@contextlib.contextmanager
def stored_text(release, name):
    """A stored file of ``release``, as text for ``csv.reader``."""
    with storage().open(path_of(release.version, name), "rb") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        try:
            yield text
        finally:
            text.detach()


@contextlib.contextmanager
def new_text(written):
    """A file about to be stored, as text for ``csv.reader``; left at its start."""
    written.handle.seek(0)
    text = io.TextIOWrapper(written.handle, encoding="utf-8", newline="")
    try:
        yield text
    finally:
        text.detach()
        written.handle.seek(0)


def digests(table, text):
    """``{event slug: sha256 of its rows}`` of one table's file, read a row at a time (so
    that memory holds one digest per event, not the file)."""
    reader = csv.reader(text)
    at = next(reader).index(table.key[0])
    found = {}
    for row in reader:
        found.setdefault(row[at], hashlib.sha256()).update(json.dumps(row).encode())
    return {slug: digest.hexdigest() for slug, digest in found.items()}


def rows_named(text, slugs):
    """``{slug: row as a dict}`` of the events.csv rows of ``slugs`` only."""
    return {row["slug"]: row for row in csv.DictReader(text) if row["slug"] in slugs}


class Side:
    """One release's files (stored, or about to be), read for the changes."""

    def __init__(self, opener):
        self.opener = opener
        self.digests = {}
        for table in TABLES.values():
            with opener(f"{table.name}.csv") as text:
                self.digests[table.name] = digests(table, text)

    def event_rows(self, slugs):
        with self.opener("events.csv") as text:
            return rows_named(text, slugs)


def changes_since(previous, entries, files):
    """The changes from ``previous`` (a Release, or None) to a release of ``entries``
    (``{event id: slug}``, in export order) made of ``files``: events added, events changed
    (by slug, with the events.csv columns and the other files that changed for them), and
    how many are no longer public (never named)."""
    if previous is None:  # the first release: every event is new, and none is listed
        return {"previous": None, "added": [], "changed": [], "withdrawn": 0}
    slugs_then = dict(previous.entries.values_list("event_pk", "slug"))
    by_name = {written.name: written for written in files}
    before = Side(lambda name: stored_text(previous, name))
    after = Side(lambda name: new_text(by_name[name]))
    kept = [(slugs_then[pk], slug) for pk, slug in entries.items() if pk in slugs_then]
    parts = {
        slug: [
            f"{name}.csv"
            for name in TABLES
            if before.digests[name].get(old) != after.digests[name].get(slug)
        ]
        for old, slug in kept
    }
    _name_columns(parts, kept, before, after)
    return {
        "previous": previous.version,
        "added": [slug for pk, slug in entries.items() if pk not in slugs_then],
        "changed": [{"slug": slug, "columns": parts[slug]} for _old, slug in kept if parts[slug]],
        "withdrawn": len(slugs_then.keys() - entries.keys()),
    }


def _name_columns(parts, kept, before, after):
    """Replace ``events.csv`` in ``parts`` by the names of the columns that changed."""
    rows_changed = [(old, slug) for old, slug in kept if "events.csv" in parts[slug]]
    if not rows_changed:
        return
    old_rows = before.event_rows({old for old, _slug in rows_changed})
    new_rows = after.event_rows({slug for _old, slug in rows_changed})
    for old, slug in rows_changed:
        then, now = old_rows[old], new_rows[slug]
        columns = [name for name in now if then.get(name) != now[name]]
        parts[slug] = columns + [p for p in parts[slug] if p != "events.csv"]


def summary_lines(changes):
    """The changes in words, for the command's output and the admin's message."""
    if not changes["previous"]:
        return [_("The first release: every event in it is new.")]
    lines = [_("Since release %(version)s:") % {"version": changes["previous"]}]
    lines.append(
        ngettext("%(count)d event added", "%(count)d events added", len(changes["added"]))
        % {"count": len(changes["added"])}
    )
    lines.append(
        ngettext("%(count)d event changed", "%(count)d events changed", len(changes["changed"]))
        % {"count": len(changes["changed"])}
    )
    lines.append(
        ngettext(
            "%(count)d event was withdrawn", "%(count)d events were withdrawn", changes["withdrawn"]
        )
        % {"count": changes["withdrawn"]}
    )
    return lines


# The data package --------------------------------------------------------------------------


def release_package(version, cut_at, files, changes):
    """``datapackage.json`` of a release: the export's descriptor, fixed to this release."""
    base_url = settings.TRACKER_BASE_URL.rstrip("/")
    package = data_package()
    by_name = {written.name: written for written in files}
    for resource in package["resources"]:
        written = by_name[resource["path"]]
        resource["bytes"] = written.size
        resource["hash"] = f"sha256:{written.sha256}"
    package.update(
        version=version,
        created=cut_at.isoformat().replace("+00:00", "Z"),
        homepage=f"{base_url}/data/releases/{version}/",
        licenses=licence.frictionless(),
        attribution=licence.attribution(base_url),
        citation=release_citation_text(version, cut_at.date(), base_url),
        sources=[{"title": licence.TRACKER_TITLE, "path": f"{base_url}/"}],
        changes=changes,
    )
    text = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    return spool(DATAPACKAGE, [text])


def release_citation_text(version, day, base_url):
    """The release's citation, in English as files carry it."""
    return (
        f"{licence.TRACKER_TITLE}, release {version} ({day.isoformat()}). "
        f"{base_url}/data/releases/{version}/. {licence.SHORT}."
    )


def event_citation(event, url):
    """An event page's citation line (``event.latest_release`` from
    ``EventQuerySet.with_latest_release``), in the reader's language."""
    line = _("%(title)s. In: %(tracker)s. %(url)s. Accessed %(date)s.") % {
        "title": event.title,
        "tracker": _("Peace negotiation tracker"),
        "url": url,
        "date": timezone.localdate().isoformat(),
    }
    if event.latest_release:
        line += " " + _("Latest release containing it: %(version)s.") % {
            "version": event.latest_release
        }
    return line


# Cutting and withdrawing -------------------------------------------------------------------


def check_permission(user, permission):
    if user is None or not user.is_active or not user.has_perm(permission):
        raise PermissionDenied(
            _("Only publishers may cut or withdraw releases (permission %(name)s).")
            % {"name": permission}
        )


@dataclass
class Plan:
    """A release as read from one snapshot of the record, before anything is written."""

    files: list
    entries: dict
    previous: object
    changes: dict


def cut_release(*, by, now=None):
    """Cut a release of the published record as it stands, and return it.

    Two steps. The files are read from one snapshot of the record (``backup.snapshot``:
    on PostgreSQL a repeatable-read, read-only transaction, so editors keep saving while
    a large record is read); then, as a write (queued behind other writes, briefly), the
    release is recorded, its files stored and the record-wide version moved (pages cite
    the new release). Refused, with nothing written, when ``by`` may not publish, when
    nothing changed, or when another release was cut in between.
    """
    check_permission(by, CUT_PERMISSION)
    now = now or timezone.now()
    with contextlib.ExitStack() as temporary:
        with snapshot(DEFAULT_DB_ALIAS):
            plan = _plan()
        for written in plan.files:
            temporary.callback(written.handle.close)
        with transaction.atomic():
            RecordVersion.queue_write()
            return _record(plan, by, now)


def _plan():
    files = csv_files()
    try:
        entries = dict(_published_entries())
        if not entries:
            raise ReleaseRefused(_("There is no published event to release."))
        previous = Release.objects.newest_first().first()
        _refuse_unchanged(previous, files)
        return Plan(files, entries, previous, changes_since(previous, entries, files))
    except BaseException:
        for written in files:
            written.handle.close()
        raise


def _record(plan, by, now):
    latest = Release.objects.newest_first().first()
    if latest != plan.previous:
        raise ReleaseRefused(
            _("Release %(version)s was cut meanwhile; cut again if something is still new.")
            % {"version": latest.version}
        )
    day = now.astimezone(datetime.UTC).date()
    version = next_version(day, set(Release.objects.values_list("version", flat=True)))
    files = [*plan.files, release_package(version, now, plan.files, plan.changes)]
    release = Release.objects.create(
        version=version,
        cut_at=now,
        cut_by=by,
        files=[written.listed() for written in files],
        changes=plan.changes,
        event_count=len(plan.entries),
    )
    ReleaseEntry.objects.bulk_create(
        ReleaseEntry(release=release, event_pk=pk, slug=slug) for pk, slug in plan.entries.items()
    )
    RecordVersion.bump(Release)
    try:
        _store(version, files)
    finally:
        files[-1].handle.close()
    return release


def _published_entries():
    """``(id, slug)`` of every published event, in export order."""
    _filterset, events = filter_events(QueryDict())
    return events.chronological().values_list("pk", "slug")


def _refuse_unchanged(previous, files):
    if previous is None:
        return
    if all(previous.file(w.name) and previous.file(w.name)["sha256"] == w.sha256 for w in files):
        raise ReleaseRefused(
            _("Nothing has changed since release %(version)s; no release was cut.")
            % {"version": previous.version}
        )


def _store(version, files):
    """Save the files once each; on any failure remove those saved (the transaction
    around it is rolled back, so no release names them)."""
    saved = []
    try:
        for written in files:
            saved.append(storage().save(path_of(version, written.name), File(written.handle)))
    except BaseException:
        for name in saved:
            storage().delete(name)
        raise


def withdraw_release(*, release, reason, by, now=None):
    """Mark ``release`` withdrawn, with the ``reason`` shown publicly; its files stay."""
    check_permission(by, WITHDRAW_PERMISSION)
    reason = (reason or "").strip()
    if not reason:
        raise ReleaseRefused(_("Say why the release is withdrawn; readers are shown the reason."))
    with transaction.atomic():
        RecordVersion.queue_write()
        release = Release.objects.select_for_update().get(pk=release.pk)
        if release.is_withdrawn:
            raise ReleaseRefused(
                _("Release %(version)s was already withdrawn.") % {"version": release.version}
            )
        release.withdrawn_at = now or timezone.now()
        release.withdrawn_by = by
        release.withdrawn_reason = reason
        release.full_clean()
        release.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
        RecordVersion.bump(Release)
    return release
