"""With a real record loaded (the seeds, and a second conflict's record written as a test
fixture), every public page answers, draws its charts and shows the recorded facts."""

import html
import json
import math
import re

import pytest
from django.conf import settings
from django.urls import reverse

from tracker.columns import TABLES
from tracker.models import Event, Outcome, Participation, Party, Person, Process

pytestmark = pytest.mark.django_db


def text(response):
    """The page's visible words, tags stripped, entities decoded, whitespace collapsed."""
    body = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def chart(body, element_id):
    """The figure a page hands to Plotly in ``<script id=...>``, or None."""
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', body)
    return json.loads(found.group(1)) if found else None


def charted_urls(figure):
    """The event pages the markers of a timeline figure link to."""
    return {point[0] for trace in figure["data"] for point in trace.get("customdata", [])}


def urls_of(events):
    return {event.get_absolute_url() for event in events}


def timelines():
    """Every page with a timeline, with the published events its chart must draw."""
    published = Event.objects.published()
    everything = urls_of(published)
    pages = math.ceil(published.count() / settings.TRACKER_PAGE_SIZE)
    yield reverse("home"), everything
    for n in range(1, pages + 1):
        yield f"{reverse('event-list')}?page={n}", everything
    for process in Process.objects.filter(events__in=published).distinct():
        yield process.get_absolute_url(), urls_of(published.filter(process=process))
    shown = Participation.objects.filter(event__in=published)
    for party in Party.objects.public():
        involving = shown.involving(party).values("event")
        yield party.get_absolute_url(), urls_of(published.filter(pk__in=involving))
    for person in Person.objects.public():
        yield person.get_absolute_url(), urls_of(published.filter(participations__person=person))


def test_every_public_page_answers_draws_its_charts_and_names_no_unpublished_event(
    record, unpublished, client
):
    pages = {}
    for url, expected in timelines():
        response = client.get(url)
        assert response.status_code == 200, url
        body = pages[url] = response.content.decode()
        figure = chart(body, "timeline-data")
        assert figure is not None, f"{url} draws no timeline"
        assert charted_urls(figure) == expected, url
    for process in Process.objects.public():
        agreements = Outcome.objects.filter(
            event__in=Event.objects.published(), event__process=process
        )
        has_chart = chart(pages[process.get_absolute_url()], "follow-through-data") is not None
        assert has_chart == agreements.agreements().exists(), process.slug
    for event in Event.objects.published():
        response = client.get(event.get_absolute_url())
        assert response.status_code == 200, event.slug
        pages[event.get_absolute_url()] = response.content.decode()
    for name in ("feed", "sitemap", "export", *(f"{table}-csv" for table in TABLES)):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        content = b"".join(response) if response.streaming else response.content
        pages[reverse(name)] = content.decode()

    readable = {url: html.unescape(body) for url, body in pages.items()}
    for event in unpublished:
        assert client.get(event.get_absolute_url()).status_code == 404, event.slug
        for url, body in pages.items():
            assert event.slug not in body, f"{url} names the {event.status} {event.slug}"
            assert event.title not in readable[url], f"{url} names {event.title!r}"
    for person in Person.objects.exclude(participations__event__in=Event.objects.published()):
        assert client.get(person.get_absolute_url()).status_code == 404, person.slug
        assert all(person.get_absolute_url() not in body for body in pages.values())


@pytest.fixture
def second_conflict(load_record):
    return load_record("second_conflict")


def test_the_second_record_counts_and_dates_approximate_events_as_approximate(
    second_conflict, client
):
    summary = client.get(reverse("home")).context["summary"]
    assert summary == {"events": 27, "rounds": 12, "agreements": 26, "carried_out": 12}

    def when(slug):
        page = text(client.get(reverse("event-detail", args=[slug])))
        return page.split("When ", 1)[1].split(" Kind ", 1)[0]

    hint = "(the sources give only the month or year)"
    assert when("2016-11-congress-endorses-agreement") == (
        f"November 2016 (approx.) {hint} Where Bogotá, Colombia"
    )
    assert when("2012-02-exploratory-talks-havana").startswith(f"February 2012 (approx.) {hint}")
    assert when("2015-demining-pilot-el-orejon") == (
        f"2015 (approx.) {hint} Where El Orejón, Briceño, Antioquia, Colombia"
    )
    assert when("2016-09-17-farc-ep-tenth-conference").startswith(
        "17 September 2016 – 23 September 2016 Where Llanos del Yarí, Caquetá, Colombia"
    )
    assert when("2016-08-29-definitive-ceasefire").startswith(
        "29 August 2016 started at 00:00 local time"
    )
    process = client.get(reverse("process-detail", args=["colombia-farc-ep-talks-2012-2016"]))
    traces = chart(process.content.decode(), "timeline-data")["data"]
    symbols = {t["name"]: t["marker"]["symbol"] for t in traces if "marker" in t}
    assert symbols["other (approximate date)"] == "x-open"
    assert symbols["round of talks (approximate date)"] == "circle-open"
    (dashed,) = [t for t in traces if t.get("line", {}).get("dash") == "dash"]
    spans = list(zip(dashed["x"][0::3], dashed["x"][1::3], strict=True))
    assert spans == [
        ("2012-02-01", "2012-02-29"),
        ("2015-01-01", "2015-12-31"),
        ("2016-11-01", "2016-11-30"),
    ]


def test_the_second_record_keeps_names_scripts_and_roles_as_written(second_conflict, client):
    crans_montana = text(
        client.get(reverse("event-detail", args=["2017-06-28-crans-montana-conference"]))
    )
    assert "Mustafa Akıncı , Turkish Cypriot leader — Μουσταφά Ακιντζί" in crans_montana
    assert 'Νίκος Αναστασιάδης in Greek; "Nikos Anastasiadis" in Turkish' in crans_montana
    assert "İhlas Haber Ajansı (İHA), on Köylerim" in crans_montana
    assert "Facilitator Jeffrey Feltman" in crans_montana
    assert "Guarantor Nikos Kotzias" in crans_montana

    handshake = text(
        client.get(reverse("event-detail", args=["2015-09-23-santos-timochenko-handshake"]))
    )
    assert 'For FARC-EP Participant Rodrigo Londoño "Timochenko" , Commander' in handshake
    assert "lapsed agreement A final agreement to be signed within six months" in handshake
    assert "Observer Chile" in handshake

    guerrilla = text(client.get(reverse("party-detail", args=["farc-ep"])))
    assert "armed group" in guerrilla
    search = client.get(reverse("event-list"), {"q": "Λευκωσία"})
    assert [e.slug for e in search.context["page"]] == ["2015-05-15-cyprus-talks-resume"]

    # The UN coordinator and the bishops' conference are named only in a draft.
    sitemap = client.get(reverse("sitemap")).content.decode()
    for url in (
        reverse("party-detail", args=["colombian-episcopal-conference"]),
        reverse("person-detail", args=["fabrizio-hochschild"]),
    ):
        assert client.get(url).status_code == 404, url
        assert url not in sitemap


def test_the_feed_states_no_day_for_an_event_known_only_to_the_month_or_year(
    second_conflict, client
):
    feed = client.get(reverse("feed")).content.decode()
    titles = {html.unescape(t) for t in re.findall(r"<title>([^<]*)</title>", feed)}
    for event in Event.objects.published().exclude(date_precision=Event.Precision.DAY):
        (title,) = [t for t in titles if t.endswith(event.title)]
        assert event.start_date.isoformat() not in title, title


def test_search_ignores_case_in_every_script(second_conflict, client):
    def found(q):
        return [e.slug for e in client.get(reverse("event-list"), {"q": q}).context["page"]]

    for as_written, other_case in [
        ("Λευκωσία", "λευκωσία"),
        ("Bogotá", "BOGOTÁ"),
        ("Özdil", "özdil"),
    ]:
        expected = found(as_written)
        assert expected
        assert found(other_case) == expected, other_case


def test_the_home_page_counts_the_seeded_record(load_record, client):
    load_record("seeds")
    summary = client.get(reverse("home")).context["summary"]
    assert summary == {"events": 47, "rounds": 22, "agreements": 73, "carried_out": 29}


def test_the_16_may_2025_page_shows_who_chaired_led_and_what_was_carried_out(load_record, client):
    load_record("seeds")
    response = client.get(reverse("event-detail", args=["2025-05-16-istanbul-direct-talks"]))
    page = text(response)

    assert "When 16 May 2025 started at 13:35 local time just under two hours" in page
    assert "Where Dolmabahçe Palace, Istanbul, Türkiye" in page
    assert "Mediator or chair Hakan Fidan , Minister of Foreign Affairs of Turkey" in page
    assert "For Russia Head of delegation Vladimir Medinsky" in page
    assert "For Ukraine Head of delegation Rustem Umerov , Minister of Defence of Ukraine" in page
    assert "agreed prisoner exchange An exchange of 1,000 prisoners of war for 1,000" in page
    assert 'Carried out: <a href="/events/2025-05-23-1000-for-1000-exchange/">' in (
        response.content.decode()
    )
    assert "(23 May 2025 – 25 May 2025)" in page
    assert "rejected ceasefire Ukraine's demand for an immediate" in page
    assert "Rejected by: Russia" in page
    assert "discussed follow-up meeting A meeting between Putin and Zelensky" in page
    assert "Safarti Tarjuman International Desk" in page
    assert "Answered by" in page  # the leaders' call with Trump that same day

    exchange = client.get(reverse("event-detail", args=["2025-05-23-1000-for-1000-exchange"]))
    assert 'agreed at <a href="/events/2025-05-16-istanbul-direct-talks/">' in (
        exchange.content.decode()
    )
