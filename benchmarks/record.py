"""What every benchmark script shares: Django set up from outside the package, and a
throwaway database holding a demo record (``tracker.demo``), on the database that
DATABASE_URL names (SQLite by default).

Standalone on purpose: the ``tracker`` package never imports ``benchmarks``.
"""

import contextlib
import os
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(*, database_name=None):
    """Django with the production settings (debug off); ``database_name`` points the
    default connection at another database of the same server (a throwaway one)."""
    sys.path.insert(0, str(ROOT))
    # Static files are found in place, not collected: nothing is missing without it.
    warnings.filterwarnings("ignore", message="No directory at")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-secret")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
    os.environ.setdefault("TRACKER_BASE_URL", "https://testserver")
    # SQLite unless DATABASE_URL names another server; only a throwaway copy is written.
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'db.sqlite3'}")
    import django

    django.setup()
    if database_name:
        from django.db import connection

        connection.settings_dict["NAME"] = database_name


@contextlib.contextmanager
def demo_database(*, events, seed=2025, out=print):
    """A throwaway database (on disk, so that other processes can open it) holding a demo
    record of ``events`` events, measured as in production (debug off) but without TLS,
    static files served by whitenoise from where they lie. Yields the database's name."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import (
        override_settings,
        setup_databases,
        setup_test_environment,
        teardown_databases,
        teardown_test_environment,
    )

    from tracker.demo import generate_demo

    unhashed = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    folder = tempfile.TemporaryDirectory(prefix="tracker-benchmark-")
    if connection.vendor == "sqlite":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(
            Path(folder.name) / "benchmark.sqlite3"
        )
    else:  # a name of its own: two runs on one server never drop each other's database
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"tracker_benchmark_{os.getpid()}"
    with (
        folder,
        override_settings(
            STORAGES=unhashed,
            WHITENOISE_USE_FINDERS=True,
            WHITENOISE_AUTOREFRESH=True,
            # The browser reaches a plain-http live server, with no TLS proxy in front.
            SECURE_SSL_REDIRECT=False,
            SECURE_HSTS_SECONDS=0,
        ),
    ):
        setup_test_environment(debug=False)
        old_config = setup_databases(verbosity=0, interactive=False)
        try:
            generate_demo(events=events, seed=seed, out=lambda line: out(f"  {line}"))
            yield connection.settings_dict["NAME"]
        finally:
            teardown_databases(old_config, verbosity=0)
            teardown_test_environment()
