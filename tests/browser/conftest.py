"""Browser journeys: Playwright driving Debian's Chromium against the live test server.

Where no Chromium is installed the journeys are skipped with the reason shown; CI sets
TRACKER_REQUIRE_BROWSER=1, which turns the skip into a failure.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

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
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh page; fails the test on any console error or uncaught exception."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
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
    context.close()
    assert problems == [], f"browser console errors: {problems}"


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """Transactional tests empty the tables after each test, migration data included."""
    from tracker.roles import sync_roles

    sync_roles()
