"""Concurrent editors against a live server: real HTTP to gunicorn, over a file-based
SQLite database opened with the production connection options (and over PostgreSQL when
the suite runs on it).

Two editors' saves are released together by a barrier, twenty times: saves of different
events both succeed; saves of the same event from the same version give one success and
one stale-edit message; no answer is an error, and none takes more than 5 s (the client
gives up after that). While a long write transaction is open (a large import), public
pages and the admin login answer.
"""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest
from django.conf import settings

from tests.conftest import BEHIND_THE_PROXY

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 20
ANSWER_WITHIN = 5  # seconds
STALE = "saved a newer version of this record"


def databases():
    chosen = [pytest.param("sqlite", id="sqlite-file")]
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        chosen.append(pytest.param("postgresql", id="postgresql"))
    return chosen


# A live database and server ----------------------------------------------------------------


def environment(database_url):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    env.pop("DJANGO_DEBUG", None)
    return env


def step(database_url, name, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-c", "from tests.live_database import main; main()", name],
        cwd=ROOT,
        env=environment(database_url),
        text=True,
        stdout=subprocess.PIPE,
        **kwargs,
    )


def run_step(database_url, name):
    process = step(database_url, name)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0, f"{name} failed"
    return json.loads(out.strip().splitlines()[-1])


def create_database(kind, folder, migrated_sqlite):
    """A new database of this kind, with no records (migrated already, for SQLite);
    returns its URL and how to remove it."""
    if kind == "sqlite":
        return f"sqlite:///{migrated_sqlite(folder / 'live.sqlite3')}", lambda: None
    import psycopg

    server = settings.DATABASES["default"]
    name = f"{server['NAME']}_live"
    admin_url = f"postgresql://{server['USER']}@{server['HOST']}:{server['PORT'] or 5432}"

    def drop():
        with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    drop()
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{admin_url}/{name}", drop


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module", params=databases())
def live(request, tmp_path_factory, migrated_sqlite):
    """A migrated database with two editors and three events, served by gunicorn."""
    folder = tmp_path_factory.mktemp("live")
    database_url, drop = create_database(request.param, folder, migrated_sqlite)
    events = run_step(database_url, "prepare")
    port = free_port()
    log = (folder / "gunicorn.log").open("w")
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "tracker.wsgi",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--timeout=30",
        ],
        cwd=ROOT,
        env=environment(database_url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, gunicorn)
        yield {"base": base, "url": database_url, "events": events}
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=20)
        log.close()
        drop()


def wait_until_serving(base, server):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn stopped"
        try:
            if Session(base).get("/admin/login/")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("gunicorn did not answer")


# A browser's worth of HTTP ----------------------------------------------------------------


class KeepRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class BehindTheProxy(DefaultCookiePolicy):
    """The server sees HTTPS through its trusted proxy and sets Secure cookies; between
    this client and the server, on loopback, they travel as the proxy would pass them."""

    def return_ok_secure(self, cookie, request):
        return True


class Session:
    """One person's cookies; answers as (status, body), redirects not followed. Requests
    come from 127.0.0.1, the trusted proxy, as production's do (``BEHIND_THE_PROXY``)."""

    def __init__(self, base):
        self.base = base
        jar = CookieJar(policy=BehindTheProxy())
        self.opener = build_opener(HTTPCookieProcessor(jar), KeepRedirects)

    def request(self, path, data=None, timeout=ANSWER_WITHIN):
        body = urlencode(data, doseq=True).encode() if data is not None else None
        headers = dict(BEHIND_THE_PROXY)
        if body is not None:  # as a browser posts a form: the origin, seen through HTTPS
            headers["Origin"] = self.base.replace("http://", "https://", 1)
        request = Request(self.base + path, body, headers=headers)
        try:
            with self.opener.open(request, timeout=timeout) as r:
                return r.status, r.read().decode()
        except HTTPError as error:
            return error.code, error.read().decode()

    def get(self, path):
        return self.request(path)

    def post(self, path, data, timeout=ANSWER_WITHIN):
        return self.request(path, data, timeout)

    def log_in(self, username):
        status, page = self.get("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = {"csrfmiddlewaretoken": token, "username": username, "password": "pw"}
        status, _ = self.post("/admin/login/?next=/admin/", data | {"next": "/admin/"})
        assert status == 302, f"{username} could not log in"


class FormFields(HTMLParser):
    """The fields a browser would send for the form with the given id."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.fields, self.select, self.textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif not self.inside or "name" not in a and tag in ("input", "select", "textarea"):
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select":
            self.select = {"name": a["name"], "first": None, "chosen": []}
        elif tag == "option" and self.select is not None:
            value = a.get("value", "")
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in a:
                self.select["chosen"].append(value)
        elif tag == "textarea":
            self.textarea = (a["name"], [])

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            chosen = self.select["chosen"] or [self.select["first"] or ""]
            self.fields += [(self.select["name"], value) for value in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, parts = self.textarea
            self.fields.append((name, "".join(parts).removeprefix("\n")))
            self.textarea = None


def open_event_form(session, pk):
    status, page = session.get(f"/admin/tracker/event/{pk}/change/")
    assert status == 200
    parser = FormFields("event_form")
    parser.feed(page)
    return [(name, value) for name, value in parser.fields if "__prefix__" not in name]


def as_opened(fields, version, title):
    """The form as sent by someone who opened it at ``version`` and typed ``title``."""
    changes = {"title": title, "seen_version": str(version)}
    return [(name, changes.get(name, value)) for name, value in fields]


def save_together(sessions, posts):
    """Release the saves together; each answers (status, body) within ANSWER_WITHIN."""
    barrier = threading.Barrier(len(posts))

    def save(session, pk, fields):
        barrier.wait(timeout=10)
        return session.post(f"/admin/tracker/event/{pk}/change/", fields)

    with ThreadPoolExecutor(len(posts)) as pool:
        futures = [pool.submit(save, s, *post) for s, post in zip(sessions, posts, strict=True)]
        return [future.result() for future in futures]


# The tests -------------------------------------------------------------------------------


def test_two_editors_saving_at_the_same_moment(live):
    """The forms are opened once; each round sends them as a browser that opened the page
    at the event's current version would."""
    olena, taras = Session(live["base"]), Session(live["base"])
    olena.log_in("olena")
    taras.log_in("taras")
    a, b, c = (live["events"][name] for name in ("a", "b", "c"))
    olenas = {pk: open_event_form(olena, pk) for pk in (a, c)}
    tarass = {pk: open_event_form(taras, pk) for pk in (b, c)}
    problems = []

    for n in range(ROUNDS):
        answers = save_together(
            (olena, taras),
            [
                (a, as_opened(olenas[a], n + 1, f"A {n}")),
                (b, as_opened(tarass[b], n + 1, f"B {n}")),
            ],
        )
        if [status for status, _body in answers] != [302, 302]:
            problems.append(f"round {n}, different events: {[a[0] for a in answers]}")

        answers = save_together(
            (olena, taras),
            [
                (c, as_opened(olenas[c], n + 1, f"C {n} olena")),
                (c, as_opened(tarass[c], n + 1, f"C {n} taras")),
            ],
        )
        statuses = sorted(status for status, _body in answers)
        refused = [body for status, body in answers if status == 200]
        if statuses != [200, 302] or STALE not in refused[0]:
            problems.append(f"round {n}, same event: {statuses}")

    assert problems == []
    versions = {int(pk): row for pk, row in run_step(live["url"], "report").items()}
    assert versions[a] == [f"A {ROUNDS - 1}", ROUNDS + 1]
    assert versions[b] == [f"B {ROUNDS - 1}", ROUNDS + 1]
    assert versions[c][1] == ROUNDS + 1
    assert re.fullmatch(rf"C {ROUNDS - 1} (olena|taras)", versions[c][0])


def test_pages_answer_while_a_long_write_is_open(live):
    """Reading needs no lock: public pages, the admin login and an editor's list answer.
    A save that cannot get the lock within its wait is told so (503), not an error.
    Logging in writes a session, so the editor logs in before the write begins."""
    editor = Session(live["base"])
    editor.log_in("olena")
    event = live["events"]["a"]
    form = open_event_form(editor, event)
    writer = step(live["url"], "hold", stdin=subprocess.PIPE)
    try:
        assert writer.stdout.readline().strip() == "holding"
        with ThreadPoolExecutor(1) as pool:
            saving = pool.submit(
                editor.post, f"/admin/tracker/event/{event}/change/", form, timeout=30
            )
            reader = Session(live["base"])
            answers = {
                path: reader.get(path)[0]
                for path in ("/", "/events/", "/events/event-a/", "/admin/login/")
            }
            answers["/admin/tracker/event/ (logged in)"] = editor.get("/admin/tracker/event/")[0]
            saved, page = saving.result()
    finally:
        writer.communicate("done\n", timeout=60)
    assert answers == dict.fromkeys(answers, 200)
    assert saved == 503
    assert "Nothing was saved: the database was busy" in page
