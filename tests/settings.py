"""Test settings: the production settings, as they run behind a TLS-terminating proxy.

Debug stays off and the HTTPS protections stay on (redirect, HSTS, secure cookies);
127.0.0.1, where the test client and the live server's browser come from, is the trusted
proxy, and they send ``X-Forwarded-Proto: https`` as that proxy would (tests/conftest.py,
tests/browser/conftest.py). On top: a fast password hasher and unhashed static files.
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def one_worker_each():
    """Under pytest-xdist (make test runs one worker per core) each worker gets what no
    other may touch: its own temporary folder (uploads, export slots; inherited by the
    servers and commands it starts) and its own Redis database, since the suite empties
    the cache between tests. pytest-django gives each its own test database. Done once:
    the processes a worker starts inherit the result and the mark."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or os.environ.get("TRACKER_TESTS_WORKER") == worker:
        return
    os.environ["TRACKER_TESTS_WORKER"] = worker
    folder = Path(tempfile.gettempdir()) / f"tracker-tests-{os.getuid()}-{worker}"
    folder.mkdir(mode=0o700, exist_ok=True)
    os.environ["TMPDIR"] = tempfile.tempdir = str(folder)
    if os.environ.get("REDIS_URL"):
        url = urlsplit(os.environ["REDIS_URL"])
        database = int(url.path.strip("/") or 0) + int(worker.removeprefix("gw"))
        os.environ["REDIS_URL"] = urlunsplit(url._replace(path=f"/{database}"))


one_worker_each()

os.environ.update(
    DJANGO_DEBUG="0",
    TRACKER_BASE_URL="https://testserver",
    TRACKER_TRUSTED_PROXIES="127.0.0.1",
    TRACKER_PROXY_PROTO_HEADER="X-Forwarded-Proto",
)
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret")
# Release files of the commands and servers the tests start (tests/conftest.py gives each
# test in this process a folder of its own).
os.environ.setdefault(
    "TRACKER_RELEASES_DIR", str(Path(tempfile.gettempdir()) / f"tracker-releases-{os.getuid()}")
)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# SQLite unless the run names another database (CI's PostgreSQL run does).
os.environ.setdefault(
    "DATABASE_URL", f"sqlite:///{Path(__file__).resolve().parent.parent / 'db.sqlite3'}"
)

from tracker.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Tests walk the API far faster than a client may; the rate limit's own test lowers it.
TRACKER_API_RATE = "100000/minute"
