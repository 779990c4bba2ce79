"""Browser journeys: Playwright driving Debian's Chromium against the live test server.

Where no Chromium is installed the journeys are skipped with the reason shown; CI sets
TRACKER_REQUIRE_BROWSER=1, which turns the skip into a failure.

The browser reaches the live server as it reaches production: through the trusted proxy
(127.0.0.1), with every request saying it came over HTTPS. Open contexts with
``new_context``, never ``browser.new_context``, so that each one does.
"""

import os

import pytest

from benchmarks.chromium import CHROMIUM, launch
from tests.conftest import BEHIND_THE_PROXY

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("TRACKER_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, live_server, settings):
    """Open browser contexts on the live server, behind the proxy.

    The proxy header makes the server see HTTPS while the browser's own origin is the
    live server's plain-http address; a real proxy would have given both the same
    https:// origin, so that address is what the CSRF check is told to accept.
    """
    settings.CSRF_TRUSTED_ORIGINS = [*settings.CSRF_TRUSTED_ORIGINS, live_server.url]
    contexts = []

    def open_context(**options):
        headers = {**BEHIND_THE_PROXY, **options.pop("extra_http_headers", {})}
        context = browser.new_context(
            base_url=live_server.url, extra_http_headers=headers, **options
        )
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A fresh page; fails the test on any console error or uncaught exception."""
    context = new_context(locale="en-GB")
    page = context.new_page()
    problems = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    page.set_default_timeout(10_000)
    yield page
    assert problems == [], f"browser console errors: {problems}"


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """Transactional tests empty the tables after each test, migration data included."""
    from tracker.roles import sync_roles

    sync_roles()
