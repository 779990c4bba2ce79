"""The page cache: one page per language, path and canonical query at each record version,
shared by everyone because public pages carry nothing of their visitor, and never older
than the record after any write path."""

import datetime
import gzip
import logging
import os
import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import translation

from tests.conftest import RECORDS, proxied_client
from tests.crawl import crawl
from tests.csvfiles import edit, export_all, import_texts, rows
from tests.factories import (
    carry_out,
    link,
    make_event,
    make_full_record,
    make_outcome,
    make_participation,
    make_person,
    make_process,
    make_release,
    make_user,
)
from tests.test_public_pages import grow
from tests.test_strict_params import public_patterns
from tracker import views
from tracker.imports.undo import revert_batch
from tracker.models import (
    Conflict,
    Event,
    EventLink,
    Implementation,
    ImportBatch,
    Party,
    Person,
    Process,
)
from tracker.models.events import EventQuerySet
from tracker.public import filtered_query
from tracker.seeds import load_seeds

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def lang(response):
    return re.search(r'<html lang="([^"]+)">', response.content.decode()).group(1)


def translated(code, text):
    with translation.override(code):
        return translation.gettext(text)


# One page per language, no cookie


def test_the_same_url_answers_in_each_language_cold_then_warm_with_no_cookie(client):
    make_event(title="Talks in Istanbul")
    for code in LANGUAGES:
        for state in ("miss", "hit"):
            response = client.get("/events/", headers={"Accept-Language": code})
            assert response.status_code == 200
            assert response["X-Page-Cache"] == state, (code, state)
            assert lang(response) == code
            assert translated(code, "Apply filters") in response.content.decode()
            assert "Set-Cookie" not in response.headers
            assert not response.cookies
            assert set(response["Vary"].split(", ")) >= {"Accept-Language", "Cookie"}
    assert translated("uk", "Apply filters") != translated("ru", "Apply filters")


def test_pages_are_sent_gzipped_to_browsers_that_accept_it_cold_and_warm(client):
    make_event(title="Talks in Istanbul")
    plain = client.get("/events/").content
    for state in ("miss", "hit"):
        response = proxied_client().get("/", headers={"Accept-Encoding": "gzip, br"})
        zipped = proxied_client().get("/events/", headers={"Accept-Encoding": "gzip, br"})
        assert zipped["X-Page-Cache"] == "hit"
        assert (response["Content-Encoding"], response["X-Page-Cache"]) == ("gzip", state)
        assert int(zipped["Content-Length"]) == len(zipped.content) < len(plain)
        assert gzip.decompress(zipped.content) == plain
        assert set(zipped["Vary"].split(", ")) >= {"Accept-Encoding", "Accept-Language", "Cookie"}
    unzipped = client.get("/events/")
    assert (unzipped.content, unzipped.has_header("Content-Encoding")) == (plain, False)


def test_the_language_cookie_wins_over_the_browser_and_shares_that_languages_page(client):
    make_event()
    client.get("/", headers={"Accept-Language": "ru"})
    reader = proxied_client()
    reader.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = reader.get("/", headers={"Accept-Language": "uk"})
    assert (lang(response), response["X-Page-Cache"]) == ("ru", "hit")
    assert not response.cookies


def test_a_visitors_other_cookies_neither_split_the_cache_nor_reach_the_page(client):
    """Only the language cookie counts: a visitor's CSRF token, a stale session or a
    tracker's cookie neither make another page nor show in the one everyone gets."""
    make_event(title="Talks in Istanbul")
    visitor = proxied_client()
    cookies = {"csrftoken": "k" * 32, "sessionid": "no-such-session", "_ga": "GA1.2.345"}
    for name, value in cookies.items():
        visitor.cookies[name] = value
    first = visitor.get("/events/")
    second = proxied_client().get("/events/")
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert first.content == second.content
    assert not [value for value in cookies.values() if value in first.content.decode()]
    # Nothing is set; Django's session middleware only deletes the stale session cookie.
    assert {name: morsel.value for name, morsel in first.cookies.items()} == {"sessionid": ""}
    assert not second.cookies


def test_the_language_switch_sets_the_cookie_and_goes_back_without_a_token(client):
    make_event(slug="talks")
    page = client.get("/events/?kind=summit").content.decode()
    form = re.search(
        r'<form class="language" action="([^"]+)" method="get">(.*?)</form>', page, re.S
    )
    assert form
    assert "csrfmiddlewaretoken" not in form.group(2)
    assert 'name="next" type="hidden" value="/events/?kind=summit"' in form.group(2)

    response = client.get(form.group(1), {"language": "uk", "next": "/events/?kind=summit"})

    assert response.status_code == 302
    assert response["Location"] == "/events/?kind=summit"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert (cookie.value, bool(cookie["secure"]), cookie["samesite"]) == ("uk", True, "Lax")
    assert "no-store" in response["Cache-Control"]
    assert lang(client.get("/events/?kind=summit")) == "uk"


@pytest.mark.parametrize(
    ("query", "status", "where"),
    [
        ({"language": "fr", "next": "/"}, 400, None),
        ({"language": "uk", "next": "https://evil.example/"}, 302, "/"),
        ({"language": "uk", "next": "//evil.example/"}, 302, "/"),
        ({"language": "uk"}, 302, "/"),
    ],
)
def test_the_language_switch_refuses_unknown_languages_and_other_sites(
    client, query, status, where
):
    response = client.get("/language/", query)
    assert response.status_code == status
    if where:
        assert response["Location"] == where
    else:
        assert "language: choose one of en, uk, ru." in response.content.decode()


def test_every_public_page_type_sets_no_cookie_cold_or_warm(load_record, client):
    """Walks the site from the home page, the sitemap and the health check; every public
    URL pattern must be reached (the language switch, whose point is its cookie, apart)."""
    load_record("seeds")
    make_release()
    for _visit in ("cold", "warm"):
        pages = crawl(client, ["/", "/sitemap.xml", "/export/", "/healthz"])
        for url, response in pages.items():
            assert response.status_code == 200, url
            assert not response.cookies, f"{url} sets {list(response.cookies)}"
            assert "csrfmiddlewaretoken" not in getattr(response, "content", b"").decode(
                errors="replace"
            ), url
    reached = {resolve(urlsplit(url).path).url_name for url in pages}
    patterns = {p.name for _route, p in public_patterns()} - {"language"}
    assert patterns - reached == set()


def test_staff_get_fresh_pages_with_their_previews(client, admin_client_for):
    make_event(slug="draft", title="Draft talks", status=Event.Status.DRAFT)
    assert client.get("/events/draft/").status_code == 404
    staff = admin_client_for(make_user("olena"))
    for _ in range(2):
        response = staff.get("/events/draft/")
        assert (response.status_code, response["X-Page-Cache"]) == (200, "bypass")
    assert proxied_client().get("/events/draft/").status_code == 404


def test_one_page_per_canonical_query(client):
    make_event(kind=Event.Kind.SUMMIT)
    first = client.get("/events/?kind=summit&date_after=2025-5-1")
    second = client.get("/events/?utm_source=mail&date_after=2025-05-01&kind=summit&q=")
    other = client.get("/events/?kind=summit")
    assert [r["X-Page-Cache"] for r in (first, second, other)] == ["miss", "hit", "miss"]
    assert first.content == second.content


def test_a_cached_page_costs_one_query(client, django_assert_num_queries):
    make_full_record()
    client.get("/")
    with django_assert_num_queries(1):  # the record version
        assert client.get("/")["X-Page-Cache"] == "hit"


def test_a_cached_event_page_costs_two_queries(client, django_assert_num_queries):
    """The shared number, then the versions of the event, its neighbours and the events
    linked to it, however many, in one statement."""
    record = make_full_record()
    for n in range(5):
        link(record["talks"], make_event(title=f"Linked {n}"), EventLink.Relation.FOLLOWS)
    make_release()  # the page cites it, at no query more
    page = record["talks"].get_absolute_url()
    client.get(page)
    with django_assert_num_queries(2):
        assert client.get(page)["X-Page-Cache"] == "hit"


def test_a_cached_list_with_filters_costs_three_queries_until_a_write(
    client, django_assert_num_queries
):
    """A query with filters is read by its FilterSet once per record version (and
    language): the next reader of a list narrowed to a process pays for the record's
    numbers, the versions of the process's events, and the record's number once more
    (:func:`tracker.views.event_list_versions`). A write has the query read again:
    a process renamed no longer answers to its old slug."""
    record = make_full_record()
    process = record["process"]
    url = f"/events/?kind=round_of_talks&process={process.slug}"
    assert client.get(url)["X-Page-Cache"] == "miss"
    with django_assert_num_queries(3):
        assert client.get(url)["X-Page-Cache"] == "hit"
    client.get("/events/?kind=round_of_talks")
    with django_assert_num_queries(1):  # the other lists are keyed by the record's numbers
        assert client.get("/events/?kind=round_of_talks")["X-Page-Cache"] == "hit"
    old_slug, process.slug = process.slug, "istanbul-renamed"
    process.mark_changed(by=None, reason="Renamed by a test of the page cache")
    process.save()
    assert client.head(url).status_code == 400  # HEAD answers from the FilterSet alone
    response = client.get(url)
    assert response.status_code == 400
    assert "process" in response.content.decode()
    assert client.get(url.replace(old_slug, process.slug)).status_code == 200


def test_a_list_narrowed_to_a_process_stays_cached_while_events_elsewhere_are_saved(
    client, admin_client_for, admin_form_data
):
    """A list narrowed to a process (or a conflict) is keyed by that part's events, the
    shared records and the filters' options: saving an event of another process leaves
    it cached; saving one of its own events, or publishing elsewhere an event that puts
    a new person in the filters' options, renders it again at once."""
    record = make_full_record()
    talks, istanbul = record["talks"], record["process"]
    geneva = make_process(slug="geneva", title="Geneva talks")
    elsewhere = make_event(process=geneva, slug="in-geneva", title="Consultations in Geneva")
    reader = proxied_client()
    here = f"/events/?process={istanbul.slug}"
    narrowed = [here, f"{here}&kind={talks.kind}", f"/events/?conflict={istanbul.conflict.slug}"]
    there = f"/events/?process={geneva.slug}"
    for page in [*narrowed, there]:
        cached(reader, page)

    editor = admin_client_for(make_user("olena", is_superuser=True))
    url = f"/admin/tracker/event/{elsewhere.pk}/change/"
    data = admin_form_data(editor.get(url)) | {"title": "Consultations in Geneva, resumed"}
    assert editor.post(url, data).status_code == 302
    for page in narrowed[:2]:
        assert reader.get(page)["X-Page-Cache"] == "hit", page
    for page in (there, narrowed[2], "/events/"):  # the conflict holds both processes
        response = reader.get(page)
        assert response["X-Page-Cache"] == "miss", page
        assert "Consultations in Geneva, resumed" in response.content.decode(), page

    url = f"/admin/tracker/event/{talks.pk}/change/"
    data = admin_form_data(editor.get(url)) | {"title": "Istanbul talks, second day"}
    assert editor.post(url, data).status_code == 302
    for page in narrowed:
        response = reader.get(page)
        assert response["X-Page-Cache"] == "miss", page
        assert "Istanbul talks, second day" in response.content.decode(), page
    assert reader.get(there)["X-Page-Cache"] == "hit"

    draft = make_event(
        process=geneva, slug="lake-talks", title="Talks at the lake", status=Event.Status.DRAFT
    )
    make_participation(event=draft, person=make_person(name="Ivanna Kowalczyk", slug="ik"))
    assert ("ik", "Ivanna Kowalczyk") not in options(cached(reader, here), "person")
    url = f"/admin/tracker/event/{draft.pk}/change/"
    data = admin_form_data(editor.get(url)) | {"status": Event.Status.PUBLISHED}
    assert editor.post(url, data).status_code == 302
    response = reader.get(here)
    assert response["X-Page-Cache"] == "miss"
    assert ("ik", "Ivanna Kowalczyk") in options(response.content.decode(), "person")


def narrowed_lists():
    """Every list narrowed to one public process or conflict."""
    processes = Process.objects.public().values_list("slug", flat=True)
    conflicts = Conflict.objects.public().values_list("slug", flat=True)
    return [f"/events/?process={slug}" for slug in processes] + [
        f"/events/?conflict={slug}" for slug in conflicts
    ]


def test_narrowed_lists_from_the_cache_are_what_a_fresh_render_gives_after_each_write(
    record, client
):
    """Each kind of write, through the import and its revert (the bulk write paths), on
    each record: every list narrowed to a process or a conflict, asked for again, is
    byte for byte what it is rendered afresh with the cache emptied."""
    reader = proxied_client()
    pages = narrowed_lists()
    assert len(pages) >= 2
    files = export_all(client)
    events = Event.objects.published().select_related("process").order_by("sort_date", "pk")
    first, last = events.first(), events.last()
    other = (
        Process.objects.public()
        .select_related("conflict")
        .exclude(pk=first.process_id)
        .order_by("pk")
        .first()
    )
    assert other is not None

    def move(row):  # one event to another process, another retitled
        if row["slug"] == first.slug:
            row["process"], row["process_title"] = other.slug, other.title
            row["conflict"], row["conflict_name"] = other.conflict.slug, other.conflict.name
        if row["slug"] == last.slug:
            row["title"] += " (corrected)"

    dropped = next(row for row in rows(files["participations"]) if row["event"] == last.slug)
    writes = [
        ("events", lambda text: edit(text, move)),
        ("participations", lambda text: edit(text, lambda row: row != dropped)),
    ]

    def compare(why):
        kept = {page: reader.get(page).content for page in pages}
        cache.clear()
        fresh = {page: reader.get(page).content for page in pages}
        for page in pages:
            assert kept[page] == fresh[page], (why, page)

    for page in pages:
        reader.get(page)
    for table, change in writes:
        report = import_texts({table: change(files[table])}, user=make_user(f"u-{table}"))
        compare(f"import of {table}")
    revert_batch(batch=ImportBatch.objects.get(pk=report.batch.pk), user=make_user("taras"))
    compare("revert of the last import")


@pytest.mark.parametrize("where", ["before the events are read", "after the key is read"])
def test_a_narrowed_list_rendered_across_a_write_is_not_kept_for_later_readers(
    client, monkeypatch, where
):
    """Another worker's save commits while a narrowed list is being keyed: the next
    reader gets what a fresh render gives, not a page that mixes the timeline kept
    before the write with the events after it."""
    record = make_full_record()
    talks, page = record["talks"], f"/events/?process={record['process'].slug}"
    cached(client, page)
    writes = []

    def save_elsewhere():
        if not writes:
            writes.append(talks.pk)
            event = Event.objects.get(pk=talks.pk)
            event.title = "Retitled while the page was being keyed"
            event.mark_changed(by=None, reason="A save in another worker")
            event.save()

    if where == "before the events are read":
        digest = EventQuerySet.versions_digest
        monkeypatch.setattr(
            EventQuerySet, "versions_digest", lambda qs: (save_elsewhere(), digest(qs))[1]
        )
    else:
        options = views.record_options_digest
        monkeypatch.setattr(
            views, "record_options_digest", lambda: (save_elsewhere(), options())[1]
        )
    client.get(page)
    monkeypatch.undo()
    assert writes
    kept = client.get(page).content
    cache.clear()
    assert kept == client.get(page).content


def test_tracking_parameters_do_not_multiply_the_kept_filter_readings(client):
    make_full_record()
    for source in ("mail", "feed", "social"):
        response = client.get(f"/events/?kind=round_of_talks&utm_source={source}")
        assert response.status_code == 200
    assert filtered_query.cache_info().currsize == 1


def test_page_versions_refuses_events_it_cannot_read_as_one_table():
    shown = Event.objects.published()
    for events in (shown.union(Event.objects.all()), shown.filter(process__slug="x")):
        with pytest.raises(ValueError, match="their own columns only"):
            events.page_versions("any")


def shown_versions(event):
    """What an event's page shows of the events, found by the ORM as the page finds it:
    the event, its neighbours in its process (``before``, ``after``) among published
    events, and the events linked to it or to its agreements, whatever their status."""
    neighbours = Event.objects.published().filter(process=event.process).exclude(pk=event.pk)
    rows = [(event.pk, event.version)]
    for found in (neighbours.before(event).reverse(), neighbours.after(event)):
        rows += list(found.values_list("pk", "version")[:1])
    linked = {
        *EventLink.objects.filter(from_event=event).values_list("to_event", flat=True),
        *EventLink.objects.filter(to_event=event).values_list("from_event", flat=True),
        *Implementation.objects.filter(outcome__event=event).values_list("event", flat=True),
        *Implementation.objects.filter(event=event).values_list("outcome__event", flat=True),
    }
    return rows + sorted(Event.objects.filter(pk__in=linked).values_list("pk", "version"))


def test_an_event_pages_versions_are_what_the_page_shows_for_every_event(record, unpublished):
    """The one statement of ``page_versions`` against the ORM's ``before``, ``after`` and
    links, for every published event of each record with drafts among them, and for
    events that tie on their sort date, with and without a time."""
    process = Event.objects.published().first().process
    day = datetime.date(2022, 3, 1)
    ties = [
        make_event(process=process, slug=f"tie-{n}", start_date=day, start_time=time)
        for n, time in enumerate((None, datetime.time(9), None, datetime.time(9), datetime.time(8)))
    ]
    make_event(process=process, slug="tie-draft", start_date=day, status=Event.Status.DRAFT)
    carry_out(make_outcome(event=ties[0]), ties[1])
    link(ties[2], unpublished[0])
    shown = Event.objects.published()
    events = list(shown.select_related("process"))
    assert len(events) > len(ties)
    for event in events:
        assert shown.page_versions(event.slug) == shown_versions(event), event.slug
    assert shown.page_versions(unpublished[0].slug) == []
    assert shown.page_versions("no-such-event") == []


# One render per page at a time


@pytest.mark.django_db(transaction=True)
def test_after_a_write_one_request_renders_and_the_others_wait_for_it(caplog, settings):
    settings.TRACKER_PAGE_WAIT_SECONDS = 60
    make_full_record()
    assert [proxied_client().get("/")["X-Page-Cache"] for _ in range(2)] == ["miss", "hit"]
    make_event(title="Talks after the page was cached")  # the write that invalidates it
    caplog.set_level(logging.DEBUG, logger="tracker.page_cache")
    readers = 8
    barrier = threading.Barrier(readers)

    def read(_n):
        try:
            barrier.wait(timeout=30)
            response = proxied_client().get("/")
            return response.status_code, response["X-Page-Cache"], response.content
        finally:
            connection.close()

    with ThreadPoolExecutor(readers) as pool:
        answers = list(pool.map(read, range(readers)))

    renders = [r for r in caplog.records if r.getMessage().startswith("Rendering the page")]
    assert len(renders) == 1
    assert sorted(state for _status, state, _body in answers) == ["hit"] * 7 + ["miss"]
    assert {(status, body) for status, _state, body in answers} == {(200, answers[0][2])}
    assert b"Talks after the page was cached" in answers[0][2]


@pytest.mark.django_db(transaction=True)
def test_pages_rendered_together_after_a_write_compute_what_they_share_once(caplog, settings):
    """``/`` and every page of ``/events/`` draw the whole record's timeline, and the list
    pages the same filter options: rendered at once after a write, they compute each
    once, the others waiting for it (``per_record_version``), and all show the write."""
    settings.TRACKER_PAGE_WAIT_SECONDS = 60
    make_full_record()
    make_event(title="Talks after the pages were cached")  # the write
    caplog.set_level(logging.DEBUG, logger="tracker.page_cache")
    pages = ["/", "/events/", "/events/?page=2", "/events/?page=3"] * 2
    barrier = threading.Barrier(len(pages))

    def read(page):
        try:
            barrier.wait(timeout=30)
            response = proxied_client().get(page)
            return response.status_code, response.content.decode()
        finally:
            connection.close()

    with ThreadPoolExecutor(len(pages)) as pool:
        answers = list(pool.map(read, pages))

    computed = [r.getMessage().split(" for ")[0] for r in caplog.records]
    computed = [m for m in computed if m.startswith("Computing")]
    assert sorted(computed) == ["Computing event filter options", "Computing timeline"]
    assert {status for status, _body in answers} == {200}
    assert all("Talks after the pages were cached" in body for _status, body in answers)


# Every write path shows at the next request


def cached(client, url, *words):
    """Ask for ``url`` twice, the second time from the cache; return its words."""
    client.get(url)
    response = client.get(url)
    assert response["X-Page-Cache"] == "hit"
    return response.content.decode()


def test_an_admin_save_shows_at_the_next_request(client, admin_client_for, admin_form_data):
    record = make_full_record()
    talks = record["talks"]
    assert "Istanbul talks" in cached(client, talks.get_absolute_url())
    assert "Istanbul talks" in cached(client, "/events/")

    editor = admin_client_for(make_user("olena", is_superuser=True))
    url = f"/admin/tracker/event/{talks.pk}/change/"
    data = admin_form_data(editor.get(url)) | {"title": "Istanbul talks, second day"}
    assert editor.post(url, data).status_code == 302

    for page in (talks.get_absolute_url(), "/events/", "/"):
        response = proxied_client().get(page)
        assert response["X-Page-Cache"] == "miss", page
        assert "Istanbul talks, second day" in response.content.decode(), page


def test_an_event_save_renders_again_only_the_pages_that_show_that_event(
    client, admin_client_for, admin_form_data
):
    """Event pages are keyed by the events they show: saving one leaves an unrelated
    event's page cached, and every page that shows it is rendered again at once."""
    record = make_full_record()
    talks = record["talks"]
    make_event(process=talks.process, slug="earlier", start_date=datetime.date(2025, 1, 10))
    geneva = make_process(slug="geneva", title="Geneva talks")
    follow_up = make_event(process=geneva, slug="follow-up", title="Follow-up in Geneva")
    link(follow_up, talks, EventLink.Relation.FOLLOWS)
    unrelated = make_event(process=geneva, slug="unrelated", start_date=datetime.date(2020, 1, 1))
    reader = proxied_client()
    showing_talks = {
        talks.get_absolute_url(): "itself",
        "/events/exchange/": "the next event, linked",
        "/events/earlier/": "the previous event",
        "/events/follow-up/": "linked from another process",
        "/events/": "the list",
        "/": "the home page",
    }
    for page in [*showing_talks, "/events/unrelated/"]:
        assert "Istanbul talks" in cached(reader, page) or page == "/events/unrelated/"

    editor = admin_client_for(make_user("olena", is_superuser=True))
    url = f"/admin/tracker/event/{talks.pk}/change/"
    data = admin_form_data(editor.get(url)) | {"title": "Istanbul talks, second day"}
    assert editor.post(url, data).status_code == 302

    for page, why in showing_talks.items():
        response = reader.get(page)
        assert response["X-Page-Cache"] == "miss", why
        assert "Istanbul talks, second day" in response.content.decode(), why
    assert reader.get(unrelated.get_absolute_url())["X-Page-Cache"] == "hit"

    delete = f"/admin/tracker/event/{follow_up.pk}/delete/"
    assert editor.post(delete, {"post": "yes"}).status_code == 302
    assert "Follow-up in Geneva" not in reader.get(talks.get_absolute_url()).content.decode()


def test_a_change_beyond_events_shows_on_every_event_page_at_the_next_request(
    client, admin_client_for, admin_form_data
):
    """A person, party, process or source shows on many event pages: changing one
    renders them all again."""
    record = make_full_record()
    reader = proxied_client()
    pages = [record["talks"].get_absolute_url(), record["exchange"].get_absolute_url()]
    for page in pages:
        cached(reader, page)
    editor = admin_client_for(make_user("olena", is_superuser=True))
    for model, obj, field, value in (
        ("person", Person.objects.get(slug="rustem-umerov"), "name", "Rustem Umierov"),
        ("process", record["process"], "title", "Istanbul direct talks, 2025"),
    ):
        url = f"/admin/tracker/{model}/{obj.pk}/change/"
        data = admin_form_data(editor.get(url)) | {field: value}
        assert editor.post(url, data).status_code == 302
        page = pages[0] if model == "person" else pages[1]
        response = reader.get(page)
        assert response["X-Page-Cache"] == "miss", model
        assert value in response.content.decode(), model


def options(page, name):
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)[1:]


def test_the_filters_lists_of_names_are_read_once_per_write_and_follow_it(
    client, admin_client_for, admin_form_data, django_assert_max_num_queries
):
    """Every list page draws the same people and parties: read once per record version,
    and a rename is in every list's select at the next request."""
    make_full_record()
    reader = proxied_client()
    first = reader.get("/events/").content.decode()
    assert options(first, "person") == [("rustem-umerov", "Rustem Umerov")]
    assert options(first, "party") == [
        (p.slug, p.name) for p in Party.objects.public().order_by("name", "pk")
    ]
    with django_assert_max_num_queries(7):  # the lists of names come from the cache
        assert reader.get("/events/?kind=summit")["X-Page-Cache"] == "miss"

    editor = admin_client_for(make_user("olena", is_superuser=True))
    umerov = Person.objects.get(slug="rustem-umerov")
    url = f"/admin/tracker/person/{umerov.pk}/change/"
    data = admin_form_data(editor.get(url)) | {"name": "Rustem Umierov"}
    assert editor.post(url, data).status_code == 302
    for page in ("/events/", "/events/?kind=summit"):
        names = options(reader.get(page).content.decode(), "person")
        assert names == [("rustem-umerov", "Rustem Umierov")], page


def test_a_publish_through_the_admin_shows_at_the_next_request(client, admin_client_for):
    draft = make_event(slug="draft", title="Talks at the lake", status=Event.Status.DRAFT)
    assert "Talks at the lake" not in cached(client, "/events/")
    assert client.get("/events/draft/").status_code == 404

    publisher = admin_client_for(make_user("root", is_superuser=True))
    action = {"action": "publish", "_selected_action": [draft.pk]}
    assert publisher.post("/admin/tracker/event/", action).status_code == 302

    assert "Talks at the lake" in client.get("/events/").content.decode()
    assert client.get("/events/draft/").status_code == 200


def test_an_import_and_its_revert_show_at_the_next_request(client):
    make_full_record()
    files = export_all(client)
    assert "Istanbul talks" in cached(client, "/events/istanbul-talks/")

    def retitle(row):
        if row["slug"] == "istanbul-talks":
            row["title"] = "Istanbul talks (imported)"

    report = import_texts({"events": edit(files["events"], retitle)}, user=make_user("root"))
    assert "Istanbul talks (imported)" in client.get("/events/istanbul-talks/").content.decode()
    assert "Istanbul talks (imported)" in cached(client, "/events/")

    revert_batch(batch=ImportBatch.objects.get(pk=report.batch.pk), user=make_user("taras"))
    for page in ("/events/istanbul-talks/", "/events/"):
        body = without_corrections(client.get(page).content.decode())
        assert "Istanbul talks (imported)" not in body, page
        assert "Istanbul talks" in body, page


def test_loading_changed_seeds_shows_at_the_next_request(client, tmp_path):
    seeds = shutil.copytree(RECORDS["second_conflict"], tmp_path / "seeds")
    load_seeds(directory=seeds)
    page = "/events/2012-02-exploratory-talks-havana/"
    assert "Secret exploratory talks" in cached(client, page)

    events = Path(seeds) / "events" / "2012" / "colombia-farc-ep-talks-2012-2016.yaml"
    text = events.read_text(encoding="utf-8")
    events.write_text(
        text.replace("title: Secret exploratory talks", "title: Exploratory talks", 1),
        encoding="utf-8",
    )
    load_seeds(directory=seeds, update=True)

    body = without_corrections(client.get(page).content.decode())
    assert "Exploratory talks between" in body
    assert "Secret exploratory talks" not in body


def without_corrections(body):
    """An event page without its “Corrections”, which quotes the old values on purpose."""
    return re.sub(r'<section [^>]*class="corrections">.*?</section>', "", body, flags=re.S)


# When the cache is down, pages still answer; the health check says so


@pytest.fixture
def closed_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def cache_down(settings, closed_port):
    settings.CACHES = {
        "default": {
            "BACKEND": "tracker.caches.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_the_health_check_answers_200_with_no_cookie_and_no_caching(client):
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    assert "X-Page-Cache" not in response


def test_the_health_check_answers_503_when_the_cache_does_not(client, cache_down):
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (503, b"failing: cache\n")
    assert "no-store" in response["Cache-Control"]


ASK_FOR_HEALTH = """
from django.test import Client
proxy = Client(headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"})
response = proxy.get("/healthz")
print(response.status_code, response.content.decode().strip(), sorted(response.cookies))
"""


def test_the_health_check_answers_503_when_the_database_does_not(production_env, closed_port):
    """A production process whose PostgreSQL server does not answer (nothing listens on
    its port) says so, naming the database; the cache (a folder here) still answers."""
    import subprocess
    import sys

    env = production_env | {
        "DATABASE_URL": f"postgres://tracker@127.0.0.1:{closed_port}/tracker",
        "TRACKER_CACHE_DIR": production_env["DJANGO_STATIC_ROOT"] + "-cache",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", ASK_FOR_HEALTH],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "503 failing: database []"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: .ci/run's pass")
def test_the_redis_cache_keeps_one_client_for_its_calls(settings):
    """``tracker.caches.RedisCache`` builds one client per connection pool, where Django's
    builds one per call (Django gives each thread a cache object of its own)."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {"BACKEND": "tracker.caches.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }

    def write_and_read(n):
        clients = set()
        for step in range(3):
            cache.set(f"thread:{n}", (n, step))
            clients.add(id(cache._cache.get_client(write=True)))
        return cache.get(f"thread:{n}"), clients

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(write_and_read, range(8)))
    assert [value for value, _clients in answers] == [(n, 2) for n in range(8)]
    assert {len(clients) for _value, clients in answers} == {1}


def test_a_cache_that_does_not_answer_is_asked_once_per_request(client, cache_down, caplog):
    """The page, the lists of names and the timeline each ask the cache: once it has
    failed, the rest of the request does without it rather than waiting on it again."""
    make_event(title="Talks at the lake")
    caplog.set_level(logging.WARNING, logger="tracker.page_cache")
    response = client.get("/events/")
    assert response.status_code == 200
    assert "Talks at the lake" in response.content.decode()
    failures = [r.getMessage() for r in caplog.records if r.name == "tracker.page_cache"]
    assert failures == ["The page cache did not answer (get)"]


def test_pages_answer_when_the_cache_does_not(client, cache_down):
    make_event(title="Talks at the lake")
    for _ in range(2):
        response = client.get("/events/")
        assert response.status_code == 200
        assert "Talks at the lake" in response.content.decode()


def test_process_pages_follow_their_events(client, admin_client_for):
    process = make_process(slug="lake", title="Lake talks")
    make_event(process=process, title="First round")
    assert "First round" in cached(client, "/processes/lake/")
    make_event(process=process, title="Second round")
    assert "Second round" in client.get("/processes/lake/").content.decode()


def test_a_page_reads_the_record_version_once(client):
    """The page's key, its filters and the values it draws from the cache (the lists of
    names, the timeline) are keyed by one reading of the record version."""
    make_full_record()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/events/?kind=round_of_talks")
    assert response["X-Page-Cache"] == "miss"
    reads = [q["sql"] for q in queries.captured_queries if '"tracker_recordversion"' in q["sql"]]
    assert len(reads) == 1


@pytest.mark.parametrize("url", ["/", "/events/"])
def test_home_and_the_event_list_run_at_most_eight_queries_uncached(
    client, django_assert_max_num_queries, url
):
    grow(30)
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert (response.status_code, response["X-Page-Cache"]) == (200, "miss")


def test_the_deploy_check_warns_when_workers_would_not_share_the_page_cache(settings):
    from django.core import checks

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert "tracker.W003" in {m.id for m in checks.run_checks(include_deployment_checks=True)}
    settings.CACHES = {
        "default": {
            "BACKEND": "tracker.caches.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }
    assert "tracker.W003" not in {m.id for m in checks.run_checks(include_deployment_checks=True)}
