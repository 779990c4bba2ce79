"""Conflicts as records: their pages, the browse indexes, the conflict filter on every
output, old CSV files naming conflicts by name, and old slugs that redirect."""

import csv
import io

import pytest
from django.urls import URLPattern, get_resolver, reverse

from tests.csvfiles import import_texts
from tests.factories import (
    make_conflict,
    make_event,
    make_participation,
    make_party,
    make_person,
    make_process,
)
from tracker.imports import ImportRefused
from tracker.models import Conflict, Event, Party, Person, Process

pytestmark = pytest.mark.django_db

BOTH = ("russia-ukraine-war", "colombian-armed-conflict", "cyprus-dispute")


@pytest.fixture
def both(load_record):
    load_record("seeds")
    load_record("second_conflict")


@pytest.fixture
def hidden():
    """A conflict whose only events are drafts, with its own process, party and person."""
    conflict = make_conflict(name="Hidden war", slug="hidden-war")
    process = make_process(title="Hidden channel", slug="hidden-channel", conflict=conflict)
    event = make_event(
        process=process, title="Hidden meeting", slug="hidden-meeting", status=Event.Status.DRAFT
    )
    make_participation(
        event=event,
        party=make_party(name="Hidden party", slug="hidden-party"),
        person=make_person(name="Hidden envoy", slug="hidden-envoy"),
        role="mediator",
    )
    return conflict


def index_and_detail_urls():
    """Every public page without arguments and one page per public record for each
    detail route, walked from the URL resolver."""
    detail = {
        "conflict-detail": Conflict,
        "process-detail": Process,
        "party-detail": Party,
        "person-detail": Person,
        "event-detail": Event,
    }
    urls = []
    for pattern in get_resolver().url_patterns:
        if not isinstance(pattern, URLPattern) or not pattern.name:
            continue
        if not getattr(pattern.callback, "public", None):
            continue
        if pattern.name in detail:
            model = detail[pattern.name]
            rows = model.objects.published() if model is Event else model.objects.public()
            urls += [obj.get_absolute_url() for obj in rows]
        elif not pattern.pattern.converters:
            urls.append(reverse(pattern.name))
    return urls


def body_of(response):
    return (b"".join(response) if response.streaming else response.content).decode()


def test_new_pages_answer_with_both_records_and_no_draft_only_conflict(both, hidden, client):
    pages = {}
    for url in index_and_detail_urls():
        if url.startswith(("/healthz", "/language/")):
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = body_of(response)
    for url in ("/conflicts/", "/", "/processes/", "/parties/", "/people/"):
        assert url in pages
    for slug in BOTH:
        assert f"/conflicts/{slug}/" in pages
        assert f"/conflicts/{slug}/" in pages["/conflicts/"]
        assert f"/conflicts/{slug}/" in pages["/"]
    assert "/conflicts/cyprus-dispute/" in pages["/sitemap.xml"]
    for url, body in pages.items():
        for word in ("Hidden", "hidden-war", "hidden-channel", "hidden-party", "hidden-envoy"):
            assert word not in body, (url, word)
    for url in (
        "/conflicts/hidden-war/",
        "/processes/hidden-channel/",
        "/parties/hidden-party/",
        "/people/hidden-envoy/",
    ):
        assert client.get(url).status_code == 404, url
    for base in (
        "/events/",
        "/processes/",
        "/parties/",
        "/people/",
        "/feed/",
        "/export/events.csv",
    ):
        assert client.get(f"{base}?conflict=hidden-war").status_code == 400, base
        assert client.get(f"{base}?conflict=no-such-war").status_code == 400, base


def test_the_conflict_filter_narrows_list_chart_csv_feed_and_indexes(both, client):
    cyprus = Event.objects.published().filter(process__conflict__slug="cyprus-dispute")
    slugs = set(cyprus.values_list("slug", flat=True))
    assert len(slugs) == 7

    listing = client.get("/events/?conflict=cyprus-dispute")
    assert listing.context["page"].paginator.count == 7
    assert listing.context["timeline"]["row_count"] == 7
    assert 'href="/feed/?conflict=cyprus-dispute"' in listing.content.decode()

    exported = list(
        csv.DictReader(
            io.StringIO(body_of(client.get("/export/events.csv?conflict=cyprus-dispute")))
        )
    )
    assert {row["slug"] for row in exported} == slugs
    assert {(row["conflict"], row["conflict_name"]) for row in exported} == {
        ("cyprus-dispute", "Cyprus dispute")
    }
    participations = body_of(client.get("/export/participations.csv?conflict=cyprus-dispute"))
    assert {row["event"] for row in csv.DictReader(io.StringIO(participations))} <= slugs

    feed = body_of(client.get("/feed/?conflict=cyprus-dispute"))
    assert feed.count("<entry>") == 7

    processes = client.get("/processes/?conflict=cyprus-dispute").context["page"].object_list
    assert [p.slug for p in processes] == ["cyprus-talks-2015-2017"]
    assert processes[0].event_count == 7
    people = client.get("/people/?conflict=cyprus-dispute").context["page"].object_list
    assert "nicos-anastasiades" in {p.slug for p in people}
    assert not {p.slug for p in people} & {"rustem-umerov", "vladimir-medinsky"}
    parties = {
        p.slug
        for p in client.get("/parties/?conflict=colombian-armed-conflict")
        .context["page"]
        .object_list
    }
    assert "colombia" in parties
    assert "ukraine" not in parties

    page = client.get("/conflicts/cyprus-dispute/")
    assert page.context["summary"]["events"] == 7
    assert page.context["timeline"]["row_count"] == 7
    conflicts = {c.slug: c for c in client.get("/conflicts/").context["conflicts"]}
    assert conflicts["cyprus-dispute"].event_count == 7
    assert conflicts["russia-ukraine-war"].event_count == 47


def grow(n, conflict):
    for i in range(n):
        process = make_process(conflict=conflict)
        party = make_party()
        event = make_event(process=process)
        make_participation(event=event, party=party, person=make_person(party=party))
        make_participation(event=event, party=party, role="mediator")
        if i == 0:
            first = event
    return first


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/conflicts/", 2),
        ("/conflicts/{slug}/", 9),
        ("/processes/", 4),
        ("/processes/?conflict={slug}", 7),
        ("/parties/", 4),
        ("/parties/?conflict={slug}", 7),
        ("/people/", 4),
        ("/people/?conflict={slug}", 7),
    ],
)
def test_new_pages_take_the_same_queries_for_one_row_and_many(
    client, django_assert_num_queries, url, queries
):
    one = make_conflict(slug="one")
    grow(1, one)
    with django_assert_num_queries(queries):
        assert client.get(url.format(slug="one")).status_code == 200
    many = make_conflict(slug="many")
    grow(30, many)
    grow(5, make_conflict())
    with django_assert_num_queries(queries):
        assert client.get(url.format(slug="many")).status_code == 200


def test_indexes_paginate_by_fifty(client):
    grow(51, make_conflict(slug="big"))
    first = client.get("/processes/")
    assert len(first.context["page"].object_list) == 50
    assert len(client.get("/processes/?page=2").context["page"].object_list) == 1


@pytest.mark.parametrize("kind", ["event", "process", "party", "person", "conflict"])
def test_an_old_slug_redirects_permanently_to_the_new_one(client, kind):
    event = make_event(slug="talks")
    make_participation(
        event=event, party=make_party(slug="norway"), person=make_person(slug="envoy")
    )
    obj = {
        "event": event,
        "process": event.process,
        "party": Party.objects.get(slug="norway"),
        "person": Person.objects.get(slug="envoy"),
        "conflict": event.process.conflict,
    }[kind]
    obj = type(obj).objects.get(pk=obj.pk)
    old_url = obj.get_absolute_url()
    obj.slug = "renamed"
    obj.mark_changed(by=None, reason="renamed by a test")
    obj.save()
    obj.slug = "renamed-again"
    obj.mark_changed(by=None, reason="renamed again by a test")
    obj.save()

    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == obj.get_absolute_url()
    assert client.get(obj.get_absolute_url()).status_code == 200
    assert client.get(old_url.replace(obj.slug, "renamed")).status_code in (301, 404)


def test_an_old_slug_of_a_draft_only_record_stays_404(client, hidden):
    hidden = Conflict.objects.get(pk=hidden.pk)
    hidden.slug = "still-hidden"
    hidden.mark_changed(by=None, reason="renamed by a test")
    hidden.save()
    assert client.get("/conflicts/hidden-war/").status_code == 404


def test_an_old_file_names_its_conflict_by_name_matched_as_look_alikes_are():
    from tests.test_csv_files import old_files

    make_conflict(name="Russia-Ukraine War", slug="russia-ukraine-war")
    report = import_texts(old_files())
    assert report.counts["events"] == {"created": 47}
    assert set(Process.objects.values_list("conflict__slug", flat=True)) == {"russia-ukraine-war"}
    assert Conflict.objects.count() == 1


def test_an_old_file_naming_an_unknown_conflict_is_refused_listing_the_known_ones():
    from tests.test_csv_files import old_files

    make_conflict(name="Cyprus dispute", slug="cyprus-dispute")
    with pytest.raises(ImportRefused) as refused:
        import_texts(old_files())
    messages = {str(p) for p in refused.value.problems if p.column == "conflict"}
    assert messages
    assert all("unknown conflict 'Russia–Ukraine war'" in m for m in messages)
    assert all("Cyprus dispute [cyprus-dispute]" in m for m in messages)
    assert Conflict.objects.count() == 1
    assert not Event.objects.exists()


def test_a_new_file_names_its_conflict_by_slug_only():
    make_conflict(name="Oslo war", slug="oslo-war")
    header = "slug,process,process_title,conflict,conflict_name,kind,title,start_date\r\n"
    ok = header + "a,oslo,Oslo track,oslo-war,Oslo war,round_of_talks,Talks,2026-03-01\r\n"
    import_texts({"events": ok})
    assert Process.objects.get(slug="oslo").conflict.slug == "oslo-war"
    by_name = (
        header + "b,oslo2,Oslo track 2,Oslo war,Oslo war,round_of_talks,Talks 2,2026-03-02\r\n"
    )
    with pytest.raises(ImportRefused):
        import_texts({"events": by_name})
