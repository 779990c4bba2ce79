"""Every public page type, walked from the URL configuration, checked by axe-core in a
real Chromium at phone and desktop widths, with and without results; not one request
from any of them leaves the site (plotly.js, its locales and axe are all local), and not
one breaks the Content-Security-Policy with its charts drawn.

axe-core comes from the axe-playwright-python package (dev extras); its script is
evaluated into the page by Playwright, so nothing is fetched for it. A page type that
the URL configuration gains is walked too: a pattern with arguments is found by following
links from the home page, and the test fails if no link leads to it.
"""

import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from tests.browser import csp
from tests.conftest import proxied_client
from tests.factories import make_full_record, make_release
from tests.timeline_records import two_conflicts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERIOUS = {"serious", "critical"}
#: Pages in states that no link shows: no results, filters that cannot be read, no page.
STATES = ["/events/?q=no+such+event+anywhere", "/events/?date_after=2025-13-45", "/no-such-page/"]


def public_patterns(resolver=None):
    """Every URL pattern outside the editors' admin."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name != "admin":
                yield from public_patterns(entry)
        elif isinstance(entry, URLPattern):
            yield entry


def url_name(path):
    try:
        return resolve(urlsplit(path).path).url_name
    except Resolver404:
        return None


def crawl(client, wanted, limit=80):
    """{url name: an address of it}, following links from the home page until every
    wanted name has one."""
    found, queue, seen = {}, ["/"], set()
    while queue and len(seen) < limit and not wanted <= found.keys():
        path = queue.pop(0)
        seen.add(path)
        response = client.get(path)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in re.findall(r'href="(/[^"#]*)"', response.content.decode()):
            href = href.replace("&amp;", "&")
            name = url_name(href)
            if name and not href.startswith("/admin/"):
                found.setdefault(name, href)
                if href not in seen and href not in queue:
                    queue.append(href)
    return found


def public_pages():
    """One address of every public page type that answers with HTML."""
    client = proxied_client()
    patterns = list(public_patterns())
    with_arguments = {p.name for p in patterns if p.pattern.regex.groups}
    examples = crawl(client, with_arguments)
    missing = with_arguments - examples.keys()
    assert not missing, f"no link from the home page leads to {sorted(missing)}"
    pages = []
    for pattern in patterns:
        url = examples[pattern.name] if pattern.name in with_arguments else reverse(pattern.name)
        if "text/html" in client.get(url).get("Content-Type", ""):
            pages.append(url)
    return pages


def check(page, live_server, url, axe, problems):
    page.goto(url)
    if page.locator("[data-figure]").count():
        page.locator("[data-figure].is-drawn").first.wait_for()
    # Before axe runs: its own script is evaluated by Playwright, outside the policy.
    problems += csp.violations(page)
    results = axe.run(page)
    for violation in results.response["violations"]:
        if violation["impact"] in SERIOUS:
            targets = [node["target"] for node in violation["nodes"]][:3]
            problems.append(f"{url}: {violation['id']} ({violation['impact']}) {targets}")


@pytest.mark.parametrize("width", [390, 1280])
def test_every_public_page_passes_axe_and_loads_nothing_from_elsewhere(
    new_context, live_server, width
):
    context = new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    csp.listen(context)
    page = context.new_page()
    origin = live_server.url
    elsewhere = []
    page.on(
        "request",
        lambda request: (
            elsewhere.append(request.url)
            if not request.url.startswith((origin + "/", "data:", "blob:"))
            else None
        ),
    )
    axe, problems = Axe(), []

    for url in ("/", "/events/"):  # an empty record first
        check(page, live_server, url, axe, problems)
    make_full_record()
    two_conflicts()
    make_release()
    pages = public_pages()
    assert {"home", "event-list", "event-detail", "process-detail"} <= {
        url_name(url) for url in pages
    }
    for url in [*pages, *STATES]:
        check(page, live_server, url, axe, problems)

    assert problems == []
    assert elsewhere == []
