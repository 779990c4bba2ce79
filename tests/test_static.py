"""plotly.js and our assets ship from our own static files: hashed, compressed, cached."""

import datetime

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_event, make_release

pytestmark = pytest.mark.django_db


def test_collectstatic_hashes_and_compresses_plotly(tmp_path, settings):
    storages = settings.STORAGES | {
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)

    vendor = tmp_path / "tracker" / "vendor"
    hashed = list(vendor.glob("plotly.min.*.js"))
    assert len(hashed) == 1
    assert (vendor / f"{hashed[0].name}.gz").exists()
    assert (vendor / f"{hashed[0].name}.br").exists()
    assert hashed[0].read_bytes()[:200].count(b"plotly.js v") == 1


def directives(response):
    policy = response["Content-Security-Policy"]
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";"))


def test_public_and_admin_pages_run_only_our_own_scripts(client):
    """No script from elsewhere, no inline script and no eval, on the public pages and in
    the admin alike (the browser tests count violations: tests/browser/test_csp.py)."""
    make_event()
    for url in (reverse("home"), "/admin/login/"):
        policy = directives(client.get(url))
        assert policy["script-src"] == "'self'", url
        assert policy["default-src"] == "'self'", url
        assert policy["object-src"] == "'none'", url
        assert policy["frame-ancestors"] == "'none'", url


@pytest.mark.parametrize(
    ("language", "heading", "download"),
    [("uk", "Події", "Завантажити CSV"), ("ru", "События", "Скачать CSV")],
)
def test_the_interface_is_translated(client, language, heading, download):
    make_event()
    body = client.get(reverse("event-list"), headers={"accept-language": language})
    text = body.content.decode()
    assert f"<h1>{heading}</h1>" in text
    assert download in text


def test_pages_speak_the_readers_language(client):
    event = make_event(start_date=datetime.date(2025, 5, 16))
    response = client.get(event.get_absolute_url(), headers={"accept-language": "uk"})
    assert response["Content-Language"] == "uk"
    assert '<html lang="uk">' in response.content.decode()
    assert "16 травня 2025" in response.content.decode()


def test_every_public_answer_carries_the_strict_policy(load_record, client):
    """Every page a reader reaches (HTML, CSV, JSON, the sitemap, the health check, the
    API) carries the policy, with scripts from our own origin only: no 'unsafe-eval',
    no 'unsafe-inline', no other host. Walked from links, not listed."""
    from urllib.parse import urlsplit

    from django.urls import resolve

    from tests.crawl import crawl
    from tests.test_strict_params import public_patterns

    load_record("seeds")
    make_release()  # the release pages and files have an address only once one is cut
    starts = ["/", "/sitemap.xml", "/export/", "/healthz", "/language/?language=uk&next=/"]
    pages = crawl(client, starts)
    lax = {}
    for url, response in pages.items():
        policy = directives(response)
        if policy.get("script-src") != "'self'" or policy.get("default-src") != "'self'":
            lax[url] = response["Content-Security-Policy"]
    assert lax == {}
    reached = {resolve(urlsplit(url).path).url_name for url in pages}
    assert {p.name for _route, p in public_patterns()} - reached == set()
