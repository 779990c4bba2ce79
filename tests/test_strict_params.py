"""Every public page takes only the parameters it declares: its FilterSet's fields, its
extras and the documented tracking parameters. Anything else answers 400, naming it."""

import html
import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import make_event, make_process
from tracker.filters import EventFilter
from tracker.models import Event
from tracker.params import TRACKING, filter_parameters

pytestmark = pytest.mark.django_db


def public_patterns(patterns=None, prefix=""):
    """``[(route, pattern)]`` for every URL outside the admin, walked from the resolver."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith("admin/"):
            continue
        if isinstance(pattern, URLResolver):
            found += public_patterns(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            found.append((route, pattern))
    return found


def test_every_public_url_declares_its_parameters():
    patterns = public_patterns()
    undeclared = [route for route, p in patterns if not hasattr(p.callback, "public")]
    assert len(patterns) >= 15
    assert undeclared == []


def test_the_filterset_fields_are_read_from_the_filterset():
    """A filter added to the FilterSet is taken by every page that declares it."""
    assert set(filter_parameters(EventFilter)) == set(EventFilter().form.fields)
    assert {"q", "date_after", "date_before", "process", "kind", "country"} <= set(
        filter_parameters(EventFilter)
    )


@pytest.mark.django_db
def test_a_query_without_filters_is_what_the_filterset_would_answer():
    """Pages skip the FilterSet when no filter is given (tracker.public.canonical_query):
    for every page that declares filters, an empty FilterSet is valid and writes back
    nothing, so the shortcut answers as the FilterSet would."""
    declared = {p.callback.public for _route, p in public_patterns()}
    with_filters = {parameters for parameters in declared if parameters.filters}
    assert with_filters
    for parameters in with_filters:
        form = parameters.filters(QueryDict()).form
        assert form.is_valid(), (parameters, form.errors)
        extras = QueryDict("utm_source=x&" + "&".join(f"{e}=1" for e in parameters.extras))
        assert not parameters.filters_given(extras)
        assert parameters.canonical(extras, form.cleaned_data) == parameters.canonical(extras)


def test_a_query_with_a_filter_still_goes_through_the_filterset(client, summit):
    """A filter's value, even one the shortcut would pass, is read by the FilterSet."""
    assert client.get("/events/?kind=no-such-kind").status_code == 400
    assert client.get("/events/?kind=+summit+").status_code == 200


@pytest.fixture
def summit():
    process = make_process(slug="track")
    return make_event(
        process=process, slug="summit", title="Summit at the lake", kind=Event.Kind.SUMMIT
    )


# What each kind of page answers


PAGES = {
    "html": "/events/",
    "csv": "/export/events.csv",
    "json": "/events/timeline.json",
}


CASES = [
    ("kind_of=summit", "kind_of: unknown parameter: this page takes"),
    ("kind[]=summit", "kind[]: names take no brackets: write kind=… once per value."),
    ("kind=summit&kind=signing", "kind: given 2 times; give it once."),
]


def problem_text(response, answers):
    """The problems a 400 names, as “parameter: message” lines."""
    if answers == "json":
        return response.json()["errors"]
    body = response.content.decode()
    if answers == "csv":
        intro, problems = body.split("\n", 1)
        assert intro == "The filters could not be understood; no CSV was written."
        return problems
    assert "Some filters could not be understood" in body
    items = re.findall(r"<li><code>(.*?)</code>: (.*?)</li>", body)
    return "\n".join(f"{name}: {message}" for name, message in items)


@pytest.mark.parametrize(("query", "problem"), CASES)
@pytest.mark.parametrize("answers", list(PAGES))
def test_unknown_bracketed_and_repeated_parameters_answer_400_naming_them(
    client, summit, answers, query, problem
):
    response = client.get(f"{PAGES[answers]}?{query}")

    assert response.status_code == 400
    assert html.unescape(problem_text(response, answers)).startswith(problem)
    assert "Summit at the lake" not in response.content.decode()


def test_a_repeated_page_is_refused_and_the_csv_takes_no_page(client, summit):
    assert problem_text(client.get("/events/?page=1&page=2"), "html") == (
        "page: given 2 times; give it once."
    )
    refused = client.get("/export/events.csv?page=2")
    assert problem_text(refused, "csv").startswith("page: unknown parameter")


def test_the_unknown_parameter_message_lists_what_the_page_takes(client, summit):
    body = client.get("/events/?colour=red").content.decode()
    expected = ", ".join(sorted([*filter_parameters(EventFilter), "page"]))
    assert f"unknown parameter: this page takes {expected}." in body
    assert 'href="/events/"' in body


@pytest.mark.parametrize(
    "url",
    ["/", "/events/summit/", "/processes/track/", "/sitemap.xml", "/healthz"],
)
def test_pages_without_filters_refuse_any_parameter(client, summit, url):
    response = client.get(url, {"kind": "summit"})
    assert response.status_code == 400, url
    text = html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))
    assert "kind: unknown parameter: this page takes" in text


def test_a_page_that_shows_one_record_names_the_parameter_in_its_own_page(client, summit):
    response = client.get("/events/summit/?ref=home")
    assert response.status_code == 400
    assert "<code>ref</code>: unknown parameter: this page takes none." in (
        response.content.decode()
    )


@pytest.mark.parametrize("name", ["utm_source", "utm_campaign", "fbclid", "gclid", "_ga"])
def test_tracking_parameters_are_taken_and_dropped(client, summit, name):
    response = client.get("/events/", {"kind": "summit", name: "newsletter-7"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "newsletter-7" not in body
    assert 'name="next" type="hidden" value="/events/?kind=summit"' in body
    assert response.wsgi_request.GET.dict() == {"kind": "summit"}


def test_the_documented_tracking_parameters_are_the_ones_taken():
    from tests.test_deploy import README

    section = README.split("### Strict query parameters", 1)[1].split("\n#", 1)[0]
    for pattern in TRACKING:
        assert f"`{pattern}`" in section


def test_the_view_sees_the_canonical_query(client, summit):
    response = client.get("/events/?date_after=2025-5-1&kind=summit&q=%20talks%20&process=")
    assert response.status_code == 200
    request = response.wsgi_request
    assert request.GET.urlencode() == "date_after=2025-05-01&kind=summit&q=talks"
    assert request.get_full_path() == "/events/?date_after=2025-05-01&kind=summit&q=talks"


def test_invalid_values_still_answer_400_with_the_form_errors(client, summit):
    response = client.get("/events/?kind=picnic&utm_source=x")
    assert response.status_code == 400
    assert "Select a valid choice. picnic is not one of" in response.content.decode()


def test_public_pages_answer_get_and_head_only(client, summit):
    response = client.post("/events/", {"kind": "summit"})
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


# HEAD validates the filters and fetches no rows


@pytest.mark.parametrize("url", ["/events/", "/export/events.csv", "/export/outcomes.csv"])
def test_head_validates_the_filters_and_runs_no_row_query(client, summit, url):
    with CaptureQueriesContext(connection) as queries:
        valid = client.head(url, {"kind": "summit", "process": "track"})
        invalid = client.head(url, {"kind": "picnic"})
        unknown = client.head(url, {"colour": "red"})

    assert (valid.status_code, invalid.status_code, unknown.status_code) == (200, 400, 400)
    assert valid.content == b""
    # Each query with filters reads the record version (what the FilterSet's answer is
    # kept by, tracker.public.filtered_query); the process named is looked up, once.
    tables = [q["sql"] for q in queries.captured_queries]
    version = 'SELECT "tracker_recordversion"."number"'
    assert [sql for sql in tables if sql.startswith(version)] == [tables[0]] * 2
    rows = [sql for sql in tables if not sql.startswith(version)]
    assert len(rows) == 1
    assert rows[0].startswith('SELECT "tracker_process"."id"')
    expected = "text/csv; charset=utf-8" if url.endswith(".csv") else "text/html; charset=utf-8"
    assert valid["Content-Type"] == expected


def test_head_without_filters_runs_no_query_at_all(client, summit, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.head("/export/events.csv").status_code == 200


def test_the_export_page_links_still_carry_the_filters(client, summit):
    body = client.get(reverse("export"), {"kind": "summit", "utm_medium": "x"}).content.decode()
    assert "/export/events.csv?kind=summit" in body
    assert "utm_medium" not in body
