"""Long CSV exports take turns, so that they never take every worker from readers.

An export expected to exceed ``TRACKER_LONG_EXPORT_ROWS`` rows (one COUNT query decides)
must hold one of ``TRACKER_LONG_EXPORTS`` slots for as long as it streams; when every
slot is taken the next one is answered 503 with ``Retry-After``. The bound is per
server, across all its workers: a slot is an exclusive ``flock`` on one of N files in
``TRACKER_EXPORT_SLOTS_DIR``. The kernel releases the lock when the stream ends, when
the reader goes away, and when a worker dies mid-export, so a slot is never lost (a
counter in Redis would stay taken after a crash until some timeout).
"""

import fcntl
import os
from pathlib import Path

from django.conf import settings

from .models import Event


class ExportsBusy(Exception):
    """Every slot for long exports is taken."""

    def __init__(self):
        super().__init__("every long-export slot is taken")
        self.retry_after = settings.TRACKER_EXPORT_RETRY_SECONDS


def expected_rows(table, events):
    """How many rows ``table`` would have for ``events``, in one COUNT query."""
    if table.model is Event:
        return events.count()
    event_field = table.key[0]
    return table.model.objects.filter(**{f"{event_field}__in": events}).count()


class Slot:
    """One held slot; ``release()`` gives it back (closing the file drops the lock)."""

    def __init__(self, descriptor):
        self.descriptor = descriptor

    def release(self):
        if self.descriptor is not None:
            os.close(self.descriptor)
            self.descriptor = None

    def holding(self, pieces):
        """``pieces`` streamed while this slot is held; released at the end, or when
        the stream is closed early (the reader went away)."""
        try:
            yield from pieces
        finally:
            self.release()


def take_slot():
    """A free slot of this server, or ``ExportsBusy``."""
    folder = Path(settings.TRACKER_EXPORT_SLOTS_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for number in range(settings.TRACKER_LONG_EXPORTS):
        descriptor = os.open(folder / f"slot-{number}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        return Slot(descriptor)
    raise ExportsBusy


def slot_for(table, events):
    """A slot if this export is long (None if it is not); ``ExportsBusy`` if none is free."""
    if expected_rows(table, events) <= settings.TRACKER_LONG_EXPORT_ROWS:
        return None
    return take_slot()
