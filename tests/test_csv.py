"""The CSV files: exact text, filters, drafts, spreadsheet safety, round trip, import."""

import csv
import datetime
import io
import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.csvfiles import crlf
from tests.factories import (
    make_event,
    make_full_record,
    make_outcome,
    make_participation,
    make_process,
    make_source,
    make_user,
)
from tracker.cells import neutralise, restore
from tracker.columns import TABLES
from tracker.imports import ImportRefused, import_tables
from tracker.models import Citation, Event, EventLink, Outcome, Party, Person, Process, Source

pytestmark = pytest.mark.django_db

CSV_URLS = {name: reverse(f"{name}-csv") for name in TABLES}


def download(client, table="events", **params):
    response = client.get(CSV_URLS[table], params)
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8")


def rows(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_exact_csv_text_for_a_small_record(client):
    record = make_full_record()
    talks, exchange = record["talks"], record["exchange"]
    talks_source = talks.citations.get().source
    exchange_source = exchange.citations.get().source
    talks_summary = talks.summary
    exchange_summary = exchange.summary

    events = download(client)

    assert events == (
        "id,slug,url,process,process_title,conflict,conflict_name,kind,title,start_date,end_date,"
        "date_precision,period_position,start_time,duration,duration_note,venue,city,region,"
        "country,status,summary,source_notes,unverified,participants,outcomes,sources\r\n"
        f"{talks.pk},istanbul-talks,https://testserver/events/istanbul-talks/,istanbul-2025,"
        "Istanbul direct talks,russia-ukraine-war,Russia–Ukraine war,round_of_talks,"
        "Istanbul talks,2025-05-16,,"
        f"day,middle,,,,,Istanbul,,TR,published,{talks_summary},,,"
        '"Rustem Umerov (head of delegation, Ukraine); Türkiye (host)",'
        "agreed: Exchange prisoners of war.,"
        f"{talks_source.url} | Example News | {talks_source.title} | 2025-05-16\r\n"
        f"{exchange.pk},exchange,https://testserver/events/exchange/,istanbul-2025,"
        "Istanbul direct talks,russia-ukraine-war,Russia–Ukraine war,prisoner_exchange,"
        '"1,000-for-1,000 exchange",'
        f"2025-05-23,2025-05-25,day,middle,,,,,Istanbul,,TR,published,{exchange_summary},,,,,"
        f"{exchange_source.url} | Example News | {exchange_source.title} | 2025-05-16\r\n"
    )
    assert download(client, "participations") == (
        "event,position,person,person_name,party,party_name,party_kind,party_country,role,"
        "side,side_name,title,note\r\n"
        "istanbul-talks,1,rustem-umerov,Rustem Umerov,ukraine,Ukraine,state,UA,"
        "head_of_delegation,ukraine,Ukraine,Minister of Defence of Ukraine,\r\n"
        "istanbul-talks,2,,,turkiye,Türkiye,state,TR,host,,,,\r\n"
    )
    assert download(client, "outcomes") == (
        "event,position,kind,status,description,quantity,unit,note,agreed_by,rejected_by,"
        "carried_out_by,carried_out_in_part_by\r\n"
        "istanbul-talks,1,prisoner_exchange,agreed,Exchange prisoners of war.,1000,"
        'prisoners of war per side,,"Russia [russia]\nUkraine [ukraine]",,exchange,\r\n'
    )
    assert download(client, "links") == (
        "from_event,relation,to_event,note\r\nexchange,results_from,istanbul-talks,\r\n"
    )


def test_the_download_is_named_for_what_and_when(client):
    make_event()
    response = client.get(CSV_URLS["outcomes"])
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="outcomes-{today}.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_bom_on_request_only(client):
    make_event()
    assert download(client, bom="1").startswith("\ufeffid,slug,")
    assert download(client).startswith("id,slug,")
    assert download(client, bom="0").startswith("id,slug,")


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"date_after": "2025-13-45"}, "date_after: Enter a valid date."),
        ({"kind": "picnic"}, "kind: Select a valid choice."),
        ({"process": "nowhere"}, "process: Select a valid choice."),
        ({"bom": "yes"}, "bom: use bom=1"),
        ({"q": "a " * 1000}, "q: Ensure this value has at most 200 characters"),
        ({"q": "a " * 11}, "q: Search for at most 10 words."),
    ],
)
def test_an_invalid_filter_gets_400_in_plain_text_and_no_csv(client, params, names):
    """Including a search too long to run: the error comes before the first byte."""
    make_event()
    for url in CSV_URLS.values():
        response = client.get(url, params)
        assert response.status_code == 400
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        body = response.content.decode()
        assert names in body
        assert "no CSV was written" in body
        assert "id,slug" not in body
        assert "Content-Disposition" not in response.headers


@pytest.fixture
def varied():
    """Events that differ in every filtered property."""
    make_full_record()
    other = make_process(slug="other", title="Other track")
    call = make_event(
        process=other,
        slug="call",
        title="Phone call",
        kind=Event.Kind.PHONE_CALL,
        start_date=datetime.date(2025, 8, 1),
        country="US",
    )
    make_participation(event=call, role="mediator")
    make_outcome(event=call, status=Outcome.Status.DISCUSSED, description="A summit.")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "phone"},
        {"q": "umerov"},
        {"date_after": "2025-05-20"},
        {"date_before": "2025-05-20"},
        {"process": "other"},
        {"kind": "prisoner_exchange"},
        {"party": "ukraine"},
        {"person": "rustem-umerov"},
        {"role": "mediator"},
        {"outcome_status": "discussed"},
        {"country": "US"},
    ],
)
def test_each_filter_selects_exactly_the_rows_the_list_page_shows(client, varied, params):
    listed = client.get(reverse("event-list"), params).context["page"].object_list
    expected = [e.slug for e in listed]

    events = [r["slug"] for r in rows(download(client, **params))]
    outcomes = {r["event"] for r in rows(download(client, "outcomes", **params))}
    participations = {r["event"] for r in rows(download(client, "participations", **params))}

    assert events == expected
    assert outcomes <= set(expected)
    assert participations <= set(expected)
    assert outcomes == set(
        Outcome.objects.filter(event__slug__in=expected).values_list("event__slug", flat=True)
    )


def test_drafts_never_appear(client):
    record = make_full_record()
    draft = make_event(title="Secret draft", slug="secret-draft", status=Event.Status.DRAFT)
    make_participation(event=draft, role="delegate")
    secret = make_outcome(event=draft, description="Secret outcome")
    make_outcome(event=draft, description="Another secret")
    from tests.factories import carry_out

    carry_out(record["outcome"], draft)  # a draft carrying out a public agreement
    carry_out(secret, record["exchange"])

    for table in TABLES:
        text = download(client, table)
        assert "secret" not in text.lower(), table


def test_formula_cells_are_neutralised_and_come_back_intact(client):
    hostile = {
        "title": '=HYPERLINK("http://evil.example","click")',
        "summary": "+1+1",
        "venue": "-2",
        "city": "@SUM(A1)",
        "region": "\tTabbed",
        "duration_note": "'=already quoted",
    }
    event = make_event(slug="hostile", **hostile)
    make_outcome(event=event, description="=1+2", quantity=5, unit="-units")

    text = download(client)
    row = rows(text)[0]
    assert row["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["summary"] == "'+1+1"
    assert row["venue"] == "'-2"
    assert row["city"] == "'@SUM(A1)"
    assert row["region"] == "'\tTabbed"
    assert row["duration_note"] == "''=already quoted"
    assert row["start_date"] == "2025-05-16"
    outcome = rows(download(client, "outcomes"))[0]
    assert (outcome["description"], outcome["quantity"], outcome["unit"]) == (
        "'=1+2",
        "5",
        "'-units",
    )

    for value in [*hostile.values(), "=1+2", "-units", "plain", "'plain", "''=x"]:
        assert restore(neutralise(value)) == value


# Round trip: export, import into an empty database, export again.


def export_all(client):
    return {table: download(client, table) for table in TABLES}


def empty_the_record():
    Event.objects.all().delete()
    for model in (Process, Person, Party, Source):
        model.objects.all().delete()


def import_texts(texts, **options):
    files = {f"{name}.csv": io.BytesIO(text.encode()) for name, text in texts.items()}
    return import_tables(files=files, **options)


def test_export_import_export_is_byte_identical_for_each_record(record, client):
    published = Event.objects.published().count()
    first = export_all(client)

    empty_the_record()
    report = import_texts(first)

    assert report.counts["events"]["created"] == published
    assert export_all(client) == first

    again = import_texts({name: crlf(text) for name, text in first.items()})
    assert again.counts["events"] == {"unchanged": published}
    assert again.plan.is_empty


def test_round_trip_of_awkward_text(client):
    event = make_event(
        slug="awkward",
        title="Talks | “quoted”, with commas; and semicolons",
        summary='Line one\nLine two, with "quotes"\n=not a formula',
        unverified="one\ntwo",
        start_time=datetime.time(13, 35),
        duration=datetime.timedelta(hours=1, minutes=55),
        start_date=datetime.date(2025, 5, 1),
        date_precision=Event.Precision.MONTH,
        period_position=Event.PeriodPosition.LATE,
    )
    Citation.objects.create(
        event=event,
        source=make_source(url="", title="Print | report \\ with slashes", publisher="Desk"),
        supports="venue | length",
    )
    make_participation(event=event, role="delegate", note="-reported once")
    EventLink.objects.create(
        from_event=event,
        to_event=make_event(slug="earlier", start_date=datetime.date(2025, 1, 1)),
        relation=EventLink.Relation.FOLLOWS,
        note='=Says, with "quotes" | and\na line break',
    )
    first = export_all(client)

    empty_the_record()
    import_texts(first)

    assert export_all(client) == first
    restored = Event.objects.get(slug="awkward")
    assert restored.summary == event.summary
    assert restored.duration == datetime.timedelta(hours=1, minutes=55)
    assert restored.citations.get().supports == "venue | length"


# Import: all or nothing, with every bad row named


def test_an_import_with_one_bad_row_writes_nothing_and_names_the_row(client):
    make_full_record()
    texts = export_all(client)
    empty_the_record()
    lines = texts["events"].split("\r\n")
    lines[2] = lines[2].replace(",2025-05-23,", ",2025-02-30,")
    texts["events"] = "\r\n".join(lines)

    with pytest.raises(ImportRefused) as refused:
        import_texts(texts)

    assert [str(p) for p in refused.value.problems] == [
        "events.csv, line 3, column start_date: '2025-02-30' is not a date: "
        "day is out of range for month"
    ]
    assert Event.objects.count() == Process.objects.count() == Party.objects.count() == 0


def test_a_row_the_models_refuse_rolls_back_everything(client):
    make_full_record()
    texts = export_all(client)
    empty_the_record()
    # The exchange (23–25 May) moved before the agreement it carries out (16 May).
    texts["events"] = texts["events"].replace(",2025-05-23,2025-05-25,", ",2025-05-01,,")

    with pytest.raises(ImportRefused) as refused:
        import_texts(texts)

    problems = [str(p) for p in refused.value.problems]
    assert len(problems) == 1
    assert problems[0].startswith("outcomes.csv, line 2, column carried_out_by: ")
    assert "cannot be dated before the agreement it carries out" in problems[0]
    assert Event.objects.count() == Source.objects.count() == 0


def test_a_source_listed_twice_is_named_not_a_crash(client):
    make_full_record()
    texts = export_all(client)
    lines = texts["events"].split("\r\n")
    source = rows(texts["events"])[0]["sources"]
    lines[1] = lines[1].replace(source, f'"{source}\n{source}"')
    texts["events"] = "\r\n".join(lines)
    empty_the_record()

    with pytest.raises(ImportRefused) as refused:
        import_texts(texts)

    assert [str(p) for p in refused.value.problems] == [
        "events.csv, line 2, column sources: source 2 repeats an earlier one"
    ]
    assert Event.objects.count() == 0


def test_print_reports_with_the_same_title_but_different_dates_stay_apart(client):
    event = make_event(slug="two-reports")
    for day in (16, 20):
        Citation.objects.create(
            event=event,
            source=make_source(
                url="",
                title="Desk report",
                publisher="Desk",
                published_on=datetime.date(2025, 5, day),
            ),
        )
    first = export_all(client)

    empty_the_record()
    import_texts(first)

    assert export_all(client) == first
    assert sorted(Source.objects.values_list("published_on", flat=True)) == [
        datetime.date(2025, 5, 16),
        datetime.date(2025, 5, 20),
    ]


def test_unknown_references_and_bad_headers_are_named():
    texts = {
        "outcomes": "event,position,kind,status,description,quantity,unit,note,agreed_by,"
        "rejected_by,carried_out_by,carried_out_in_part_by\r\n"
        "nowhere,1,agreement,agreed,Something.,,,,,,,\r\n",
        "other": "a,b\r\n1,2\r\n",
    }
    with pytest.raises(ImportRefused) as refused:
        import_texts(texts)
    problems = "\n".join(str(p) for p in refused.value.problems)
    assert "other.csv, line 1: is none of the four files: name it after one" in problems

    with pytest.raises(ImportRefused) as refused:
        import_texts({"outcomes": texts["outcomes"]})
    assert [str(p) for p in refused.value.problems] == [
        "outcomes.csv, line 2, column event: unknown event 'nowhere'"
    ]


def test_dry_run_writes_nothing_and_reports_what_would_change(client, tmp_path, capsys):
    make_full_record()
    call_command("export_csv", dir=str(tmp_path))
    empty_the_record()
    files = [str(tmp_path / f"{name}.csv") for name in TABLES]

    call_command("import_csv", *files, dry_run=True)

    out = capsys.readouterr().out
    assert "events: 2 created" in out
    assert "created Istanbul talks [istanbul-talks]" in out
    assert "Dry run: nothing was written." in out
    assert Event.objects.count() == 0

    call_command("import_csv", *files)
    assert Event.objects.count() == 2


def test_the_import_command_lists_problems(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("id,slug,colour\r\n1,x,red\r\n")
    with pytest.raises(CommandError) as error:
        call_command("import_csv", str(path))
    assert "events.csv, line 1: unknown column(s) colour; events.csv has: id, slug," in str(
        error.value
    )
    assert (
        "events.csv, line 1: missing required column(s) process, process_title, conflict, "
        "kind, title, start_date" in str(error.value)
    )


def test_export_command_writes_what_the_site_serves(client, tmp_path):
    make_full_record()
    call_command(
        "export_csv",
        dir=str(tmp_path),
        filter="kind=prisoner_exchange",
        base_url="https://testserver",
    )
    served = download(client, kind="prisoner_exchange")
    assert (tmp_path / "events.csv").read_bytes().decode("utf-8") == served
    with pytest.raises(CommandError, match="date_after"):
        call_command("export_csv", dir=str(tmp_path), filter="date_after=soon")


# Streaming and query counts


@pytest.mark.parametrize("table", list(TABLES))
def test_export_queries_do_not_grow_with_the_rows(client, django_assert_max_num_queries, table):
    def grow(n):
        for _ in range(n):
            event = make_event()
            make_participation(event=event)
            make_outcome(event=event)

    grow(2)
    with CaptureQueriesContext(connection) as small:
        download(client, table)
    grow(60)
    with django_assert_max_num_queries(len(small)):
        download(client, table)


# Each record opens cleanly in csv and in frictionless


def test_each_records_csv_has_one_row_per_published_event_and_validates(
    record, unpublished, client, tmp_path
):
    for name in TABLES:
        (tmp_path / f"{name}.csv").write_text(download(client, name), encoding="utf-8")
    descriptor = client.get(reverse("datapackage")).json()
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor))

    with (tmp_path / "events.csv").open(encoding="utf-8", newline="") as handle:
        events = list(csv.DictReader(handle, strict=True))
    assert [e["slug"] for e in events] == list(
        Event.objects.published().chronological().values_list("slug", flat=True)
    )
    assert len(events) == {"seeds": 45, "second_conflict": 27}[record.name]

    from frictionless import Package

    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


# The codebook is the column definitions


def test_export_page_documents_every_column(client):
    page = client.get(reverse("export")).content.decode()
    for table in TABLES.values():
        for column in table.columns:
            assert f"<code>{column.name}</code>" in page


def test_readme_codebook_matches_the_columns():
    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    for table in TABLES.values():
        section = readme.split(f"#### `{table.name}.csv`", 1)[1].split("####", 1)[0]
        documented = re.findall(r"^\| `([a-z_]+)` \|", section, re.M)
        assert documented == table.header, table.name


# The admin: export selected, import with preview


def test_admin_exports_the_selected_events_drafts_included(client):
    draft = make_event(slug="draft-one", status=Event.Status.DRAFT)
    make_event(slug="not-selected")
    client.force_login(make_user(groups=["Editor"]))

    response = client.post(
        reverse("admin:tracker_event_changelist"),
        {"action": "export_csv", "_selected_action": [draft.pk]},
    )

    text = b"".join(response.streaming_content).decode()
    assert [r["slug"] for r in rows(text)] == ["draft-one"]
    assert rows(text)[0]["status"] == "draft"
