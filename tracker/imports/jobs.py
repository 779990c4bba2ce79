"""Large imports in the background: the preview (a dry run) and the confirmed import of an
upload of more than ``TRACKER_IMPORT_INLINE_ROWS`` rows run in a daemon thread of the app
server that took the request, which answers at once.

Everything about the job is kept on its :class:`PendingImport` row (state, rows read of
rows in all, the result), so that any app server can show how far it got. A running job
also beats a heart in the cache every app server shares (Redis in production): on SQLite
the import's transaction holds the only write lock for as long as it writes, so a
heartbeat written to the database would wait behind it. A running job not heard of for
:data:`STALE_AFTER`, in the cache or on its row, has stopped with its server;
``import_tables`` writes in one transaction, so nothing of it was written.
"""

import datetime
import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import PendingImport
from . import SHOWN, ImportRefused, import_tables, listing
from .read import RowsRead

logger = logging.getLogger(__name__)

#: How often a running job says it is alive, and how long a silence means it stopped.
HEARTBEAT_EVERY = datetime.timedelta(seconds=10)
STALE_AFTER = datetime.timedelta(seconds=60)

State = PendingImport.State
STARTS_PREVIEW = [State.INLINE, State.PREVIEWED, State.REFUSED]


def in_background(pending):
    """Whether an upload is too large to preview or import within a request."""
    return pending.rows_total > settings.TRACKER_IMPORT_INLINE_ROWS


def shown_plan(report):
    """The preview of a plan as the import page shows it, in values JSON can keep: counts
    per table, the first :data:`SHOWN` changes of each, and the ignored cells."""
    return {
        "lines": report.lines(),
        "tables": report.plan.by_table(limit=SHOWN),
        "notes": [str(note) for note in report.notes],
        "empty": report.plan.is_empty,
    }


def shown_problems(refused):
    """The problems of a refused import as the import page shows them."""
    return {
        "problems": listing(refused.problems),
        "problem_count": len(refused.problems),
        "confirmable": sorted(refused.confirmable),
    }


def start(pending, *, flags, confirm):
    """Mark the upload as previewing (or importing, with ``confirm``) and start the thread;
    False, and nothing started, where a job of this upload runs or ran (a second click, on
    this server or another): a preview starts from an upload or a preview, an import only
    from a preview."""
    pending.state = State.IMPORTING if confirm else State.PREVIEWING
    pending.flags, pending.result, pending.rows_done = flags, {}, 0
    pending.heartbeat = timezone.now()
    fields = ["state", "flags", "result", "rows_done", "heartbeat"]
    claimed = (
        PendingImport.objects.filter(pk=pending.pk)
        .filter(state__in=[State.PREVIEWED] if confirm else STARTS_PREVIEW)
        .update(**{name: getattr(pending, name) for name in fields})
    )
    if not claimed:
        return False
    worker = threading.Thread(
        target=_run, args=(pending.pk,), name=f"import-{pending.token[:8]}", daemon=True
    )
    worker.start()
    return True


def failure(pending):
    """Why a job failed, or None: its error, or a silence longer than :data:`STALE_AFTER`."""
    if pending.state == State.FAILED:
        return pending.result.get("error", "")
    heard = last_heard(pending)
    if pending.state in PendingImport.RUNNING and (
        heard is None or heard < timezone.now() - STALE_AFTER
    ):
        return _("The server running it stopped; nothing was written.")
    return None


def heartbeat_key(pending_pk):
    return f"tracker:import-heartbeat:{pending_pk}"


def last_heard(pending):
    """When the job last said it was alive: on its row, or in the shared cache."""
    beats = [pending.heartbeat, cache.get(heartbeat_key(pending.pk))]
    return max((beat for beat in beats if beat is not None), default=None)


def _record(pending_pk, *, attempts=5, **fields):
    """Write the job's state, trying again while SQLite says another connection holds the
    table (a page reading it; a shared-cache database fails at once instead of waiting)."""
    for attempt in range(1, attempts + 1):
        try:
            PendingImport.objects.filter(pk=pending_pk).update(**fields)
            return
        except OperationalError:
            if attempt == attempts or connection.vendor != "sqlite":
                raise
            time.sleep(0.1 * attempt)


def _beat(pending_pk, stop):
    """Say the job is alive until it ends (in a thread of its own: planning and writing
    report no progress)."""
    keep = int(STALE_AFTER.total_seconds()) * 10
    while not stop.wait(HEARTBEAT_EVERY.total_seconds()):
        try:
            cache.set(heartbeat_key(pending_pk), timezone.now(), timeout=keep)
        except Exception:  # the cache is down: the row's last beat still stands
            logger.warning("Heartbeat of import %s not recorded", pending_pk, exc_info=True)


def _run(pending_pk):
    stop = threading.Event()
    threading.Thread(target=_beat, args=(pending_pk, stop), daemon=True).start()
    try:
        _work(PendingImport.objects.select_related("user").get(pk=pending_pk))
    except Exception as error:
        logger.exception("Import %s failed", pending_pk)
        _record(
            pending_pk,
            state=State.FAILED,
            result={"error": f"{type(error).__name__}: {error}"},
            heartbeat=timezone.now(),
        )
    finally:
        stop.set()
        connection.close()


def _work(pending):
    confirm = pending.state == State.IMPORTING
    read = {}

    def progress(message):
        if isinstance(message, RowsRead):
            read[message.file] = message.rows
            _record(pending.pk, rows_done=sum(read.values()), heartbeat=timezone.now())

    try:
        report = import_tables(
            files=pending.files,
            dry_run=not confirm,
            user=pending.user,
            progress=progress,
            **pending.flags,
        )
    except ImportRefused as refused:
        state, plan = State.REFUSED, pending.plan
        if confirm:  # the record changed since the preview
            result = {"problems": listing(refused.problems, 5), "at_import": True}
        else:
            result = shown_problems(refused)
    else:
        plan = pending.plan if confirm else report.text()
        if confirm:
            batch = report.batch.pk if report.batch else None
            state, result = State.DONE, {"batch": batch, "lines": report.lines()}
        else:
            state, result = State.PREVIEWED, shown_plan(report)
    _record(
        pending.pk,
        state=state,
        result=result,
        plan=plan,
        rows_done=pending.rows_total,
        heartbeat=timezone.now(),
    )
