"""Production refuses to start half-configured and serves only HTTPS, behind a proxy it trusts.

Settings are read once per process, so what happens at start is tested by starting
``manage.py`` in a subprocess with an environment built from nothing; what happens to a
request goes through the real middleware with the test client.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import checks
from django.test import Client
from django.urls import reverse

from tests.conftest import BEHIND_THE_PROXY
from tests.factories import make_event, make_user
from tracker.proxies import client_address

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def manage(env, *args):
    """Run manage.py with exactly ``env`` as its environment."""
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def last_line(result):
    return (result.stderr.strip().splitlines() or [""])[-1]


# Refusing to start


REQUIRED = ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "TRACKER_BASE_URL"]


def test_production_needs_the_four_variables_the_issue_names():
    assert set(settings.REQUIRED_IN_PRODUCTION) == set(REQUIRED)


def test_with_nothing_configured_the_start_is_refused_naming_every_variable(production_env):
    bare = {key: production_env[key] for key in ("PATH", "HOME", "LANG")}

    result = manage(bare, "check")

    assert result.returncode != 0
    error = last_line(result)
    assert error.startswith("django.core.exceptions.ImproperlyConfigured: ")
    for name in settings.REQUIRED_IN_PRODUCTION:
        assert name in error
    assert "DJANGO_DEBUG=1" in error, "manage.py must say how to run locally, not guess"


@pytest.mark.parametrize("missing", REQUIRED)
def test_one_missing_variable_is_named_alone(production_env, missing):
    production_env[missing] = " "

    result = manage(production_env, "check")

    assert result.returncode != 0
    error = last_line(result)
    named = [name for name in settings.REQUIRED_IN_PRODUCTION if name in error]
    assert named == [missing], error


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TRACKER_TRUSTED_PROXIES", "127.0.0.1, proxy.local", "'proxy.local'"),
        ("DJANGO_HSTS_SECONDS", "a year", "DJANGO_HSTS_SECONDS='a year': expected a whole"),
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG='maybe'"),
        ("TRACKER_BASE_URL", "tracker.example.org", "TRACKER_BASE_URL='tracker.example.org'"),
        ("REDIS_URL", "127.0.0.1:6379", "REDIS_URL='127.0.0.1:6379': expected e.g. redis://"),
    ],
)
def test_a_malformed_value_stops_the_start_naming_it(production_env, variable, value, message):
    production_env[variable] = value

    result = manage(production_env, "check")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in last_line(result)
    assert message in last_line(result)


def test_local_development_needs_only_debug(production_env):
    local = {key: production_env[key] for key in ("PATH", "HOME", "LANG")}
    local["DJANGO_DEBUG"] = "1"

    result = manage(local, "check")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_every_local_command_the_readme_shows_starts_as_written(production_env):
    """README's local commands are ``DJANGO_DEBUG=1 .venv/bin/python manage.py …`` or
    ``make`` targets: each written-out command starts with debug as its only setting, and
    every ``make`` recipe that runs ``manage.py`` sets debug (or the test settings)."""
    shown = re.findall(r"^DJANGO_DEBUG=1 \.venv/bin/python manage\.py (\w+)", README, re.M)
    assert len(shown) >= 3, shown
    local = {key: production_env[key] for key in ("PATH", "HOME", "LANG")}
    for command in sorted(set(shown)):
        result = manage(local | {"DJANGO_DEBUG": "1"}, command, "--help")
        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout.startswith(f"usage: manage.py {command}"), command

    recipes = (REPO / "Makefile").read_text(encoding="utf-8").splitlines()
    running = [line for line in recipes if line.startswith("\t") and "manage.py" in line]
    unset = [
        line
        for line in running
        if not line.lstrip().startswith(("$(DEV) ", "DJANGO_SETTINGS_MODULE=tests.settings "))
    ]
    assert len(running) >= 5
    assert unset == []


SHOW_THE_CACHE = (
    "from django.conf import settings; cache = settings.CACHES['default']; "
    "print(cache['BACKEND'], cache.get('LOCATION', ''))"
)


@pytest.mark.parametrize(
    ("extra", "backend", "location"),
    [
        # Production: Django's Redis backend (one client per pool), shared by every
        # worker and every server.
        (
            {"REDIS_URL": "redis://127.0.0.1:6379/2", "TRACKER_CACHE_DIR": "/srv/cache"},
            "tracker.caches.RedisCache",
            "redis://127.0.0.1:6379/2",
        ),
        # One server without Redis: a folder its workers share.
        ({"TRACKER_CACHE_DIR": "/srv/cache"}, "tracker.caches.SharedFileCache", "/srv/cache"),
        # make run (debug, nothing configured): the checkout's cache/ folder, shared too.
        ({"DJANGO_DEBUG": "1"}, "tracker.caches.SharedFileCache", str(REPO / "cache")),
    ],
    ids=["redis", "folder", "make-run"],
)
def test_the_page_cache_is_one_every_worker_shares(production_env, extra, backend, location):
    env = {**production_env, **extra}
    if "DJANGO_DEBUG" in extra:  # as make run starts: nothing but debug
        env = {key: production_env[key] for key in ("PATH", "HOME", "LANG")} | extra

    result = manage(env, "shell", "--no-imports", "-c", SHOW_THE_CACHE)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [backend, location]


def documented_production_environment():
    """The variables of README's "Running in production" environment file."""
    block = re.search(r"```sh\n# /etc/tracker/env\n(.*?)```", README, re.DOTALL)
    assert block, 'README\'s "Running in production" lost its /etc/tracker/env example'
    lines = [line for line in block.group(1).splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_the_documented_production_variables_pass_the_deploy_check(production_env):
    documented = documented_production_environment()
    assert set(settings.REQUIRED_IN_PRODUCTION) <= set(documented)
    env = {**{k: production_env[k] for k in ("PATH", "HOME", "LANG")}, **documented}
    # The README shows how to make a key; a real one is needed to pass.
    env["DJANGO_SECRET_KEY"] = production_env["DJANGO_SECRET_KEY"]

    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_asks_for_a_static_root_an_https_address_and_a_releases_folder(
    settings,
):
    settings.STATIC_ROOT = None
    settings.TRACKER_BASE_URL = "http://tracker.example.org"
    settings.STORAGES = {
        **settings.STORAGES,
        "releases": {**settings.STORAGES["releases"], "OPTIONS": {"location": None}},
    }

    found = checks.run_checks(include_deployment_checks=True)

    assert {"tracker.W001", "tracker.W002", "tracker.W004"} <= {message.id for message in found}


# HTTPS, directly and behind the proxy


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https():
    event = make_event()

    response = Client().get(event.get_absolute_url())

    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{event.get_absolute_url()}"


@pytest.mark.django_db
def test_over_https_browsers_are_told_to_stay_on_https(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
def test_cookies_are_only_sent_over_https(client):
    make_user("olena", is_staff=True, is_superuser=True)

    login_page = client.get("/admin/login/")
    assert login_page.cookies["csrftoken"]["secure"] is True

    logged_in = client.post("/admin/login/?next=/admin/", {"username": "olena", "password": "pw"})
    assert logged_in.status_code == 302
    assert logged_in.cookies["sessionid"]["secure"] is True
    assert logged_in.cookies["sessionid"]["httponly"] is True


@pytest.mark.django_db
def test_a_forged_forwarded_proto_from_an_untrusted_address_does_not_count():
    forger = Client(REMOTE_ADDR="203.0.113.9", headers=BEHIND_THE_PROXY)

    response = forger.get(reverse("home"))

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/"
    assert "HTTP_X_FORWARDED_PROTO" not in response.wsgi_request.META


@pytest.mark.django_db
def test_the_forwarded_proto_counts_from_a_trusted_proxy():
    proxy = Client(REMOTE_ADDR="127.0.0.1", headers=BEHIND_THE_PROXY)

    response = proxy.get(reverse("home"))

    assert response.status_code == 200
    assert response.wsgi_request.is_secure()


# Who sent the request


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("remote", "forwarded_for", "client"),
    [
        # A client talking to us directly: its own word about itself does not count.
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),
        # Through the proxy, which appends the address it saw.
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
        # Whatever the client wrote before the proxy appended is ignored.
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        # Through two trusted proxies (127.0.0.1, then 10.0.0.0/8).
        ("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3", "198.51.100.7"),
        # A proxy that said nothing, or nothing readable: the proxy is all we know.
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "unknown", "127.0.0.1"),
        # IPv6, and IPv4 seen through an IPv6 socket.
        ("::ffff:127.0.0.1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_client_address(settings, remote, forwarded_for, client):
    settings.TRACKER_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    headers = {**BEHIND_THE_PROXY, "X-Forwarded-For": forwarded_for}
    response = Client(REMOTE_ADDR=remote, headers=headers).get(reverse("home"))

    assert client_address(response.wsgi_request) == client


@pytest.mark.django_db
def test_forwarded_headers_from_an_untrusted_address_are_removed():
    headers = {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Host": "evil.example", "Forwarded": "x"}
    response = Client(REMOTE_ADDR="203.0.113.9", headers=headers).get(reverse("home"))

    meta = response.wsgi_request.META
    assert not {"HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST", "HTTP_FORWARDED"} & set(meta)


def test_every_variable_the_settings_read_is_in_readmes_configuration_table():
    source = (REPO / "tracker" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z_]+)\"", source))
    read |= set(re.findall(r"os\.environ\.get\(\s*\"([A-Z_]+)\"", source))
    read |= set(settings.REQUIRED_IN_PRODUCTION)
    table = README.split("## Configuration", 1)[1].split("\n\n", 3)[2]
    documented = set(re.findall(r"^\| `([A-Z_]+)`(?:, `([A-Z_]+)`)?", table, re.MULTILINE))
    documented = {name for pair in documented for name in pair if name}

    assert len(read) > 10
    assert read == documented
