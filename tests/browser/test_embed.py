"""The embedded timeline framed by a page of another origin, in a real Chromium: a click
on a marker and on a link of its table opens the event on the tracker in the top window,
and any other page of the tracker refuses to be framed."""

import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.browser.charts import POINT_POSITION
from tests.factories import make_event, make_process

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@contextmanager
def another_site(html):
    """A site on another origin serving ``html`` at ``/``: 127.0.0.1 and a port of its
    own, while the live server is reached as localhost (another site altogether)."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def framing_page(tracker, path):
    return (
        "<!DOCTYPE html><html lang='en'><head><title>A newspaper</title></head><body>"
        f"<iframe id='framed' src='{tracker}{path}' width='1000' height='760'></iframe>"
        "</body></html>"
    )


@pytest.fixture
def events():
    process = make_process(title="Geneva talks", slug="geneva")
    return [
        make_event(title=f"Round {n}", slug=f"round-{n}", process=process, start_date=day)
        for n, day in ((1, "2025-03-01"), (2, "2025-05-16"), (3, "2025-08-20"))
    ]


def open_framed(new_context, live_server, path):
    context = new_context(viewport={"width": 1100, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    site = another_site(framing_page(live_server.url, path))
    return page, site


def test_a_marker_and_a_table_link_open_the_event_in_the_top_window(
    new_context, live_server, events
):
    page, site = open_framed(new_context, live_server, "/embed/timeline/?process=geneva")
    with site as origin:
        assert origin.split(":")[1] != live_server.url.split(":")[1]  # other hosts
        page.goto(origin)
        frame = page.frame_locator("#framed")
        expect(frame.locator("#timeline.is-drawn")).to_be_visible()
        embedded = page.frame(url=re.compile(r"/embed/timeline/"))
        box = page.locator("#framed").bounding_box()

        x, y = embedded.evaluate(POINT_POSITION, ["timeline", events[1].get_absolute_url()])
        page.mouse.click(box["x"] + x, box["y"] + y)
        expect(page).to_have_url(re.compile(re.escape(events[1].get_absolute_url()) + "$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Round 2")

        page.goto(origin)
        frame = page.frame_locator("#framed")
        frame.get_by_text("The timeline's 3 events as a table").click()
        frame.get_by_role("link", name="Round 3").click()
        expect(page).to_have_url(re.compile(re.escape(events[2].get_absolute_url()) + "$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Round 3")


def test_the_rest_of_the_site_refuses_to_be_framed(new_context, live_server, events):
    tracker = live_server.url
    for path in ("/", "/events/", "/events/round-1/", "/changes/"):
        page, site = open_framed(new_context, live_server, path)
        with site as origin:
            with page.expect_response(lambda r, path=path: r.url == tracker + path) as answer:
                page.goto(origin)
            assert answer.value.status == 200, path
            expect(page.frame_locator("#framed").locator("h1")).to_contain_text("is blocked")
            frames = [frame.url for frame in page.frames if frame != page.main_frame]
            assert frames == ["chrome-error://chromewebdata/"], path

    # The embed, framed by the same page, is shown.
    page, site = open_framed(new_context, live_server, "/embed/timeline/")
    with site as origin:
        page.goto(origin)
        expect(page.frame_locator("#framed").locator("h1")).to_have_text(
            "Timeline of peace negotiations"
        )


def test_the_event_list_copies_the_embed_code(new_context, live_server, events):
    context = new_context(locale="en-GB")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.goto("/events/?process=geneva")

    page.get_by_text("Embed this timeline").click()
    page.get_by_role("button", name="Copy the code").click()

    expect(page.locator(".embed-code [role=status]")).to_have_text("Copied.")
    code = page.locator("#embed-code").input_value()
    assert page.evaluate("() => navigator.clipboard.readText()") == code
    host = live_server.url.split("//", 1)[1]  # behind the proxy: https
    assert code.startswith(f'<iframe src="https://{host}/embed/timeline/?process=geneva"')
