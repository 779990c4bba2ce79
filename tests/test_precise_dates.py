"""Issue 13: dates as precise as their sources everywhere, the precision rule on every write
path, order within a period, and one rule for what counts as an agreement."""

import datetime
import html
import importlib
import re
import shutil

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from tests.factories import make_event, make_outcome, make_process
from tests.test_seeded_pages import chart, text
from tracker.dates import date_label
from tracker.models import Event, Outcome, Process
from tracker.seeds import SeedError, load_seeds

pytestmark = pytest.mark.django_db

CONGRESS = "2016-11-congress-endorses-agreement"
SIGNING = "2016-11-24-teatro-colon-signing"
COLOMBIA = "colombia-farc-ep-talks-2012-2016"
#: “November 2016” as each language writes a date known only to the month.
NOVEMBER_2016 = {"en": "November 2016 (approx.)", "uk": "Листопад 2016", "ru": "Ноябрь 2016"}
#: The day a month-precision date is stored on, as each language would write it.
FIRST_NOVEMBER = {"en": "1 November 2016", "uk": "1 листопада 2016", "ru": "1 ноября 2016"}


@pytest.fixture
def second_conflict(load_record):
    return load_record("second_conflict")


def in_language(client, code):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    return client


def hover_texts(figure):
    texts = []
    for trace in figure["data"]:
        for data in trace.get("customdata", []):
            texts.append(data[1] if isinstance(data, list) else data)
    return [html.unescape(t) for t in texts]


# One way to write a date --------------------------------------------------------------


@pytest.mark.parametrize("code", ["en", "uk", "ru"])
def test_a_month_precision_event_reads_as_its_month_everywhere(second_conflict, client, code):
    client = in_language(client, code)
    month, day = NOVEMBER_2016[code], FIRST_NOVEMBER[code]
    congress = Event.objects.get(slug=CONGRESS)

    listing = text(client.get(reverse("event-list"), {"process": COLOMBIA}))
    page = text(client.get(congress.get_absolute_url()))
    process = client.get(reverse("process-detail", args=[COLOMBIA])).content.decode()
    feed = html.unescape(client.get(reverse("feed")).content.decode())

    for where, words in (("list", listing), ("event page", page)):
        assert month in words, where
        assert day not in words, where
    table = text_of_table(process)
    assert f"{month} Congress endorses" not in table  # the table shows the date, not the title
    row = next(r for r in table.split(" || ") if "by Congress instead of a second" in r)
    assert row.startswith(month), row
    assert day not in table

    timeline_hover = hover_texts(chart(process, "timeline-data"))
    congress_hover = [h for h in timeline_hover if congress.title in h]
    assert congress_hover
    assert all(month in h and day not in h for h in congress_hover)
    follow = chart(process, "follow-through-data")
    follow_hover = [html.unescape(t) for tr in follow["data"] for t in tr["customdata"]]
    assert any(h.startswith(month) for h in follow_hover)
    assert not [h for h in follow_hover if day in h]

    (title,) = re.findall(rf"<title>([^<]*{re.escape(congress.title)})</title>", feed)
    assert title == f"{month}: {congress.title}" if code == "en" else title.startswith(month)
    assert congress.start_date.isoformat() not in feed.split(congress.title)[0][-40:]


def text_of_table(body):
    """The agreements table's rows, cells joined by spaces, rows by “ || ”."""
    table = body.split('<table class="agreements">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    return " || ".join(
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows
    )


def test_approximate_points_on_the_follow_through_chart_are_drawn_open(second_conflict, client):
    body = client.get(reverse("process-detail", args=[COLOMBIA])).content.decode()
    follow = chart(body, "follow-through-data")
    (agreed,) = [t for t in follow["data"] if t["name"] == "agreed"]
    points = list(zip(agreed["customdata"], agreed["marker"]["symbol"], strict=True))
    assert ("November 2016 (approx.)", "circle-open") in points
    assert all(symbol == "circle" for label, symbol in points if "approx." not in label)
    assert "Open circles: date known only to the month or year." in body


def test_the_sitemap_lists_events_in_their_order(second_conflict, client):
    sitemap = client.get(reverse("sitemap")).content.decode()
    signing = Event.objects.get(slug=SIGNING).get_absolute_url()
    congress = Event.objects.get(slug=CONGRESS).get_absolute_url()
    assert sitemap.index(signing) < sitemap.index(congress)


# The precision rule on every write path --------------------------------------------------


PRECISION_MESSAGE = str(Event._meta.get_field("date_precision").model.PRECISION_MESSAGE)


def test_the_admin_shows_the_precision_rule_beside_the_date(client, superuser):
    process = make_process()
    client.force_login(superuser)
    inlines = ["participations", "outcomes", "implementations", "links_out", "links_in"]
    data = {
        "process": process.pk,
        "kind": "other",
        "title": "Congress endorses",
        "slug": "congress-endorses",
        "status": "draft",
        "start_date": "2016-11-29",
        "date_precision": "month",
        "period_position": "late",
        **{
            f"{p}-{n}": "0"
            for p in [*inlines, "citations"]
            for n in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
    }

    response = client.post(reverse("admin:tracker_event_add"), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["start_date"] == [PRECISION_MESSAGE]
    assert not Event.objects.exists()

    response = client.post(reverse("admin:tracker_event_add"), data | {"start_date": "2016-11-01"})
    assert response.status_code == 302
    assert Event.objects.get().sort_date == datetime.date(2016, 11, 30)


def test_the_database_refuses_a_month_date_that_is_not_the_first():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        make_event(start_date=datetime.date(2016, 11, 29), date_precision="month")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_event(start_date=datetime.date(2016, 2, 1), date_precision="year")
    make_event(start_date=datetime.date(2016, 1, 1), date_precision="year")


def test_the_import_names_file_line_and_column_of_a_month_date_not_the_first(tmp_path):
    make_event(slug="nov", start_date=datetime.date(2016, 11, 1), date_precision="month")
    call_command("export_csv", dir=str(tmp_path), table=["events"], verbosity=0)
    exported = next(tmp_path.glob("events*.csv"))
    exported.write_text(
        exported.read_text(encoding="utf-8").replace("2016-11-01", "2016-11-29"),
        encoding="utf-8",
    )

    with pytest.raises(CommandError) as refused:
        call_command("import_csv", str(exported), verbosity=0)

    message = str(refused.value)
    assert exported.name in message
    assert "line 2" in message
    assert "start_date" in message
    assert PRECISION_MESSAGE in message
    assert Event.objects.get().start_date == datetime.date(2016, 11, 1)


def test_the_seed_loader_refuses_a_month_date_not_the_first(tmp_path):
    copy = tmp_path / "second_conflict"
    shutil.copytree(settings.BASE_DIR / "tests/fixtures/second_conflict", copy)
    path = copy / "events/2016/colombia-farc-ep-talks-2012-2016.yaml"
    source = path.read_text(encoding="utf-8")
    written = "  start: 2016-11-01\n  precision: month\n"
    assert source.count(written) == 1
    path.write_text(source.replace(written, written.replace("-01", "-29")), encoding="utf-8")

    with pytest.raises(SeedError) as refused:
        load_seeds(directory=copy)

    problems = "\n".join(refused.value.problems)
    assert "events/2016/colombia-farc-ep-talks-2012-2016.yaml" in problems
    assert PRECISION_MESSAGE in problems
    assert not Event.objects.exists()


def test_the_data_migration_moves_approximate_dates_to_the_first_and_lists_them(capsys):
    migration = importlib.import_module(
        "tracker.migrations.0014_event_precision_rule_and_derived_fields"
    )
    from django.apps import apps
    from django.db import connection

    kept = make_event(slug="kept", start_date=datetime.date(2016, 11, 1), date_precision="month")
    moved = make_event(slug="moved", start_date=datetime.date(2016, 11, 1), date_precision="month")
    year = make_event(slug="year", start_date=datetime.date(2015, 1, 1), date_precision="year")
    # Rows written before the rule existed: the constraint is bypassed by dropping to SQL.
    table = Event._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = 1")
        else:  # the rows' deferred foreign-key checks first: ALTER TABLE waits for none
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                f"ALTER TABLE {table} DROP CONSTRAINT event_approximate_date_starts_its_period"
            )
        cursor.execute(
            f"UPDATE {table} SET start_date = %s WHERE id = %s", ["2016-11-29", moved.pk]
        )
        cursor.execute(f"UPDATE {table} SET start_date = %s WHERE id = %s", ["2015-06-10", year.pk])
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = 0")

    migration.normalise_and_derive(apps, None)

    out = capsys.readouterr().out
    assert f"event {moved.pk} “moved”: month precision, start date 2016-11-29 → 2016-11-01" in out
    assert f"event {year.pk} “year”: year precision, start date 2015-06-10 → 2015-01-01" in out
    assert "“kept”" not in out
    assert Event.objects.get(pk=moved.pk).start_date == datetime.date(2016, 11, 1)
    assert Event.objects.get(pk=year.pk).start_date == datetime.date(2015, 1, 1)
    assert Event.objects.get(pk=kept.pk).start_date == datetime.date(2016, 11, 1)


# Order within a period --------------------------------------------------------------------


def test_a_month_event_placed_late_follows_the_24th_in_lists_neighbours_and_charts(
    second_conflict, client
):
    congress = Event.objects.get(slug=CONGRESS)
    assert congress.period_position == Event.PeriodPosition.LATE
    assert congress.sort_date == datetime.date(2016, 11, 30)

    listing = client.get(reverse("event-list"), {"process": COLOMBIA, "date_after": "2016-11-01"})
    slugs = [e.slug for e in listing.context["page"]]
    assert slugs.index(SIGNING) < slugs.index(CONGRESS)

    signing = client.get(reverse("event-detail", args=[SIGNING])).context
    assert signing["next"].slug == CONGRESS
    assert client.get(congress.get_absolute_url()).context["previous"].slug == SIGNING

    body = client.get(reverse("process-detail", args=[COLOMBIA])).content.decode()
    markers = {
        html.unescape(data[1]).split("<br>")[1]: x
        for trace in chart(body, "timeline-data")["data"]
        if trace.get("mode") == "markers"
        for x, data in zip(trace["x"], trace["customdata"], strict=True)
    }
    assert markers[congress.title] == "2016-11-30"


@pytest.mark.parametrize(
    ("position", "sorts_on"),
    [("early", datetime.date(2016, 11, 1)), ("middle", datetime.date(2016, 11, 15))],
)
def test_early_and_middle_place_a_month_event_before_the_24th(position, sorts_on):
    event = make_event(
        start_date=datetime.date(2016, 11, 1), date_precision="month", period_position=position
    )
    dated = make_event(process=event.process, start_date=datetime.date(2016, 11, 24))
    assert event.sort_date == sorts_on
    assert list(Event.objects.chronological()) == [event, dated]


def test_the_position_of_a_day_event_is_ignored():
    event = make_event(start_date=datetime.date(2016, 11, 24), period_position="late")
    assert event.sort_date == datetime.date(2016, 11, 24)


def test_the_position_is_never_shown_as_a_date(second_conflict, client):
    page = text(client.get(reverse("event-detail", args=[CONGRESS])))
    assert "30 November 2016" not in page
    assert "15 November 2016" not in page


# One agreements rule ----------------------------------------------------------------------


def test_every_status_agreed_at_some_point_counts_as_an_agreement():
    S = Outcome.Status
    assert set(Outcome.AGREEMENT_STATUSES) == {
        S.AGREED,
        S.IMPLEMENTED,
        S.PARTIALLY_IMPLEMENTED,
        S.BROKEN,
        S.LAPSED,
    }


@pytest.mark.parametrize("name", ["seeds", "second_conflict"])
def test_home_and_process_pages_count_the_same_agreements(load_record, client, name):
    load_record(name)
    home = client.get(reverse("home")).context["summary"]
    agreements = carried = 0
    for process in Process.objects.public():
        context = client.get(process.get_absolute_url()).context
        rows = context["agreements"]
        agreements += len(rows)
        carried += sum(1 for row in rows if row["carried_out"])
        summary = Event.objects.published().filter(process=process).summary()
        assert (summary["agreements"], summary["carried_out"]) == (
            len(rows),
            sum(1 for row in rows if row["carried_out"]),
        ), process.slug
    assert (home["agreements"], home["carried_out"]) == (agreements, carried)


def test_a_final_agreement_that_is_implemented_counts_as_agreed_and_carried_out(
    second_conflict, client
):
    response = client.get(reverse("process-detail", args=[COLOMBIA]))
    rows = {row["description"][:40]: row for row in response.context["agreements"]}
    congress = next(r for r in rows.values() if r["event_slug"] == CONGRESS)
    assert congress["status"] == "implemented"
    assert congress["carried_out"] is True
    table = text_of_table(response.content.decode())
    row = next(r for r in table.split(" || ") if "by Congress instead of a second" in r)
    assert row.endswith("Implemented")
    assert "not (yet) carried out" not in row


def test_each_row_shows_its_real_state(client):
    process = make_process()
    talks = make_event(process=process, slug="talks")
    for status, description in [
        ("implemented", "Carried out by status."),
        ("lapsed", "A deadline that lapsed."),
        ("broken", "A truce that broke."),
        ("agreed", "Agreed, nothing since."),
        ("partially_implemented", "Partly carried out."),
    ]:
        make_outcome(event=talks, status=status, description=description)

    table = text_of_table(client.get(process.get_absolute_url()).content.decode())

    rows = {r.split(" ", 3)[3]: r for r in table.split(" || ")[1:]}
    assert rows["Carried out by status. implemented Implemented"]
    assert rows["A deadline that lapsed. lapsed lapsed: not carried out"]
    assert rows["A truce that broke. broken broken: not carried out"]
    assert rows["Agreed, nothing since. agreed not (yet) carried out"]
    assert rows["Partly carried out. partially implemented Partially implemented"]


def test_the_event_list_shows_every_outcome_of_an_event(second_conflict, client):
    handshake = Event.objects.get(slug="2015-09-23-santos-timochenko-handshake")
    outcomes = list(handshake.outcomes.all())
    assert len(outcomes) > 1
    assert "lapsed" in {o.status for o in outcomes}

    response = client.get(reverse("event-list"), {"q": "Timochenko handshake"})
    page = text(response)
    for outcome in outcomes:
        assert f"{outcome.get_status_display()} {outcome.description[:60]}" in page

    # Every outcome of every event on the page, in as many queries for 20 events as for 7.
    assert queries(client, {"process": COLOMBIA}) == queries(
        client, {"process": "cyprus-talks-2015-2017"}
    )


def queries(client, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("event-list"), params)
    assert response.status_code == 200
    return len(captured)


def test_the_date_label_is_the_one_formatter():
    with translation.override("en"):
        assert date_label(datetime.date(2016, 11, 1), None, "month") == "November 2016 (approx.)"
        assert date_label(datetime.date(2015, 1, 1), None, "year") == "2015 (approx.)"


def test_the_conflict_tables_date_first_and_latest_events_as_precisely_as_known(
    second_conflict, client
):
    """The Colombian talks began with exploratory meetings known only as February 2012:
    the conflicts' table says so, never “1 February 2012”."""
    for url in (reverse("home"), reverse("conflict-list")):
        text = " ".join(re.sub(r"<[^>]+>", " ", client.get(url).content.decode()).split())
        assert "February 2012 (approx.)" in text, url
        assert "1 February 2012" not in text, url
