"""Test settings: the production settings, as they run behind a TLS-terminating proxy.

Debug stays off and the HTTPS protections stay on (redirect, HSTS, secure cookies);
127.0.0.1, where the test client and the live server's browser come from, is the trusted
proxy, and they send ``X-Forwarded-Proto: https`` as that proxy would (tests/conftest.py,
tests/browser/conftest.py). On top: a fast password hasher and unhashed static files.
"""

import os
from pathlib import Path

os.environ.update(
    DJANGO_DEBUG="0",
    TRACKER_BASE_URL="https://testserver",
    TRACKER_TRUSTED_PROXIES="127.0.0.1",
    TRACKER_PROXY_PROTO_HEADER="X-Forwarded-Proto",
)
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret")
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
