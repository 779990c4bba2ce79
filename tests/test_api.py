"""The JSON API under /api/: the CSV's events in the CSV's order with the site's filters,
drafts never named, validators from the record version, CORS preflights, 405s, the rate
limit, 400s as JSON, a constant number of queries, and its OpenAPI description."""

import csv
import datetime
import io
import json

import pytest
from django.urls import reverse
from openapi_spec_validator import validate

from tests.factories import make_event, make_full_record, make_process
from tests.test_csv import download
from tracker.models import Event, SlugHistory

pytestmark = pytest.mark.django_db

EVENTS = reverse("api-event-list")


def walk(client, url=EVENTS, **params):
    """Every event the API lists for ``params``, following ``next`` links."""
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    events = response.json()["results"]
    while response.json()["next"]:
        response = client.get(response.json()["next"])
        assert response.status_code == 200, response.content
        events += response.json()["results"]
    return events


def csv_slugs(client, **params):
    return [row["slug"] for row in csv.DictReader(io.StringIO(download(client, **params)))]


# The CSV's events, in the CSV's order ----------------------------------------------------


FILTERS = [
    {},
    {"kind": "round_of_talks"},
    {"date_after": "2022-03-01", "date_before": "2025-06-30"},
    {"outcome_status": "agreed"},
    {"q": "talks"},
    {"country": "TR"},
]


@pytest.mark.parametrize("params", FILTERS, ids=lambda p: "&".join(p) or "all")
def test_the_api_lists_the_csv_events_in_the_csv_order(record, client, settings, params):
    settings.TRACKER_API_PAGE_SIZE = 4  # several pages, joined by their next links
    conflict = Event.objects.published().first().process.conflict.slug
    for query in (params, {**params, "conflict": conflict}):
        expected = csv_slugs(client, **query)
        assert [event["slug"] for event in walk(client, **query)] == expected, query
    assert len(csv_slugs(client)) >= 5


def test_an_event_carries_the_csv_rows_of_the_four_tables(client):
    record = make_full_record()
    talks, exchange = record["talks"], record["exchange"]
    source = talks.citations.get().source

    data = client.get(reverse("api-event-detail", args=["istanbul-talks"])).json()

    assert data == {
        "id": talks.pk,
        "slug": "istanbul-talks",
        "url": "https://testserver/events/istanbul-talks/",
        "process": "istanbul-2025",
        "process_title": "Istanbul direct talks",
        "conflict": "russia-ukraine-war",
        "conflict_name": "Russia–Ukraine war",
        "kind": "round_of_talks",
        "title": "Istanbul talks",
        "start_date": "2025-05-16",
        "end_date": None,
        "date_precision": "day",
        "period_position": "middle",
        "start_time": None,
        "duration": None,
        "duration_note": "",
        "venue": "",
        "city": "Istanbul",
        "region": "",
        "country": "TR",
        "status": "published",
        "summary": talks.summary,
        "source_notes": "",
        "unverified": "",
        "participants": [
            {
                "position": 1,
                "person": "rustem-umerov",
                "person_name": "Rustem Umerov",
                "party": "ukraine",
                "party_name": "Ukraine",
                "party_kind": "state",
                "party_country": "UA",
                "role": "head_of_delegation",
                "side": "ukraine",
                "side_name": "Ukraine",
                "title": "Minister of Defence of Ukraine",
                "note": "",
            },
            {
                "position": 2,
                "person": "",
                "person_name": "",
                "party": "turkiye",
                "party_name": "Türkiye",
                "party_kind": "state",
                "party_country": "TR",
                "role": "host",
                "side": "",
                "side_name": "",
                "title": "",
                "note": "",
            },
        ],
        "outcomes": [
            {
                "position": 1,
                "kind": "prisoner_exchange",
                "status": "agreed",
                "description": "Exchange prisoners of war.",
                "quantity": 1000,
                "unit": "prisoners of war per side",
                "note": "",
                "agreed_by": [
                    {"slug": "russia", "name": "Russia"},
                    {"slug": "ukraine", "name": "Ukraine"},
                ],
                "rejected_by": [],
                "carried_out_by": ["exchange"],
                "carried_out_in_part_by": [],
            }
        ],
        "sources": [
            {
                "url": source.url,
                "publisher": "Example News",
                "title": source.title,
                "published": "2025-05-16",
                "accessed": None,
                "archive_url": "",
                "supports": "",
            }
        ],
        "links": [],
    }
    links = client.get(reverse("api-event-detail", args=[exchange.slug])).json()["links"]
    assert links == [{"relation": "results_from", "to_event": "istanbul-talks", "note": ""}]


def test_approximate_dates_say_their_precision(client):
    make_event(
        slug="autumn-talks",
        start_date=datetime.date(2016, 11, 1),
        date_precision=Event.Precision.MONTH,
        period_position=Event.PeriodPosition.LATE,
        start_time=None,
        duration=datetime.timedelta(hours=1, minutes=55),
    )
    data = client.get(reverse("api-event-detail", args=["autumn-talks"])).json()
    assert (data["start_date"], data["date_precision"], data["period_position"]) == (
        "2016-11-01",
        "month",
        "late",
    )
    assert data["duration"] == "P0DT01H55M00S"


# Drafts ---------------------------------------------------------------------------------


def test_no_answer_of_the_api_names_an_unpublished_event(record, unpublished, client):
    bodies = [json.dumps(walk(client))]
    for name in ("conflict", "process", "party", "person"):
        for item in walk(client, reverse(f"api-{name}-list")):
            bodies.append(client.get(item["api_url"]).content.decode())
            assert client.get(item["events_url"]).status_code == 200
    for event in Event.objects.published():
        bodies.append(client.get(reverse("api-event-detail", args=[event.slug])).content.decode())
    for event in unpublished:
        response = client.get(reverse("api-event-detail", args=[event.slug]))
        assert response.status_code == 404
        assert [body for body in bodies if f'"{event.slug}"' in body] == []


def test_an_old_slug_redirects_to_the_event_in_the_api(client):
    event = make_event(slug="new-name")
    SlugHistory.remember(event, "old-name")
    response = client.get(reverse("api-event-detail", args=["old-name"]))
    assert (response.status_code, response["Location"]) == (301, "/api/events/new-name/")
    missing = client.get(reverse("api-event-detail", args=["nothing-here"]))
    assert (missing.status_code, missing.json()) == (404, {"detail": "There is no such record."})


# Validators --------------------------------------------------------------------------------


def test_a_304_then_a_withdrawal_then_a_200_without_the_event(client, admin_client):
    kept, withdrawn = make_event(slug="kept"), make_event(slug="withdrawn")
    first = client.get(EVENTS)
    assert [e["slug"] for e in first.json()["results"]] == ["kept", "withdrawn"]
    etag, modified = first["ETag"], first["Last-Modified"]

    again = client.get(EVENTS, headers={"If-None-Match": etag})
    since = client.get(EVENTS, headers={"If-Modified-Since": modified})
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    assert since.status_code == 304

    answer = admin_client.post(
        "/admin/tracker/event/", {"action": "unpublish", "_selected_action": [withdrawn.pk]}
    )
    assert answer.status_code == 302

    after = client.get(EVENTS, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after["ETag"] != etag
    assert [e["slug"] for e in after.json()["results"]] == ["kept"]
    detail = client.get(reverse("api-event-detail", args=["withdrawn"]))
    assert detail.status_code == 404
    assert kept.slug


def test_every_write_path_moves_the_validators(admin_client, admin_form_data):
    """Not only a withdrawal: a deletion, a change beyond events (a party's name, which
    events carry), an import and its revert each give the list a new ETag at once."""
    from tests.conftest import proxied_client
    from tests.csvfiles import edit, export_all, import_texts
    from tests.factories import make_user
    from tracker.imports.undo import revert_batch
    from tracker.models import ImportBatch, Party

    make_full_record()
    gone = make_event(slug="gone", title="An event to delete")
    reader = proxied_client()
    etags = [reader.get(EVENTS)["ETag"]]

    def moved(what):
        response = reader.get(EVENTS, headers={"If-None-Match": etags[-1]})
        assert response.status_code == 200, what
        assert response["ETag"] not in etags, what
        etags.append(response["ETag"])
        return response.json()["results"]

    delete = f"/admin/tracker/event/{gone.pk}/delete/"
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert "gone" not in [e["slug"] for e in moved("a deletion through the admin")]

    ukraine = Party.objects.get(slug="ukraine")
    url = f"/admin/tracker/party/{ukraine.pk}/change/"
    data = admin_form_data(admin_client.get(url)) | {"name": "Ukraina"}
    assert admin_client.post(url, data).status_code == 302
    assert "Ukraina" in json.dumps(moved("a party renamed through the admin"))

    def retitle(row):
        if row["slug"] == "istanbul-talks":
            row["title"] = "Istanbul talks (imported)"

    files = export_all(reader)
    report = import_texts({"events": edit(files["events"], retitle)}, user=make_user("taras"))
    assert "Istanbul talks (imported)" in json.dumps(moved("an import"))
    revert_batch(batch=ImportBatch.objects.get(pk=report.batch.pk), user=make_user("iryna"))
    assert "Istanbul talks (imported)" not in json.dumps(moved("the import's revert"))


def test_head_carries_the_validators_and_no_body(client):
    make_event()
    head, get = client.head(EVENTS, {"kind": "round_of_talks"}), client.get(EVENTS)
    assert (head.status_code, head.content) == (200, b"")
    assert head["ETag"] == get["ETag"]
    assert head["Last-Modified"] == get["Last-Modified"]


# Methods, CORS and the rate limit ------------------------------------------------------------


def test_options_answers_the_preflight_and_other_methods_are_refused(client):
    make_event(slug="talks")
    for url in (EVENTS, reverse("api-event-detail", args=["talks"])):
        preflight = client.options(
            url,
            headers={
                "Origin": "https://newsroom.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "if-none-match",
            },
        )
        assert preflight.status_code == 204
        assert preflight["Access-Control-Allow-Origin"] == "*"
        assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD"
        assert "If-None-Match" in preflight["Access-Control-Allow-Headers"]
        assert preflight["Allow"] == "GET, HEAD, OPTIONS"
        for method in ("POST", "PUT", "PATCH", "DELETE", "TRACE"):
            refused = client.generic(method, url)
            assert (refused.status_code, refused["Allow"]) == (405, "GET, HEAD, OPTIONS")
        read = client.get(url, headers={"Origin": "https://newsroom.example"})
        assert read["Access-Control-Allow-Origin"] == "*"
        assert "ETag" in read["Access-Control-Expose-Headers"]
    assert client.options("/events/").status_code == 405  # pages stay as they were


def test_each_address_is_limited_with_429_and_retry_after(client, settings):
    settings.TRACKER_API_RATE = "3/minute"
    make_event()
    assert [client.get(EVENTS).status_code for _ in range(3)] == [200] * 3
    refused = client.get(EVENTS)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused["Access-Control-Allow-Origin"] == "*"
    # Another client address (as the trusted proxy reports it) has its own count.
    other = client.get(EVENTS, headers={"X-Forwarded-For": "203.0.113.9"})
    assert other.status_code == 200
    # From an address that is no trusted proxy, X-Forwarded-For is not believed: each
    # forged address still counts against the one that sent it.
    forged = [
        client.get(
            EVENTS,
            REMOTE_ADDR="198.51.100.7",
            secure=True,
            headers={"X-Forwarded-For": f"10.0.0.{n}"},
        ).status_code
        for n in range(4)
    ]
    assert forged == [200, 200, 200, 429]


# Bad queries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("colour=red", "colour: unknown parameter: this page takes conflict, country, cursor,"),
        ("kind=summit&kind=signing", "kind: given 2 times; give it once."),
        ("kind[]=summit", "kind[]: names take no brackets"),
        ("kind=picnic", "kind: Select a valid choice. picnic is not one of"),
        ("date_after=2025-13-01", "date_after: Enter a valid date."),
        ("process=no-such-process", "process: Select a valid choice."),
        ("cursor=bm90IGEgY3Vyc29y", "cursor: not a cursor of this list"),
        ("cursor=%E2%9C%93", "cursor: not a cursor of this list"),
        ("cursor=WyIyMDI1LTEzLTAxIiwgbnVsbCwgIjIwMjUtMDEtMDEiLCAxXQ", "cursor: not a cursor"),
        ("cursor=WzEsMiwzXQ", "cursor: not a cursor of this list"),
    ],
)
def test_bad_queries_answer_400_with_a_json_body_naming_them(client, query, problem):
    make_event(title="Summit at the lake")
    response = client.get(f"{EVENTS}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"].startswith(problem)
    assert "Summit at the lake" not in response.content.decode()


def test_the_other_lists_take_their_index_filters(client):
    record = make_full_record()
    other = make_event(process=make_process(conflict="Another war"))
    parties = walk(client, reverse("api-party-list"), conflict="russia-ukraine-war")
    assert [p["slug"] for p in parties] == ["russia", "turkiye", "ukraine"]
    processes = walk(client, reverse("api-process-list"), conflict=other.process.conflict.slug)
    assert [p["slug"] for p in processes] == [other.process.slug]
    assert walk(client, reverse("api-process-list"), conflict="russia-ukraine-war")[0]["slug"] == (
        record["process"].slug
    )
    refused = client.get(reverse("api-party-list"), {"conflict": "nowhere"})
    assert refused.status_code == 400
    assert refused.json()["errors"].startswith("conflict: Select a valid choice.")


# Speed ----------------------------------------------------------------------------------------


def test_a_page_of_events_takes_the_same_queries_however_full(
    client, settings, django_assert_num_queries
):
    settings.TRACKER_API_PAGE_SIZE = 50
    make_full_record()
    with django_assert_num_queries(10):  # version, events, 8 prefetches of their rows
        assert len(client.get(EVENTS).json()["results"]) == 2
    for n in range(60):
        make_full_record_copy(n)
    with django_assert_num_queries(10):
        assert len(client.get(EVENTS).json()["results"]) == 50
    etag = client.get(EVENTS)["ETag"]
    with django_assert_num_queries(1):  # the version
        assert client.get(EVENTS, headers={"If-None-Match": etag}).status_code == 304


def make_full_record_copy(n):
    from tests.factories import cite, make_outcome, make_participation

    event = make_event(slug=f"copy-{n}")
    make_participation(event=event)
    make_outcome(event=event)
    cite(event)
    return event


# The description ---------------------------------------------------------------------------


def test_the_openapi_description_is_valid_and_describes_every_route(client):
    make_full_record()
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert sorted(schema["paths"]) == [
        "/api/conflicts/",
        "/api/conflicts/{slug}/",
        "/api/events/",
        "/api/events/{slug}/",
        "/api/parties/",
        "/api/parties/{slug}/",
        "/api/people/",
        "/api/people/{slug}/",
        "/api/processes/",
        "/api/processes/{slug}/",
    ]
    parameters = {p["name"] for p in schema["paths"]["/api/events/"]["get"]["parameters"]}
    from tracker.api.urls import urlpatterns

    event_list = next(p for p in urlpatterns if p.name == "api-event-list")
    assert parameters == set(event_list.callback.public.taken)


def test_every_answer_is_what_the_description_says(record, client):
    """The payloads of every route, on both records, against the schemas the OpenAPI
    description gives them: a column added to the field map, or a serializer changed,
    without the description following fails here."""
    from openapi_schema_validator import OAS30Validator

    schema = client.get(reverse("api-schema")).json()
    answers = {"/api/events/": client.get(EVENTS)}
    event = Event.objects.published().first()
    answers["/api/events/{slug}/"] = client.get(reverse("api-event-detail", args=[event.slug]))
    for name, plural in [("conflict", "conflicts"), ("process", "processes"),
                         ("party", "parties"), ("person", "people")]:  # fmt: skip
        listed = client.get(reverse(f"api-{name}-list"))
        answers[f"/api/{plural}/"] = listed
        answers[f"/api/{plural}/{{slug}}/"] = client.get(listed.json()["results"][0]["api_url"])
    assert set(answers) == set(schema["paths"])
    for path, response in answers.items():
        assert response.status_code == 200, path
        described = schema["paths"][path]["get"]["responses"]["200"]["content"]
        answer = {**described["application/json"]["schema"], "components": schema["components"]}
        validator = OAS30Validator(answer)
        errors = [f"{path}: {error.message}" for error in validator.iter_errors(response.json())]
        assert errors == []
        if path == "/api/events/":  # the check bites: a wrong type in a nested row fails
            wrong = response.json()
            wrong["results"][0]["participants"] = [{"position": "first"}]
            assert list(validator.iter_errors(wrong))
