"""/embed/timeline/: the timeline alone, for other sites to frame. It is the only page
that may be framed, it sets no cookie, and its links open the tracker in the top window.
(The browser journey that frames it from another origin: tests/browser/test_embed.py.)"""

import re
from html import unescape

import pytest
from django.urls import resolve, reverse

from tests.crawl import crawl
from tests.factories import make_event, make_full_record, make_process, make_release
from tests.test_properties import public_patterns
from tests.test_static import directives

pytestmark = pytest.mark.django_db

FRAMEABLE = {"embed-timeline"}


def test_the_embed_shows_the_filtered_timeline_and_its_table_and_nothing_of_the_site(client):
    geneva = make_process(slug="geneva", title="Geneva")
    shown = make_event(title="Geneva talks", process=geneva, slug="geneva-talks")
    make_event(title="Other talks")

    response = client.get(reverse("embed-timeline") + "?process=geneva")

    assert response.status_code == 200
    body = response.content.decode()
    assert '<base target="_top">' in body
    assert 'id="timeline-data"' in body
    assert 'id="timeline-table"' in body
    assert f'<a href="{shown.get_absolute_url()}">Geneva talks</a>' in body
    assert "Other talks" not in body
    assert "site-header" not in body
    assert 'name="language"' not in body
    assert 'href="/events/?process=geneva"' in body
    assert re.findall(r"<script[^>]*>", body) == [
        '<script id="timeline-data" type="application/json">',
        *(f'<script src="{src}" defer>' for src in re.findall(r'<script src="([^"]+)"', body)),
    ]
    assert all(src.startswith("/static/") for src in re.findall(r'<script src="([^"]+)"', body))


def test_the_embed_may_be_framed_and_sets_no_cookie(client):
    make_event()
    client.get(reverse("event-list"))  # a visit to the site first
    for url in (reverse("embed-timeline"), reverse("embed-timeline") + "?q=event"):
        response = client.get(url)
        assert response.status_code == 200
        assert "X-Frame-Options" not in response, url
        assert directives(response)["frame-ancestors"] == "*", url
        assert directives(response)["script-src"] == "'self'", url
        assert not response.cookies, url
        assert "csrftoken" not in response.content.decode()


def test_a_filter_the_embed_cannot_read_is_a_400_naming_it(client):
    response = client.get(reverse("embed-timeline") + "?date_after=2025-13-45")
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()
    assert 'id="timeline-data"' not in response.content.decode()


def test_every_other_page_refuses_to_be_framed(client):
    """Every URL pattern, walked from the URL configuration (one real address of each),
    and the admin: none but the embed may be framed."""
    make_full_record()
    make_release()  # the release pages' patterns need one to have an address
    examples = {}
    for url in crawl(client, ["/", "/sitemap.xml"]):
        examples.setdefault(resolve(url.split("?")[0]).url_name, url.split("?")[0])
    urls = [
        examples[p.name] if p.pattern.regex.groups else f"/{route}"
        for route, p in public_patterns()
    ]
    assert len(urls) > 20
    framed = [url for url in urls if resolve(url).url_name not in FRAMEABLE]
    assert len(framed) == len(urls) - len(FRAMEABLE)
    for url in [*framed, "/admin/login/", "/no-such-page/"]:
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
        assert directives(response)["frame-ancestors"] == "'none'", url


def test_the_event_list_offers_the_embed_code_for_its_filters(client):
    make_event(process=make_process(slug="geneva", title="Geneva"))
    make_event(process=make_process(slug="doha"))

    response = client.get(reverse("event-list") + "?process=geneva&page=1")

    body = response.content.decode()
    textarea = re.search(r'<textarea id="embed-code" readonly rows="3">([^<]*)</textarea>', body)
    assert unescape(textarea.group(1)) == (
        '<iframe src="https://testserver/embed/timeline/?process=geneva" '
        'title="Timeline of peace negotiations" width="100%" height="640" loading="lazy">'
        "</iframe>"
    )
    assert 'data-copy="embed-code"' in body
    assert "/static/tracker/embed.js" in body
