import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import settings as hypothesis_settings

from tests.admin_forms import admin_form_data as admin_form_data_of
from tests.factories import make_user
from tracker.models import Event
from tracker.seeds import Report, load_seeds

# Property-based tests (tests/test_properties.py): the same examples on every run, so that
# make test and CI are repeatable; HYPOTHESIS_PROFILE=explore searches further.
hypothesis_settings.register_profile(
    "ci", derandomize=True, max_examples=80, deadline=None, database=None, print_blob=True
)
hypothesis_settings.register_profile("explore", max_examples=2000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: The records the page, chart, CSV and import tests run on: the seeded Russia–Ukraine
#: record, and a second conflict's record, written by hand as a test fixture in the same
#: format (other scripts, approximate dates, other roles).
RECORDS = {
    "seeds": Path(settings.BASE_DIR) / "seeds",
    "second_conflict": Path(__file__).parent / "fixtures" / "second_conflict",
}

#: Published events each record holds back for the tests about unpublished events, so
#: that every record is walked with a draft and an event in review in it. The seeds have
#: none of their own: these are the exchange that carried out the 16 May 2025 agreement
#: and the proposal the Istanbul talks answered, so public pages would name them.
HELD_BACK = {
    "seeds": {
        "2025-05-23-1000-for-1000-exchange": Event.Status.DRAFT,
        "2025-05-11-putin-proposes-istanbul-talks": Event.Status.REVIEW,
    },
    "second_conflict": {},
}


#: The modules that hold the suite's longest tests (``make test`` names the twenty
#: slowest), longest first. Their tests run first within their pytest-django group
#: (database tests, then transactional tests, whose emptied tables and moved sequences
#: the next database test must not meet, then the rest), so that pytest-xdist's workers
#: end each group on short tests instead of one worker waiting on a long one.
#: The groups keep their order, and ``make test`` hands tests to the workers in it
#: (``--dist load``): a database test run after a transactional one meets emptied tables,
#: without the roles' groups. A module not named here keeps its place: the list orders,
#: it selects nothing.
LONG_FIRST = [
    "tests/test_make_run.py",
    "tests/test_admin_versions.py",
    "tests/test_backup.py",
    "tests/test_static.py",
    "tests/test_conflicts.py",
    "tests/browser/test_accessibility.py",
    "tests/test_seeded_pages.py",
    "tests/test_api.py",
    "tests/test_concurrency.py",
    "tests/test_long_exports.py",
    "tests/test_page_cache.py",
    "tests/browser/test_csp.py",
]


def django_group(item):
    """pytest-django's order for a test: 0 with a database, 1 transactional, 2 without."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", [])
    transactional = bool(
        marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    ) or bool({"transactional_db", "live_server"} & set(fixtures))
    if transactional:
        return 1
    return 0 if marker or "db" in fixtures else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    rank = {module: i for i, module in enumerate(LONG_FIRST)}

    def place(item):
        return django_group(item), rank.get(item.nodeid.split("::")[0], len(rank))

    items.sort(key=place)


@dataclass
class LoadedRecord:
    name: str
    directory: Path
    report: Report


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    """pytest-django's test databases, created and migrated once per worker; where the
    default one is SQLite (in memory), a copy of it is kept as the migrations left it,
    before any test writes to it (``migrated_sqlite``). A run without database tests
    sets none up, and keeps no copy."""
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        path = tmp_path_factory.mktemp("migrated") / "migrated.sqlite3"
        with django_db_blocker.unblock():
            connection.ensure_connection()
            with sqlite3.connect(path) as copy:
                connection.connection.backup(copy)
            copy.close()
        MIGRATED["sqlite"] = path


#: The migrated SQLite database of this worker, once made (``migrated_sqlite``).
MIGRATED = {}


@pytest.fixture(scope="session")
def migrated_sqlite(django_db_setup, tmp_path_factory):
    """Put a freshly migrated SQLite database at a path, for the servers and commands
    that need a database file of their own: a copy of the migrated test database when
    the suite runs on SQLite; on another database, of one file migrated here by
    ``manage.py migrate`` the first time it is asked for. Each copy is new and empty of
    records, as a file migrated in its place would be, without running the migrations
    again for every one."""

    def copy_to(path):
        if "sqlite" not in MIGRATED:
            made = tmp_path_factory.mktemp("migrated") / "migrated.sqlite3"
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                cwd=settings.BASE_DIR,
                env={**os.environ, "DATABASE_URL": f"sqlite:///{made}"},
                check=True,
            )
            MIGRATED["sqlite"] = made
        shutil.copyfile(MIGRATED["sqlite"], path)
        return path

    return copy_to


@pytest.fixture(autouse=True)
def release_files(settings, tmp_path_factory):
    """Each test writes releases into a folder of its own (``STORAGES["releases"]``):
    test databases are rolled back, and the next test's first release has the same
    version, whose files must not exist yet. Returns the folder."""
    folder = tmp_path_factory.mktemp("releases")
    settings.STORAGES = {
        **settings.STORAGES,
        "releases": {**settings.STORAGES["releases"], "OPTIONS": {"location": str(folder)}},
    }
    return folder


@pytest.fixture(autouse=True)
def empty_page_cache():
    """Each test starts with an empty page cache, and with no query read by a FilterSet
    kept (``tracker.public.filtered_query``): test databases are rolled back, so a record
    version can come back with other rows behind it in the next test."""
    from django.core.cache import cache

    from tracker.public import filtered_query

    cache.clear()
    filtered_query.cache_clear()


@pytest.fixture
def load_record(db):
    """Load a record by name (``"seeds"`` or ``"second_conflict"``) through the real seed
    loader and return it."""

    def load(name):
        return LoadedRecord(name, RECORDS[name], load_seeds(directory=RECORDS[name]))

    return load


@pytest.fixture(params=list(RECORDS))
def record(request, load_record):
    """Each record in turn, loaded: a test that asks for it runs once per record."""
    return load_record(request.param)


@pytest.fixture
def unpublished(record):
    """The loaded record's drafts and events in review (at least one of each), holding
    back the events listed in ``HELD_BACK`` through the model's own bookkeeping."""
    for slug, status in HELD_BACK[record.name].items():
        event = Event.objects.get(slug=slug)
        event.status = status
        event.mark_changed(by=None, reason="Held back by a test of unpublished events")
        event.save()
    events = list(Event.objects.exclude(status=Event.Status.PUBLISHED).order_by("slug"))
    assert {e.status for e in events} == {Event.Status.DRAFT, Event.Status.REVIEW}
    return events


# What the TLS-terminating proxy adds to every request it passes on. The test client and
# the browser connect from 127.0.0.1, which tests/settings.py makes the trusted proxy.
BEHIND_THE_PROXY = {"X-Forwarded-Proto": "https"}


def proxied_client():
    """The test client, reaching the tracker as a browser does in production: over
    HTTPS, through the trusted proxy, which passes on the browser's Host header (the
    test client sends none of its own). ``Client()`` is a plain-http request instead."""
    return Client(headers={"Host": "testserver", **BEHIND_THE_PROXY})


@pytest.fixture
def client():
    return proxied_client()


@pytest.fixture
def admin_client(db, admin_user, client):
    """pytest-django's ``admin_client``, through the proxy like ``client``."""
    client.force_login(admin_user)
    return client


@pytest.fixture
def production_env(tmp_path):
    """The environment of a production process, for tests that start one (a command, a
    server): debug off, every required variable set, 127.0.0.1 the trusted proxy, and
    nothing else inherited from this process but PATH and HOME. A server started with it
    answers requests from 127.0.0.1 that carry ``BEHIND_THE_PROXY``."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "TRACKER_BASE_URL": "https://tracker.example.org",
        "TRACKER_TRUSTED_PROXIES": "127.0.0.1",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }


@pytest.fixture
def superuser(db):
    return make_user("root", is_superuser=True)


@pytest.fixture
def admin_client_for(client):
    """Log the test client in as the given user and return it."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def admin_form_data():
    """The POST data an admin change form would send unchanged, inlines included."""
    return admin_form_data_of
