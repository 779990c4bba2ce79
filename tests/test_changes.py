"""The public change log (/changes/, /changes/feed/) and each event's corrections, built
from the history the admin writes: publications, corrections in plain words, outcome
status moves, and withdrawals that name nothing."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from tests.conftest import proxied_client
from tests.crawl import crawl
from tests.factories import make_event, make_outcome, make_process, make_release, make_user
from tests.test_admin import admin_url, post_event_change
from tracker.changes import compared_fields
from tracker.columns import EVENTS
from tracker.models import Event, Outcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def publisher(client):
    """The admin, as a publisher: the real write paths (actions, forms, delete)."""
    client.force_login(make_user(username="pat-the-publisher", groups=["Publisher"]))
    return client


@pytest.fixture
def reader():
    return proxied_client()


def act(publisher, action, *events):
    response = publisher.post(
        admin_url("event", "changelist"),
        {"action": action, "_selected_action": [e.pk for e in events]},
    )
    assert response.status_code == 302


def correct(publisher, admin_form_data, event, **changes):
    response = post_event_change(publisher, admin_form_data, event, **changes)
    assert response.status_code == 302, response.content.decode()[:2000]


def visible_text(response):
    """The words a reader sees in the page's main part, one entry per line."""
    body = response.content.decode()
    main = body[body.index('<main id="content"') : body.index("</main>")]
    text = re.sub(r"<[^>]+>", " ", main)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return [line.replace("&#x27;", "'").replace("&quot;", '"') for line in lines if line]


def entries(reader):
    """The change log's first page, freshly rendered (its context)."""
    cache.clear()
    response = reader.get(reverse("changes"))
    assert response.status_code == 200
    return [(change.kind, change.headline, change.lines) for change in response.context["page"]]


def test_the_log_tells_publications_corrections_outcome_moves_and_withdrawals(
    publisher, admin_form_data, reader
):
    process = make_process(title="Istanbul talks")
    talks = make_event(
        title="Talks in Istanbul", slug="talks", status=Event.Status.DRAFT, process=process
    )
    outcome = make_outcome(event=talks, status=Outcome.Status.AGREED, description="An exchange.")
    correct(publisher, admin_form_data, talks, title="Talks in Istanbull")  # a draft's edit
    act(publisher, "publish", talks)
    correct(
        publisher,
        admin_form_data,
        talks,
        title="Talks in Istanbul",
        start_date="2025-05-15",
        summary="Rewritten.",
        kind=Event.Kind.SUMMIT,
    )
    correct(publisher, admin_form_data, talks)  # saved unchanged: no entry
    outcome.status = Outcome.Status.IMPLEMENTED
    outcome.save()
    leaving = make_event(title="Soon withdrawn", slug="soon-withdrawn", status=Event.Status.DRAFT)
    act(publisher, "publish", leaving)
    act(publisher, "unpublish", leaving)

    first = leaving.history.filter(status=Event.Status.PUBLISHED).last().history_date.date()
    today = timezone.localdate()
    assert entries(reader) == [
        (
            "withdrawn",
            f"An event first published on {first:%-d %B %Y} was withdrawn on {today:%-d %B %Y}.",
            [],
        ),
        (
            "outcome",
            "Outcome status changed: Talks in Istanbul",
            ["An exchange.: agreed → implemented"],
        ),
        (
            "corrected",
            "Corrected: Talks in Istanbul",
            [
                "Kind: «round of talks» → «summit»",
                "Title: «Talks in Istanbull» → «Talks in Istanbul»",
                "Start date: «16 May 2025» → «15 May 2025»",
                "Summary was rewritten.",
            ],
        ),
        ("published", "Published: Talks in Istanbul", []),
    ]
    page = reader.get(reverse("changes")).content.decode()
    assert 'href="/events/talks/"' in page
    assert "pat-the-publisher" not in page
    assert "Istanbull" in page  # the title as first published, in its correction


def test_edits_while_withdrawn_show_once_it_is_published_again(publisher, admin_form_data, reader):
    event = make_event(title="Minsk talks", slug="minsk", status=Event.Status.DRAFT)
    act(publisher, "publish", event)
    act(publisher, "unpublish", event)
    correct(publisher, admin_form_data, event, city="Minsk")
    correct(publisher, admin_form_data, event, venue="Palace of Independence")

    assert [kind for kind, _headline, _lines in entries(reader)] == ["withdrawn"]

    act(publisher, "publish", event)
    assert entries(reader)[0] == (
        "republished",
        "Published again: Minsk talks",
        ["Venue: «none» → «Palace of Independence»", "City: «Istanbul» → «Minsk»"],
    )
    corrections = reader.get(event.get_absolute_url()).context["corrections"]
    assert [c.kind for c in corrections] == ["republished", "withdrawn"]


def test_a_withdrawn_event_is_named_nowhere_public(publisher, admin_form_data, reader):
    """Publish, correct, withdraw one event and delete another published one: their
    titles, slugs and addresses appear on no page, in no feed, calendar or API answer."""
    kept = make_event(title="Kept talks", slug="kept-talks", status=Event.Status.DRAFT)
    withdrawn = make_event(title="Hidden talks", slug="hidden-talks", status=Event.Status.DRAFT)
    deleted = make_event(title="Erased summit", slug="erased-summit", status=Event.Status.DRAFT)
    make_outcome(event=withdrawn, description="Hidden exchange.")
    act(publisher, "publish", kept, withdrawn, deleted)
    correct(publisher, admin_form_data, withdrawn, title="Hidden talks again", slug="hidden-again")
    withdrawn.refresh_from_db()
    outcome = withdrawn.outcomes.get()
    outcome.status = Outcome.Status.IMPLEMENTED
    outcome.save()
    act(publisher, "unpublish", withdrawn)
    response = publisher.post(admin_url("event", "delete", deleted.pk), {"post": "yes"})
    assert response.status_code == 302
    make_release()  # a release cut afterwards holds neither, in its pages or its files

    secrets = ["Hidden talks", "hidden-talks", "hidden-again", "Hidden exchange", "Erased"]
    secrets += ["erased-summit"]
    starts = ["/", "/sitemap.xml", "/changes/", "/changes/feed/", "/feed/", "/export/"]
    starts += ["/calendar.ics", "/embed/timeline/", "/events/", kept.get_absolute_url()]
    starts += ["/data/releases/"]
    pages = crawl(reader, starts)
    api = ["/api/events/", "/api/processes/", "/api/conflicts/", "/api/parties/", "/api/people/"]
    for url in api:
        pages[url] = reader.get(url)
    for url in ("/events/hidden-talks/", "/events/hidden-again/", "/events/erased-summit/"):
        assert reader.get(url).status_code == 404
        assert reader.get("/api" + url).status_code == 404
    crawled = {"changes", "changes-feed", "calendar", "embed-timeline", "event-detail"}
    crawled |= {"release-list", "release-detail", "release-file"}
    assert crawled <= {response.resolver_match.url_name for response in pages.values()}
    for url, response in pages.items():
        body = getattr(response, "content_bytes", None) or response.content
        for secret in secrets:
            assert secret not in body.decode(), (url, secret)

    kinds = [kind for kind, *_ in entries(reader)]
    assert sorted(kinds) == ["published", "withdrawn", "withdrawn"]  # kept's publication


def test_the_feed_carries_the_log_with_a_unique_link_per_entry(publisher, admin_form_data, reader):
    event = make_event(title="Feed talks", slug="feed-talks", status=Event.Status.DRAFT)
    act(publisher, "publish", event)
    correct(publisher, admin_form_data, event, title="Feed talks <b>corrected</b>")
    act(publisher, "unpublish", make_event(title="Gone", slug="gone"))

    response = reader.get(reverse("changes-feed"))

    assert response["Content-Type"].startswith("application/atom+xml")
    feed = response.content.decode()
    ids = re.findall(r"<id>([^<]+)</id>", feed)[1:]
    assert len(ids) == len(set(ids)) == 3
    assert "Corrected: Feed talks &lt;b&gt;corrected&lt;/b&gt;" in feed
    assert "&lt;li&gt;Title: «Feed talks» → «Feed talks &amp;lt;b&amp;gt;corrected" in feed
    assert "gone" not in feed.lower()
    assert "pat-the-publisher" not in feed


def test_an_event_page_lists_its_own_corrections(publisher, admin_form_data, reader):
    event = make_event(title="Geneva talks", slug="geneva", status=Event.Status.DRAFT)
    other = make_event(title="Other talks", status=Event.Status.DRAFT)
    act(publisher, "publish", event, other)
    correct(publisher, admin_form_data, event, city="Geneva")
    correct(publisher, admin_form_data, other, city="Doha")

    page = visible_text(reader.get(event.get_absolute_url()))
    start = page.index("Corrections")
    today = date_format(timezone.localdate())
    assert page[start : start + 5] == [
        "Corrections",
        today,
        "Corrected: Geneva talks",
        "City: «Istanbul» → «Geneva»",
        "Every change to the record",
    ]
    assert "Doha" not in " ".join(page)
    assert "Corrections" not in visible_text(reader.get(make_event().get_absolute_url()))


def test_every_field_the_events_file_publishes_is_compared(publisher, reader):
    """The compared fields come from the column map: each field a column of the events
    file carries (but the number and the status) is compared, and no other."""
    carried = {column.chain[0][1].name for column in EVENTS.columns if column.field}
    assert {f.name for f in compared_fields()} == carried - {"id", "status"}
    assert not {f.name for f in compared_fields()} & set(Event.DERIVED)


def test_the_log_pages_and_its_queries_do_not_grow(publisher, admin_form_data, reader, settings):
    settings.TRACKER_PAGE_SIZE = 5

    def grow(n):
        events = [make_event(status=Event.Status.DRAFT) for _ in range(n)]
        act(publisher, "publish", *events)
        for event in events:  # corrected as a model write path does (Record.mark_changed)
            event.refresh_from_db()
            event.city = "Doha"
            event.mark_changed(by=None, reason="Corrected the city")
            event.save()
        act(publisher, "unpublish", *events[:1])

    grow(2)
    with CaptureQueriesContext(connection) as baseline:
        assert reader.get(reverse("changes")).status_code == 200
    grow(20)
    with CaptureQueriesContext(connection) as large:
        response = reader.get(reverse("changes") + "?page=2")
    assert response.status_code == 200
    assert len(large) <= len(baseline)
    assert response.context["page"].paginator.num_pages > 2
