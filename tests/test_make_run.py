"""``make run`` as a developer starts it: two gunicorn workers, debug settings, the seeds,
and the page cache in a folder both workers share. A publish through the admin is on
every one of the next twenty answers, whichever worker gives it, and the page is
rendered once for both workers."""

import csv
import io
import os
import re
import signal
import subprocess
import time
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from tests.test_concurrency import ROOT, Session, free_port


@pytest.fixture(scope="module")
def make_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("make-run")
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(folder)),
        "LANG": "C.UTF-8",
        "DATABASE_URL": f"sqlite:///{folder / 'run.sqlite3'}",
        "TRACKER_CACHE_DIR": str(folder / "cache"),
    }
    output = (folder / "make-run.log").open("w+")
    server = subprocess.Popen(
        ["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert server.poll() is None, (folder / "make-run.log").read_text()
            assert time.monotonic() < deadline, "make run did not serve within 4 minutes"
            try:
                if Session(base).get("/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
        log = (folder / "make-run.log").read_text()
        password = re.search(r"password: (\S+)", log).group(1)
        yield {"base": base, "password": password}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        output.close()


def answer(base, path):
    """(status, X-Page-Cache, body) of one request on a new connection."""
    try:
        with urlopen(base + path, timeout=10) as response:
            return response.status, response.headers["X-Page-Cache"], response.read().decode()
    except HTTPError as error:
        return error.code, error.headers["X-Page-Cache"], error.read().decode()


def event_id(base, slug):
    text = Session(base).get("/export/events.csv")[1]
    return next(row["id"] for row in csv.DictReader(io.StringIO(text)) if row["slug"] == slug)


def test_a_publish_through_the_admin_is_on_twenty_answers_from_either_worker(make_run):
    base = make_run["base"]
    slug = "2025-05-16-istanbul-direct-talks"
    page, listing = f"/events/{slug}/", "/events/?process=istanbul-direct-talks-2025"
    pk = event_id(base, slug)
    admin = Session(base)
    status, _ = admin.request(
        "/admin/login/?next=/admin/",
        {
            "csrfmiddlewaretoken": re.search(
                r'name="csrfmiddlewaretoken" value="([^"]+)"', admin.get("/admin/login/")[1]
            ).group(1),
            "username": "admin",
            "password": make_run["password"],
            "next": "/admin/",
        },
    )
    assert status == 302

    def act(action):
        changelist = admin.get("/admin/tracker/event/")[1]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', changelist).group(1)
        data = {"csrfmiddlewaretoken": token, "action": action, "_selected_action": pk}
        assert admin.post("/admin/tracker/event/", data)[0] == 302

    act("unpublish")
    for _ in range(5):  # the pages without the event are cached
        assert answer(base, page)[0] == 404
        assert slug not in answer(base, listing)[2]

    act("publish")
    answers = [answer(base, page) for _ in range(20)]
    listed = [answer(base, listing) for _ in range(20)]

    assert [status for status, _cache, _body in answers] == [200] * 20
    assert all("Istanbul" in body for _status, _cache, body in answers)
    assert all(slug in body for _status, _cache, body in listed)
    # Rendered once, then read from the folder both workers share.
    assert [cache for _status, cache, _body in answers].count("miss") == 1
    assert [cache for _status, cache, _body in listed].count("miss") == 1
