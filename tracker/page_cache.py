"""Rendered public pages, kept in Django's cache and never older than the record.

A page is keyed by the versions of what it shows, read from the database on every
request, the active language, the scheme, host and path, and the canonical query
(``tracker.params``); nothing from cookies. Most pages show the whole record and are
keyed by the record-wide version (``RecordVersion.current()``, moved by every write
path); a page that declares narrower versions (``@public(versions=…)``: an event's page
by ``RecordVersion.shared`` and the versions of the events it shows) is keyed by those.
A write therefore changes the key of every page it affects at once, on every worker and
every app server: nothing is invalidated by hand, and nothing can be stale.

Pages are kept gzipped, compressed once when rendered, and sent so to every reader whose
browser accepts gzip (all do; others get them unzipped): the busiest pages are 0.4 to
0.7 MB of HTML at 10,000 events and under a tenth of that gzipped, which is what Redis,
the worker and the network then carry. Public pages hold nothing secret (no token, nothing
of the visitor), so compressing them gives nothing away.

Only 200 answers without cookies are kept. After a write, the first request for a page
renders it while holding a short lock (``cache.add``); requests for the same page in the
meantime wait for that render (up to ``TRACKER_PAGE_WAIT_SECONDS``) instead of all
rendering it at once, then render it themselves if it never comes. A cache that does not
answer is logged and the page is rendered without it: a page is never refused because
the cache is down.
"""

import contextlib
import contextvars
import gzip
import hashlib
import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_string
from django.utils.translation import get_language

from .models import RecordVersion

logger = logging.getLogger(__name__)

HEADER = "X-Page-Cache"
#: How often a request waiting for another's render looks for the page: soon at first
#: (most renders take tens of milliseconds), then less often, up to every 50 ms.
POLL_SECONDS = (0.005, 0.05)
#: Headers that belong to one answer rather than to the page (the middleware sets them).
NOT_KEPT = {"set-cookie", "vary", "date", "content-language", "content-length"}
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


#: What one public request learnt (:func:`read_once`): the record version as it read it
#: (``"numbers"``), so that a page, the values it draws from the cache
#: (:func:`per_record_version`) and its filters are keyed alike; and whether the cache
#: failed to answer (``"cache down"``), so that the request does not wait on it again.
_READ = contextvars.ContextVar("record_version_read", default=None)


def record_wide():
    """The versions of a page that shows the whole record: one query, once per request
    within :func:`read_once`."""
    number, changed_at, _shared = _record_numbers()
    return (number, changed_at.isoformat() if changed_at else "-")


def shared_number():
    """``RecordVersion.shared`` as it stands, read with :func:`record_wide`'s numbers."""
    return _record_numbers()[2]


def _record_numbers():
    read = _READ.get()
    if read is not None and "numbers" in read:
        return read["numbers"]
    numbers = RecordVersion.current_with_shared()
    if read is not None:
        read["numbers"] = numbers
    return numbers


@contextlib.contextmanager
def read_once():
    """Within it, :func:`record_wide` reads the record version once (a public page's
    request: it writes nothing), and a cache that did not answer is not asked again."""
    token = _READ.set({})
    try:
        yield
    finally:
        _READ.reset(token)


def per_record_version(name, compute):
    """``compute()``, kept in the cache for the record version as it stands: for a value
    many pages draw alike (the filters' lists of names, the whole record's timeline),
    computed once per write rather than once per page. One computation at a time, as a
    page's render is (:func:`serve`): pages rendered together after a write wait for the
    first one's value instead of each computing it. Computed afresh when the cache does
    not answer."""
    key = "value:" + hashlib.sha256(f"{record_wide()!r}\n{name}".encode()).hexdigest()
    values = PageCache()
    value = values.call("get", key)
    if value is not None:
        return value
    lock = key + ":render"
    if values.call("add", lock, 1, timeout=settings.TRACKER_PAGE_LOCK_SECONDS, default=True):
        try:
            value = values.call("get", key)  # kept by a computation that ended since
            if value is None:
                logger.debug("Computing %s for %s", name.split("\n", 1)[0], key)
                value = compute()
                values.call("set", key, value, timeout=settings.TRACKER_PAGE_CACHE_SECONDS)
            return value
        finally:
            values.call("delete", lock)
    value = wait_for(values, key, lock)
    return compute() if value is None else value


def page_key(request, query, versions=record_wide):
    """The cache key of this request's page; ``versions()`` reads what it shows."""
    parts = [
        versions.__qualname__,
        repr(versions()),
        get_language() or "",
        request.scheme,
        request.get_host(),
        request.path,
        query.urlencode(),
    ]
    return "page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def keepable(response):
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


def stored(response):
    headers = [(k, v) for k, v in response.items() if k.lower() not in NOT_KEPT]
    return {
        "status": response.status_code,
        "headers": headers,
        "gzipped": compress_string(response.content),
    }


def restored(entry, request):
    """The kept page, gzipped when ``request`` accepts it."""
    zipped = bool(ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")))
    content = entry["gzipped"] if zipped else gzip.decompress(entry["gzipped"])
    response = HttpResponse(content, status=entry["status"])
    for name, value in entry["headers"]:
        response[name] = value
    if zipped:
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


class PageCache:
    """Cache calls that log and give up instead of failing the request: after a call
    that fails, no other call of the same public request (:func:`read_once`) is made,
    so that a cache that does not answer costs a request one wait, not one per value."""

    def __init__(self):
        self.request = _READ.get()
        if self.request is None:
            self.request = {}

    @property
    def working(self):
        return not self.request.get("cache down")

    def call(self, method, *args, default=None, **kwargs):
        if not self.working:
            return default
        try:
            return getattr(cache, method)(*args, **kwargs)
        except Exception:  # a cache server down or unreachable: serve without it
            logger.warning("The page cache did not answer (%s)", method, exc_info=True)
            self.request["cache down"] = True
            return default


def serve(request, query, render, versions=record_wide):
    """The page for ``request``: from the cache, or rendered by ``render()`` (one render
    per key at a time) and kept when it may be. ``versions()``: see :func:`page_key`."""
    key = page_key(request, query, versions)
    pages = PageCache()
    entry = pages.call("get", key)
    if entry is not None:
        return marked(restored(entry, request), "hit")
    lock = key + ":render"
    if pages.call("add", lock, 1, timeout=settings.TRACKER_PAGE_LOCK_SECONDS, default=True):
        try:
            entry = pages.call("get", key)  # kept by a render that ended since we looked
            if entry is not None:
                return marked(restored(entry, request), "hit")
            return render_and_keep(pages, key, render, request)
        finally:
            pages.call("delete", lock)
    entry = wait_for(pages, key, lock)
    if entry is not None:
        return marked(restored(entry, request), "hit")
    return render_and_keep(pages, key, render, request)


def wait_for(pages, key, lock):
    """Wait for another request's render of ``key``; None if it ends without a page."""
    deadline = time.monotonic() + settings.TRACKER_PAGE_WAIT_SECONDS
    pause, longest = POLL_SECONDS
    while time.monotonic() < deadline and pages.working:
        time.sleep(pause)
        pause = min(pause * 2, longest)
        entry = pages.call("get", key)
        if entry is not None:
            return entry
        if not pages.call("has_key", lock, default=False):
            return pages.call("get", key)
    return None


def render_and_keep(pages, key, render, request):
    """The rendered page, kept when it may be, and then sent as a kept page is."""
    logger.debug("Rendering the page for %s", key)
    response = render()
    if hasattr(response, "render") and callable(response.render):
        response = response.render()
    if not keepable(response):
        return marked(response, "miss")
    entry = stored(response)
    pages.call("set", key, entry, timeout=settings.TRACKER_PAGE_CACHE_SECONDS)
    return marked(restored(entry, request), "miss")


def marked(response, how):
    response[HEADER] = how
    return response
