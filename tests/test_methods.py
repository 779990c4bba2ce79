"""Only the methods a page needs are answered: GET and HEAD on public pages, POST too
where the admin has forms. Every URL pattern, walked from the resolver, answers any other
method 405 with an ``Allow`` header, before its view runs."""

import re

import pytest
from django.urls import URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern

from tests.conftest import proxied_client
from tests.factories import make_event
from tracker.middleware import API_METHODS, FORM_METHODS, PUBLIC_METHODS

pytestmark = pytest.mark.django_db

#: Methods no page answers (but the API answers OPTIONS, for CORS preflights).
REFUSED = ["TRACE", "OPTIONS", "PUT", "PATCH", "DELETE", "CONNECT", "PROPFIND"]
#: What fills a pattern's arguments: no view runs, so nothing has to exist.
FILLINGS = ["1", "tracker", "x"]


def patterns(entries=None, prefix=""):
    """``[(route, URLPattern)]`` for every URL of the site, the admin included."""
    found = []
    for entry in get_resolver().url_patterns if entries is None else entries:
        route = prefix + str(entry.pattern).lstrip("^")
        if isinstance(entry, URLResolver):
            found += patterns(entry.url_patterns, route)
        else:
            found.append((route, entry))
    return found


def example_path(route, pattern):
    """A path that resolves to ``pattern``, or None."""
    for filling in FILLINGS:
        path = re.sub(r"<(?:\w+:)?\w+>", filling, route)
        if not isinstance(pattern.pattern, RoutePattern):
            path = re.sub(r"\((?:\?P<\w+>)?[^()]*\)", filling, path).rstrip("$")
        try:
            if resolve("/" + path).func == pattern.callback:
                return "/" + path
        except Resolver404:
            continue
    return None


def test_every_url_refuses_the_methods_it_does_not_need(client):
    make_event()
    walked, unreachable, answered = 0, [], []
    for route, pattern in patterns():
        path = example_path(route, pattern)
        if path is None:
            unreachable.append(route)
            continue
        walked += 1
        public = hasattr(pattern.callback, "public")
        api = getattr(pattern.callback, "api", False)
        allowed = API_METHODS if api else PUBLIC_METHODS if public else FORM_METHODS
        for method in [m for m in [*REFUSED, "POST"] if m not in allowed]:
            response = client.generic(method, path)
            if response.status_code != 405 or response["Allow"] != ", ".join(allowed):
                answered.append(f"{method} {path}: {response.status_code}")
    assert unreachable == []
    assert walked >= 100
    assert answered == []


def test_the_methods_a_page_needs_still_answer(admin_client):
    event = make_event()
    client = proxied_client()
    assert client.get(event.get_absolute_url()).status_code == 200
    assert client.head(event.get_absolute_url()).status_code == 200
    assert client.get("/admin/login/").status_code == 200
    assert client.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 200
    assert admin_client.get("/admin/tracker/event/").status_code == 200
