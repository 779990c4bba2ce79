"""Two app servers behave as one: two gunicorn processes on different ports share one
PostgreSQL database and one Redis. A publish through one is on the other's pages at the
next request; a login, a stale-edit check and an import previewed on one carry over to
the other. Runs where the suite has both (``.ci/run``'s PostgreSQL pass sets REDIS_URL);
requests go through the trusted proxy, as production's do."""

import csv
import hashlib
import io
import os
import re
import secrets
import uuid
from urllib.request import Request

import pytest
from django.conf import settings

from tests.conftest import BEHIND_THE_PROXY
from tests.live_servers import Session, gunicorn
from tests.test_concurrency import STALE, as_opened, open_event_form, run_step

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
pytestmark = pytest.mark.skipif(
    not (os.environ.get("REDIS_URL") and ON_POSTGRESQL),
    reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL), as in .ci/run's second pass",
)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    import psycopg

    folder = tmp_path_factory.mktemp("two-servers")
    server = settings.DATABASES["default"]
    name = f"{server['NAME']}_two"
    admin_url = f"postgresql://{server['USER']}@{server['HOST']}:{server['PORT'] or 5432}"

    def drop():
        with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    drop()
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    database_url = f"{admin_url}/{name}"
    try:
        events = run_step(database_url, "prepare")
        # One releases folder for both, as a mount every app server shares.
        shared = {
            "REDIS_URL": os.environ["REDIS_URL"],
            "TRACKER_RELEASES_DIR": str(folder / "releases"),
        }
        with (
            gunicorn(database_url, folder / "one.log", **shared) as one,
            gunicorn(database_url, folder / "two.log", **shared) as two,
        ):
            yield {"one": one, "two": two, "events": events}
    finally:
        drop()


class Browser(Session):
    """One person's browser, reaching both servers as one site: cookies are kept per
    host, not per port, as they are behind one proxy."""

    def on(self, base):
        self.base = base
        return self

    def upload(self, path, fields, files):
        boundary = uuid.uuid4().hex
        body = io.BytesIO()
        for name, value in fields.items():
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, content) in files.items():
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        body.write(f"--{boundary}--\r\n".encode())
        headers = {
            **BEHIND_THE_PROXY,
            "Origin": self.base.replace("http://", "https://", 1),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        request = Request(self.base + path, body.getvalue(), headers=headers)
        with self.opener.open(request, timeout=30) as response:
            return response.status, response.read().decode()


def token_of(page):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_a_publish_through_one_server_is_on_the_others_pages_at_the_next_request(servers):
    one, two = servers["one"], servers["two"]
    reader = Session(two)
    for _ in range(2):  # the second answer comes from the shared cache
        assert reader.get("/events/event-a/")[0] == 200
        assert "Event a" in reader.get("/events/")[1]

    petra = Browser(one)
    petra.log_in("petra")
    changelist = petra.get("/admin/tracker/event/")[1]
    pk = servers["events"]["a"]
    action = {"csrfmiddlewaretoken": token_of(changelist), "_selected_action": [pk]}
    assert petra.post("/admin/tracker/event/", action | {"action": "unpublish"})[0] == 302
    assert reader.get("/events/event-a/")[0] == 404
    assert "Event a" not in reader.get("/events/")[1]

    assert petra.post("/admin/tracker/event/", action | {"action": "publish"})[0] == 302
    assert reader.get("/events/event-a/")[0] == 200
    assert "Event a" in reader.get("/events/")[1]


def test_a_login_on_one_server_holds_on_the_other(servers):
    olena = Browser(servers["one"])
    olena.log_in("olena")
    status, page = olena.on(servers["two"]).get("/admin/")
    assert status == 200
    assert "olena" in page.lower()


def test_a_form_opened_on_one_server_is_checked_against_a_save_on_the_other(servers):
    pk = servers["events"]["b"]
    olena, taras = Browser(servers["one"]), Browser(servers["two"])
    olena.log_in("olena")
    taras.log_in("taras")
    olenas = open_event_form(olena, pk)
    tarass = open_event_form(taras, pk)
    version = int(dict(olenas)["seen_version"])
    url = f"/admin/tracker/event/{pk}/change/"

    assert taras.post(url, as_opened(tarass, version, "B by taras"))[0] == 302
    status, page = olena.post(url, as_opened(olenas, version, "B by olena"))

    assert status == 200
    assert STALE in page
    assert "B by taras" in Session(servers["one"]).get("/events/event-b/")[1]


def test_an_import_previewed_on_one_server_is_confirmed_on_the_other(servers):
    one, two = servers["one"], servers["two"]
    reader = Session(one)
    assert "Event c" in reader.get("/events/event-c/")[1]
    events = list(csv.DictReader(io.StringIO(reader.get("/export/events.csv")[1], newline="")))
    title = f"Event c, imported {secrets.token_hex(3)}"
    for row in events:
        if row["slug"] == "event-c":
            row["title"] = title
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, list(events[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(events)

    petra = Browser(one)
    petra.log_in("petra")
    form = petra.get("/admin/tracker/event/import/")[1]
    status, preview = petra.upload(
        "/admin/tracker/event/import/",
        {"csrfmiddlewaretoken": token_of(form)},
        {"events": ("events.csv", out.getvalue().encode())},
    )
    assert status == 200
    assert "Confirm and import" in preview
    token = re.search(r'name="token" value="([^"]+)"', preview).group(1)

    confirm = {"csrfmiddlewaretoken": token_of(preview), "token": token, "confirm": "1"}
    status, _page = petra.on(two).post("/admin/tracker/event/import/", confirm)

    assert status == 302
    assert title in reader.get("/events/event-c/")[1]
    assert title in Session(two).get("/events/")[1]


def test_failed_logins_counted_on_one_server_lock_on_the_other(servers):
    """The lockout is counted in the shared database: wrong passwords through either
    server add up, and the lock holds on both."""

    def attempt(base):
        browser = Session(base)
        token = token_of(browser.get("/admin/login/")[1])
        data = {"csrfmiddlewaretoken": token, "username": "ghost", "password": "wrong"}
        return browser.post("/admin/login/?next=/admin/", data | {"next": "/admin/"})

    answers = [attempt(servers["one" if n % 2 else "two"]) for n in range(4)]
    assert [status for status, _page in answers] == [200] * 4  # the form, with its error
    for base in (servers["one"], servers["two"]):
        status, page = attempt(base)
        assert (status, "Too many failed logins" in page) == (429, True), base


def raw(session, path):
    """The answer's status, headers and bytes, as a download keeps them."""
    request = Request(session.base + path, headers=dict(BEHIND_THE_PROXY))
    with session.opener.open(request, timeout=30) as response:
        return response.status, response.headers, response.read()


def test_a_release_cut_through_one_server_is_downloaded_byte_identical_from_the_other(servers):
    one, two = servers["one"], servers["two"]
    petra = Browser(one)
    petra.log_in("petra")
    changelist = petra.get("/admin/tracker/release/")[1]
    cut = {"csrfmiddlewaretoken": token_of(changelist)}
    assert petra.post("/admin/tracker/release/cut/", cut)[0] == 302

    listing = Session(two).get("/data/releases/")[1]
    version = re.search(r'href="/data/releases/([0-9.]+)/"', listing).group(1)
    page = Session(two).get(f"/data/releases/{version}/")[1]
    names = re.findall(rf'href="/data/releases/{re.escape(version)}/([^"/]+)"', page)
    assert names == [
        "events.csv",
        "participations.csv",
        "outcomes.csv",
        "links.csv",
        "datapackage.json",
    ]
    for name in names:
        path = f"/data/releases/{version}/{name}"
        status_one, headers_one, from_one = raw(Session(one), path)
        status_two, headers_two, from_two = raw(Session(two), path)
        assert status_one == status_two == 200
        assert from_one == from_two, name
        checksum = hashlib.sha256(from_two).hexdigest()
        assert headers_one["ETag"] == headers_two["ETag"] == f'"{checksum}"'
        assert checksum in page
