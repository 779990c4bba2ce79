"""Long exports take turns: with one slot (N = 1) and two real downloads of more than
10,000 rows at once against a live server, the second is told to retry later (503 with
Retry-After) while readers and short exports are served; the slot comes back when the
first download ends, even when its reader just goes away."""

import http.client
import time

import pytest
from django.test import override_settings

from tests.conftest import BEHIND_THE_PROXY
from tests.factories import make_event
from tests.live_servers import Session, gunicorn
from tests.test_concurrency import run_step
from tracker.columns import EVENTS, PARTICIPATIONS
from tracker.export_slots import expected_rows, take_slot
from tracker.filters import filter_events


def open_download(base, path):
    """A download started and left open after its first piece: (connection, response)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", path, headers=BEHIND_THE_PROXY)
    response = connection.getresponse()
    if response.status == 200:
        assert response.read(65536)
    return connection, response


@pytest.fixture(scope="module")
def long_server(tmp_path_factory, migrated_sqlite):
    folder = tmp_path_factory.mktemp("long-exports")
    database_url = f"sqlite:///{migrated_sqlite(folder / 'long.sqlite3')}"
    assert run_step(database_url, "long_record") == {"events": 10_001}
    slots = {"TRACKER_LONG_EXPORTS": "1", "TRACKER_EXPORT_SLOTS_DIR": str(folder / "slots")}
    with gunicorn(database_url, folder / "gunicorn.log", workers=3, **slots) as base:
        yield base


def test_a_second_long_export_waits_its_turn_while_readers_are_served(long_server):
    reader = Session(long_server)
    first, first_response = open_download(long_server, "/export/events.csv")
    try:
        assert first_response.status == 200

        second, second_response = open_download(long_server, "/export/events.csv")
        assert second_response.status == 503
        assert second_response.getheader("Retry-After") == "30"
        assert b"try again in 30 seconds" in second_response.read()
        second_response.close()
        second.close()

        assert reader.get("/export/events.csv?kind=summit")[0] == 200  # one row: not long
        assert reader.get("/events/statement-0/")[0] == 200
    finally:
        first_response.close()  # the reader goes away mid-download
        first.close()

    deadline = time.monotonic() + 30
    while True:
        third, third_response = open_download(long_server, "/export/events.csv")
        third_response.close()
        third.close()
        if third_response.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert third_response.status == 200


# The rule itself, through the test client


@pytest.mark.django_db
def test_one_count_query_decides_whether_an_export_is_long(django_assert_num_queries):
    make_event()
    _filterset, events = filter_events({})
    with django_assert_num_queries(1):
        assert expected_rows(EVENTS, events) == 1
    with django_assert_num_queries(1):
        assert expected_rows(PARTICIPATIONS, events) == 0


@pytest.mark.django_db
def test_when_every_slot_is_taken_a_long_export_gets_503_and_a_short_one_does_not(client, tmp_path):
    for n in range(3):
        make_event(slug=f"talks-{n}")
    with override_settings(
        TRACKER_LONG_EXPORT_ROWS=2, TRACKER_LONG_EXPORTS=1, TRACKER_EXPORT_SLOTS_DIR=tmp_path
    ):
        held = take_slot()
        try:
            busy = client.get("/export/events.csv")
            assert busy.status_code == 503
            assert busy["Retry-After"] == "30"
            assert client.get("/export/events.csv?q=nothing-matches").status_code == 200
            assert client.get("/").status_code == 200
        finally:
            held.release()
        response = client.get("/export/events.csv")
        assert response.status_code == 200
        assert b"".join(response.streaming_content).count(b"\r\n") == 4  # header, 3 rows
        assert take_slot().release() is None  # the finished download gave its slot back
