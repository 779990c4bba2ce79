"""Release files in a backup (format 2): their bytes, and the checksums that prove them.

The header lists every file the releases name (``"files"``: storage, name, bytes,
sha256, read from the :class:`~tracker.models.Release` rows in the backup's snapshot).
After the last table, each file follows in that order: a line ``{"file": <name>,
"chunks": <n>}``, then ``n`` lines each holding a JSON string, the base64 of up to
:data:`CHUNK_BYTES` bytes, so that memory stays flat however large a file is.

A backup refuses a stored file whose bytes do not match its checksum; a restore refuses
(naming the file, writing nothing) a file whose bytes do not match the header's
checksum or the restored release's, and a file already in the storage with other bytes.
"""

import base64
import hashlib
import math
import tempfile

from django.core.files import File
from django.core.files.storage import storages
from django.utils.translation import gettext as _

from .models import Release

STORAGE = "releases"
CHUNK_BYTES = 512 * 1024


def listed_files(using):
    """Every file the releases name, with its size and sha256, in a fixed order."""
    return [
        {"storage": STORAGE, "name": f"{release.version}/{f['name']}", **_proof(f)}
        for release in Release.objects.using(using).order_by("pk")
        for f in release.files
    ]


def _proof(listed):
    return {"bytes": listed["bytes"], "sha256": listed["sha256"]}


def mismatch(name, found, expected):
    return _(
        "Release file %(name)s does not match its checksum: %(found)s, where %(expected)s "
        "was recorded."
    ) % {"name": name, "found": found, "expected": expected}


# Writing -----------------------------------------------------------------------------------


def write_files(handle, files, line, refuse):
    """Each listed file, in chunks after its marker line; ``refuse(problem)`` on a file
    whose stored bytes no longer match their checksum."""
    for entry in files:
        handle.write(line({"file": entry["name"], "chunks": _chunks(entry["bytes"])}))
        digest, size = hashlib.sha256(), 0
        with storages[entry["storage"]].open(entry["name"], "rb") as stored:
            while chunk := stored.read(CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
                handle.write(line(base64.b64encode(chunk).decode("ascii")))
        if (size, digest.hexdigest()) != (entry["bytes"], entry["sha256"]):
            refuse(mismatch(entry["name"], digest.hexdigest(), entry["sha256"]))


def _chunks(size):
    return math.ceil(size / CHUNK_BYTES)


# Restoring ---------------------------------------------------------------------------------


def restore_files(reader, files, using, refuse):
    """Read each file after the tables, check it, and save it to its storage. Returns
    ``[(storage, name)]`` written, for :func:`remove` should the restore fail later."""
    recorded = {f["name"]: f for f in listed_files(using)}
    written = []
    try:
        for entry in files:
            name = entry["name"]
            if _proof(recorded.get(name, {"bytes": None, "sha256": None})) != _proof(entry):
                refuse(
                    _("Release file %(name)s: the backup's checksum is not its release's.")
                    % {"name": name}
                )
            with tempfile.TemporaryFile() as copy:
                digest = _read_file(reader, entry, copy)
                if digest != entry["sha256"]:
                    refuse(mismatch(name, digest, entry["sha256"]))
                if _save(entry, copy, refuse):
                    written.append((entry["storage"], name))
    except BaseException:
        remove(written)
        raise
    return written


def _read_file(reader, entry, copy):
    """The file's chunks from the backup into ``copy``; returns their sha256."""
    count = _chunks(entry["bytes"])
    if reader.next() != {"file": entry["name"], "chunks": count}:
        raise reader.damaged(_("expected release file %(name)s") % {"name": entry["name"]})
    digest = hashlib.sha256()
    for _i in range(count):
        text = reader.next()
        try:
            chunk = base64.b64decode(text, validate=True)
        except (TypeError, ValueError):
            raise reader.damaged(
                _("release file %(name)s is damaged") % {"name": entry["name"]}
            ) from None
        digest.update(chunk)
        copy.write(chunk)
    copy.seek(0)
    return digest.hexdigest()


def _save(entry, copy, refuse):
    """Save ``copy`` unless the storage holds the same bytes already (True if saved)."""
    storage = storages[entry["storage"]]
    if not storage.exists(entry["name"]):
        storage.save(entry["name"], File(copy))
        return True
    digest = hashlib.sha256()
    with storage.open(entry["name"], "rb") as stored:
        while chunk := stored.read(CHUNK_BYTES):
            digest.update(chunk)
    if digest.hexdigest() != entry["sha256"]:
        refuse(
            _("Release file %(name)s is in the storage already, with other bytes; move it away.")
            % {"name": entry["name"]}
        )
    return False


def remove(written):
    for storage, name in written:
        storages[storage].delete(name)
