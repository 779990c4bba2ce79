"""The public pages, through the Django test client and the real database."""

import datetime
import json
import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from tests.crawl import crawl
from tests.factories import (
    carry_out,
    cite,
    link,
    make_event,
    make_full_record,
    make_outcome,
    make_participation,
    make_party,
    make_person,
    make_process,
    make_release,
    make_source,
    make_user,
)
from tracker.models import Event, EventLink, Outcome
from tracker.releases import withdraw_release

pytestmark = pytest.mark.django_db


def chart_data(response, chart_id="timeline"):
    match = re.search(
        rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, f"no {chart_id} figure on the page"
    return json.loads(match.group(1))


def chart_points(figure):
    """The events drawn as markers: every marker trace that links to an event."""
    return [
        url[0]
        for trace in figure["data"]
        if trace.get("mode") == "markers" and trace.get("customdata")
        for url in trace["customdata"]
    ]


def listed_slugs(response):
    return [event.slug for event in response.context["page"].object_list]


def test_home_shows_the_timeline_counts_and_latest_events(client):
    make_full_record()
    make_event(title="Unrelated statement", kind=Event.Kind.STATEMENT)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert response.context["summary"] == {
        "events": 3,
        "rounds": 1,
        "agreements": 1,
        "carried_out": 1,
    }
    assert sorted(chart_points(chart_data(response))) == sorted(
        e.get_absolute_url() for e in Event.objects.all()
    )
    assert "Unrelated statement" in response.content.decode()


def test_home_without_events_says_so(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "No events have been published yet." in response.content.decode()


def test_timeline_marks_kinds_spans_and_approximate_dates(client):
    process = make_process(title="Lane")
    make_event(process=process, slug="exact", kind=Event.Kind.SUMMIT)
    make_event(
        process=process,
        slug="span",
        start_date=datetime.date(2025, 5, 23),
        end_date=datetime.date(2025, 5, 25),
    )
    make_event(
        process=process,
        slug="vague",
        start_date=datetime.date(2025, 3, 1),
        date_precision=Event.Precision.MONTH,
    )

    figure = chart_data(client.get(reverse("home")))

    markers = {
        url.split("/")[2]: (trace["name"], trace["marker"]["symbol"])
        for trace in figure["data"]
        if trace.get("mode") == "markers" and trace.get("customdata")
        for url, _hover in trace["customdata"]
    }
    assert markers == {
        "exact": ("summit", "star"),
        "span": ("round of talks", "circle"),
        "vague": ("round of talks (approximate date)", "circle-open"),
    }
    lines = {
        trace["line"]["dash"]: trace["x"] for trace in figure["data"] if trace["mode"] == "lines"
    }
    assert lines["solid"] == ["2025-05-23", "2025-05-25", None]
    assert lines["dash"] == ["2025-03-01", "2025-03-31", None]


def test_event_list_paginates_and_links_the_csv_with_the_same_query(client, settings):
    settings.TRACKER_PAGE_SIZE = 2
    process = make_process(slug="track")
    for day in range(1, 6):
        make_event(process=process, start_date=datetime.date(2025, 1, day), slug=f"e{day}")

    response = client.get(reverse("event-list"), {"process": "track", "page": "2"})

    assert response.status_code == 200
    assert listed_slugs(response) == ["e3", "e4"]
    assert response.context["page"].paginator.count == 5
    assert "5 events match." in response.content.decode()
    assert 'href="/export/events.csv?process=track"' in response.content.decode()
    assert len(chart_points(chart_data(response))) == 5


@pytest.mark.parametrize("page", ["0", "999", "abc"])
def test_an_out_of_range_page_shows_a_page_not_an_error(client, page):
    make_event()
    response = client.get(reverse("event-list"), {"page": page})
    assert response.status_code == 200
    assert len(listed_slugs(response)) == 1


# Filters: each one narrows the list, and the chart with it.


@pytest.fixture
def two_tracks():
    ukraine = make_party(name="Ukraine", slug="ukraine", country="UA")
    usa = make_party(name="United States", slug="usa", country="US")
    umerov = make_person(name="Rustem Umerov", slug="umerov", party=ukraine)
    witkoff = make_person(name="Steve Witkoff", slug="witkoff", party=usa)
    istanbul = make_process(title="Istanbul", slug="istanbul")
    washington = make_process(title="Washington", slug="washington")
    talks = make_event(
        process=istanbul,
        slug="talks",
        title="Istanbul talks",
        summary="Delegations met at the palace.",
        start_date=datetime.date(2025, 5, 16),
        country="TR",
    )
    call = make_event(
        process=washington,
        slug="call",
        title="Phone call",
        kind=Event.Kind.PHONE_CALL,
        start_date=datetime.date(2025, 8, 18),
        city="Washington",
        country="US",
    )
    make_participation(
        event=talks, person=umerov, party=ukraine, side=ukraine, role="head_of_delegation"
    )
    make_participation(event=call, person=umerov, party=ukraine, side=ukraine, role="delegate")
    make_participation(event=call, person=witkoff, party=usa, role="mediator")
    make_outcome(event=talks, status=Outcome.Status.AGREED)
    make_outcome(event=call, status=Outcome.Status.DISCUSSED)
    return {"talks": talks, "call": call}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["talks", "call"]),
        ({"q": "palace"}, ["talks"]),
        ({"q": "witkoff"}, ["call"]),
        ({"q": "WASHINGTON"}, ["call"]),
        ({"date_after": "2025-06-01"}, ["call"]),
        ({"date_before": "2025-06-01"}, ["talks"]),
        ({"date_after": "2025-05-16", "date_before": "2025-05-16"}, ["talks"]),
        ({"process": "istanbul"}, ["talks"]),
        ({"kind": "phone_call"}, ["call"]),
        ({"party": "usa"}, ["call"]),
        ({"party": "ukraine"}, ["talks", "call"]),
        ({"person": "umerov"}, ["talks", "call"]),
        ({"role": "mediator"}, ["call"]),
        ({"person": "umerov", "role": "head_of_delegation"}, ["talks"]),
        ({"person": "umerov", "role": "mediator"}, []),
        ({"outcome_status": "agreed"}, ["talks"]),
        ({"country": "US"}, ["call"]),
        ({"country": "FR"}, []),
    ],
)
def test_each_filter_narrows_the_list_and_the_chart(client, two_tracks, params, expected):
    response = client.get(reverse("event-list"), params)

    assert response.status_code == 200
    assert listed_slugs(response) == expected
    if expected:
        assert sorted(chart_points(chart_data(response))) == sorted(
            reverse("event-detail", args=[slug]) for slug in expected
        )
    else:
        assert "No events match these filters." in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_after": "2025-13-45"}, "date_after", "Enter a valid date."),
        ({"kind": "picnic"}, "kind", "Select a valid choice. picnic is not one of"),
        ({"process": "no-such-process"}, "process", "Select a valid choice."),
        ({"party": "atlantis"}, "party", "Select a valid choice."),
        ({"person": "nobody"}, "person", "Select a valid choice."),
        ({"role": "king"}, "role", "Select a valid choice."),
        ({"outcome_status": "maybe"}, "outcome_status", "Select a valid choice."),
        ({"country": "XX"}, "country", "Select a valid choice."),
        ({"q": "peace " * 40}, "q", "Ensure this value has at most 200 characters"),
        ({"q": "a b c d e f g h i j k"}, "q", "Search for at most 10 words."),
        (
            {"date_after": "2025-06-01", "date_before": "2025-01-01"},
            "date_before",
            "“Until” must not be before “From”.",
        ),
    ],
)
def test_invalid_filters_answer_400_with_the_error_and_no_events(
    client, two_tracks, params, field, message
):
    response = client.get(reverse("event-list"), params)

    assert response.status_code == 400
    assert message in " ".join(response.context["filter"].form.errors[field])
    body = response.content.decode()
    assert "Some filters could not be understood" in body
    assert listed_slugs(response) == []
    assert "Istanbul talks" not in body
    assert 'id="timeline-data"' not in body


# Event, process, party and person pages


def test_event_page_shows_participants_outcomes_implementations_and_sources(client):
    record = make_full_record()

    response = client.get(record["talks"].get_absolute_url())

    assert response.status_code == 200
    body = response.content.decode()
    assert "Rustem Umerov" in body
    assert "Minister of Defence of Ukraine" in body
    assert [str(side) for side, _roles in response.context["sides"]] == ["Ukraine", "None"]
    assert 'Carried out: <a href="/events/exchange/">1,000-for-1,000 exchange</a>' in body
    assert "1000 prisoners of war per side" in body
    assert "Report" in body
    assert "Example News" in body
    assert "Led to" in body  # the exchange results from the talks

    exchange = client.get(record["exchange"].get_absolute_url()).content.decode()
    assert "This event carried out" in exchange
    assert 'agreed at <a href="/events/istanbul-talks/">Istanbul talks</a>' in exchange
    assert "Results from" in exchange


def test_event_page_shows_caveats_precision_and_neighbours(client):
    process = make_process()
    first = make_event(process=process, slug="first", start_date=datetime.date(2025, 1, 1))
    middle = make_event(
        process=process,
        slug="middle",
        start_date=datetime.date(2025, 2, 1),
        date_precision=Event.Precision.MONTH,
        source_notes="TASS says 6,060; Ukraine counted 6,057.",
        unverified="Exact venue\nWho chaired",
    )
    last = make_event(process=process, slug="last", start_date=datetime.date(2025, 3, 1))

    response = client.get(middle.get_absolute_url())

    body = response.content.decode()
    assert "February 2025 (approx.)" in body
    assert "TASS says 6,060; Ukraine counted 6,057." in body
    assert "<li>Exact venue</li>" in body
    assert "<li>Who chaired</li>" in body
    assert (response.context["previous"], response.context["next"]) == (first, last)


def test_an_approximate_date_counts_for_its_whole_month():
    from tracker.filters import filter_events

    make_event(slug="march", start_date=datetime.date(2025, 3, 1), date_precision="month")
    make_event(slug="year", start_date=datetime.date(2025, 1, 1), date_precision="year")
    make_event(slug="exact", start_date=datetime.date(2025, 3, 1))

    _filterset, events = filter_events({"date_after": "2025-03-15"})
    assert sorted(events.values_list("slug", flat=True)) == ["march", "year"]


def test_party_filter_and_party_page_agree(client):
    ukraine = make_party(name="Ukraine", slug="ukraine")
    event = make_event(slug="by-person")
    make_participation(event=event, person=make_person(party=ukraine), role="delegate")

    listed = client.get(reverse("event-list"), {"party": "ukraine"}).context["page"].object_list
    page = client.get(ukraine.get_absolute_url())

    assert [e.slug for e in listed] == ["by-person"]
    assert [p.event.slug for p in page.context["participations"]] == ["by-person"]


def test_a_party_named_only_in_an_outcome_has_a_page(client):
    outcome = make_outcome()
    quartet = make_party(name="Quartet", slug="quartet", kind="coalition", country="")
    outcome.agreed_by.set([quartet])

    detail = client.get(outcome.event.get_absolute_url()).content.decode()
    page = client.get(quartet.get_absolute_url())

    assert 'href="/parties/quartet/"' in detail
    assert page.status_code == 200
    assert "the record names this party only in outcomes" in page.content.decode()


def test_unknown_pages_are_404(client):
    for url in ("/events/nope/", "/processes/nope/", "/parties/nope/", "/people/nope/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "There is no public page at this address." in response.content.decode()


def test_process_page_shows_timeline_participants_and_follow_through(client):
    record = make_full_record()
    make_outcome(event=record["talks"], status=Outcome.Status.BROKEN, description="A truce.")

    response = client.get(record["process"].get_absolute_url())

    assert response.status_code == 200
    assert len(chart_points(chart_data(response))) == 2
    follow = chart_data(response, "follow-through")
    series = {trace["name"]: trace["x"] for trace in follow["data"]}
    assert series == {
        "agreed": ["2025-05-16", "2025-05-16"],
        "carried out (in full or part)": ["2025-05-23"],
        "broken or lapsed": ["2025-05-16"],
    }
    body = response.content.decode()
    assert "Rustem Umerov" in body
    assert "Türkiye" in body
    assert "broken: not carried out" in body


def test_party_and_person_pages_show_roles_and_titles(client):
    record = make_full_record()
    umerov = record["talks"].participations.get(person__slug="rustem-umerov").person

    person = client.get(umerov.get_absolute_url())
    party = client.get(reverse("party-detail", args=["turkiye"]))

    assert person.status_code == party.status_code == 200
    assert "Head of delegation" in person.content.decode()
    assert "Minister of Defence of Ukraine" in person.content.decode()
    hover = chart_data(person)["data"][0]["customdata"][0][1]
    assert "Role: head of delegation (Minister of Defence of Ukraine)" in hover
    assert "Host" in party.content.decode()
    assert len(chart_points(chart_data(party))) == 1


def test_feed_and_sitemap_list_published_events(client):
    record = make_full_record()

    feed = client.get(reverse("feed"))
    sitemap = client.get(reverse("sitemap"))

    assert feed.status_code == sitemap.status_code == 200
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert "<title>16 May 2025: Istanbul talks</title>" in feed.content.decode()
    for url in (
        record["talks"].get_absolute_url(),
        record["process"].get_absolute_url(),
        "/people/rustem-umerov/",
        "/parties/turkiye/",
    ):
        assert f"https://testserver{url}</loc>" in sitemap.content.decode()


# Drafts never leak


def test_drafts_appear_nowhere_public(client):
    record = make_full_record()
    secret_party = make_party(name="Secret Mediator", slug="secret-mediator")
    secret_process = make_process(title="Secret channel", slug="secret-channel")
    for status in (Event.Status.DRAFT, Event.Status.REVIEW):
        draft = make_event(
            process=secret_process,
            title=f"Secret {status} meeting",
            slug=f"secret-{status}",
            status=status,
        )
        make_participation(event=draft, party=secret_party, role="mediator")
        outcome = make_outcome(event=draft, description="A secret deal.")
        carry_out(record["outcome"], draft)
        carry_out(outcome, record["exchange"])
        link(record["talks"], draft, EventLink.Relation.FOLLOWS)

    pages = [
        reverse("home"),
        reverse("event-list"),
        reverse("event-list") + "?q=secret",
        record["talks"].get_absolute_url(),
        record["exchange"].get_absolute_url(),
        record["process"].get_absolute_url(),
        reverse("party-detail", args=["turkiye"]),
        reverse("feed"),
        reverse("sitemap"),
        reverse("changes"),
        reverse("changes-feed"),
        reverse("calendar"),
        reverse("embed-timeline"),
    ]
    responses = {}
    for url in pages:
        response = responses[url] = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for word in ("Secret", "secret-draft", "secret-review", "A secret deal"):
            assert word not in body, (url, word)

    release = make_release()
    for url in (
        reverse("release-list"),
        release.get_absolute_url(),
        *(reverse("release-file", args=[release.version, f["name"]]) for f in release.files),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for word in ("Secret", "secret-draft", "secret-review", "A secret deal"):
            assert word not in body.decode(), (url, word)

    assert responses[reverse("home")].context["summary"]["events"] == 2
    make_participation(
        event=Event.objects.get(slug="secret-draft"),
        person=make_person(slug="secret-envoy"),
        role="mediator",
    )
    for url in (
        "/events/secret-draft/",
        "/events/secret-review/",
        "/processes/secret-channel/",
        "/parties/secret-mediator/",
        "/people/secret-envoy/",
        "/events/?person=secret-envoy",
        "/events/?process=secret-channel",
        "/events/?party=secret-mediator",
    ):
        assert client.get(url).status_code in (400, 404), url


def test_staff_preview_a_draft(client):
    draft = make_event(status=Event.Status.DRAFT, title="Draft talks")
    client.force_login(make_user(groups=["Editor"]))

    response = client.get(draft.get_absolute_url())

    assert response.status_code == 200
    assert "Preview: this event is a draft and is not public." in response.content.decode()


# Editor-typed text is shown as text


HOSTILE = {
    "title": "<script>alert('title')</script>",
    "summary": "<img src=x onerror=alert('summary')>",
    "venue": "javascript:alert('venue')",
}


def test_editor_text_is_escaped_on_pages_and_in_chart_json(client):
    party = make_party(name="<b onmouseover=alert(1)>Party</b>", slug="hostile")
    process = make_process(
        title='<a href="https://evil.example/">Lane</a>', conflict="<svg onload=alert(1)>War"
    )
    event = make_event(slug="hostile", process=process, **HOSTILE)
    make_participation(event=event, party=party, role="host")
    make_outcome(event=event, description="<script>alert('outcome')</script>")
    cite(event, make_source(url="", title="<i>Print</i>", publisher="Desk"))
    bad = make_source(url="https://example.org/x", title="Bad link")
    bad.url = "javascript:alert('url')"  # as if written past validation
    bad.save()
    cite(event, bad)

    withdraw_release(
        release=make_release(),
        reason="<script>alert('reason')</script>",
        by=make_user(groups=["Publisher"]),
    )
    # Every page a reader can reach, walked from the home page, the sitemap and the feed.
    pages = crawl(client, ["/", "/sitemap.xml", "/feed/", "/export/"])
    marked_up = {
        url: response.content.decode()
        for url, response in pages.items()
        if response["Content-Type"].startswith(("text/html", "application/atom+xml"))
    }
    reached = {resolve(urlsplit(url).path).url_name for url in marked_up}
    assert {"conflict-detail", "party-detail", "process-list", "event-detail"} <= reached
    for url, body in marked_up.items():
        assert "<script>alert" not in body, url
        assert "<img src=x" not in body, url
        assert "<b onmouseover" not in body, url
        assert "<svg onload" not in body, url
        assert 'href="javascript:' not in body, url

    detail = client.get(event.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in detail
    assert "&lt;img src=x onerror=alert(&#x27;summary&#x27;)&gt;" in detail
    assert "javascript:alert(&#x27;venue&#x27;)" in detail

    # Plotly decodes &amp; &lt; &gt; (not &quot;), so only those three are escaped.
    figure = chart_data(client.get(reverse("home")))
    hover = next(t for t in figure["data"] if t.get("customdata"))["customdata"][0][1]
    assert "&lt;script&gt;alert('title')&lt;/script&gt;" in hover
    assert "&lt;script&gt;alert('outcome')&lt;/script&gt;" in hover
    assert "javascript:alert('venue')" in hover
    assert "<script" not in json.dumps(figure)
    assert "<a href" not in json.dumps(figure)
    lane_labels = [
        note["text"] for note in figure["layout"]["annotations"] if note["name"] == "lane-label"
    ]
    assert '&lt;a<br>href="https://evil.example/"&gt;Lane&lt;/a&gt;' in lane_labels

    feed = client.get(reverse("feed")).content.decode()
    assert "&lt;img" not in feed.replace("&amp;lt;img", "")  # a reader decodes one level
    assert "&amp;lt;img src=x onerror=alert(&amp;#x27;summary&amp;#x27;)&amp;gt;" in feed


# Queries do not grow with the record


def grow(n):
    process = make_process(slug=f"p{n}")
    party = make_party(slug=f"party{n}")
    for i in range(n):
        event = make_event(process=process, start_date=datetime.date(2024, 1, 1 + i % 28))
        for _ in range(3):
            make_participation(event=event, party=party, person=make_person(party=party))
        make_outcome(event=event)
        make_outcome(event=event, status=Outcome.Status.IMPLEMENTED)
        cite(event)
    return process, party, event


@pytest.mark.parametrize(
    "page",
    [
        "home",
        "event-list",
        "event-detail",
        "process-detail",
        "party-detail",
        "person-detail",
        "changes",
        "calendar",
        "embed-timeline",
    ],
)
def test_query_count_does_not_grow_with_the_record(client, django_assert_max_num_queries, page):
    def url(process, party, event):
        return {
            "home": reverse("home"),
            "event-list": reverse("event-list") + "?q=event",
            "event-detail": event.get_absolute_url(),
            "process-detail": process.get_absolute_url(),
            "party-detail": party.get_absolute_url(),
            "person-detail": event.participations.first().person.get_absolute_url(),
            "changes": reverse("changes"),
            "calendar": reverse("calendar") + "?q=event",
            "embed-timeline": reverse("embed-timeline") + "?q=event",
        }[page]

    small = url(*grow(2))
    make_release()  # an event's page cites the latest release holding it
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(small).status_code == 200

    large = url(*grow(40))
    make_release()
    with django_assert_max_num_queries(len(baseline)):
        assert client.get(large).status_code == 200


# plotly.js comes from our own static files


def test_plotly_is_served_from_our_static_files(client):
    make_event()
    body = client.get(reverse("home")).content.decode()
    assert '<script src="/static/tracker/vendor/plotly.min.js" defer></script>' in body
    assert "cdn" not in body.lower()

    script = client.get("/static/tracker/vendor/plotly.min.js")
    assert script.status_code == 200
    assert b"plotly.js v" in b"".join(script.streaming_content)[:200]
