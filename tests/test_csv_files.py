"""Files people write by hand, templates, links.csv, and files exported by the version
before the field map (issue 10)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.csvfiles import export_all, import_texts, record_tables, rows
from tests.factories import (
    make_conflict,
    make_event,
    make_full_record,
    make_outcome,
    make_participation,
)
from tracker.columns import TABLES
from tracker.imports import ImportRefused
from tracker.imports.undo import revert_batch
from tracker.models import (
    Conflict,
    Event,
    EventLink,
    Implementation,
    Outcome,
    Participation,
    Person,
)
from tracker.seeds import load_seeds

pytestmark = pytest.mark.django_db

OLD_FILES = Path(__file__).parent / "fixtures" / "csv-2026-11-28"


def test_a_file_with_only_the_required_columns_in_another_order_imports():
    make_conflict(name="Example conflict", slug="example-conflict")
    events = (
        "start_date,title,kind,conflict,process_title,process,slug\r\n"
        "2026-03-01,Talks in Oslo,round_of_talks,example-conflict,Oslo track,oslo,oslo-talks\r\n"
    )
    participations = (
        "role,event,party,party_name,party_kind,party_country\r\n"
        "host,oslo-talks,norway,Norway,state,NO\r\n"
    )
    outcomes = (
        "description,status,kind,event\r\nTalks to go on.,agreed,follow_up_meeting,oslo-talks\r\n"
    )

    report = import_texts(
        {"events": events, "participations": participations, "outcomes": outcomes}
    )

    assert report.lines() == [
        "processes: 1 created",
        "parties: 1 created",
        "events: 1 created",
        "participations: 1 created",
        "outcomes: 1 created",
    ]
    event = Event.objects.get(slug="oslo-talks")
    assert (event.status, event.date_precision, event.process.conflict.name) == (
        "draft",
        "day",
        "Example conflict",
    )
    assert event.participations.get().party.country.code == "NO"
    assert event.outcomes.get().position == 1


def test_missing_and_unknown_columns_are_named():
    events = "slug,title,colour,kind,weather\r\nx,X,red,statement,fine\r\n"
    with pytest.raises(ImportRefused) as refused:
        import_texts({"events": events})
    assert [str(p) for p in refused.value.problems] == [
        "events.csv, line 1: unknown column(s) colour, weather; events.csv has: id, slug, url, "
        "process, process_title, conflict, conflict_name, kind, title, start_date, end_date, "
        "date_precision, period_position, "
        "start_time, duration, duration_note, venue, city, region, country, status, summary, "
        "source_notes, unverified, participants, outcomes, sources",
        "events.csv, line 1: missing required column(s) process, process_title, conflict, start_date",
    ]


def test_messages_name_the_real_cause(client):
    make_full_record()
    events = (
        "slug,process,process_title,conflict,kind,title,start_date\r\n"
        "new,nowhere,,,statement,New,2025-01-01\r\n"
        "other,istanbul-2025,Istanbul direct talks,Russia–Ukraine war,statement,Other,2025-01-01\r\n"
    )
    participations = "event,role,person\r\nother,delegate,somebody\r\n"
    with pytest.raises(ImportRefused) as refused:
        import_texts({"events": events, "participations": participations})
    assert [str(p) for p in refused.value.problems] == [
        "events.csv, line 2, column process: unknown process 'nowhere' (to add it, give its title, conflict)",
        "participations.csv, line 2, column person: unknown person 'somebody' (to add it, give its name)",
    ]


def test_counts_are_rows_per_table(client):
    make_full_record()
    texts = export_all(client)
    texts["participations"] = texts["participations"].replace(
        "Minister of Defence of Ukraine", "Minister"
    )
    report = import_texts(texts, dry_run=True)
    assert report.counts["participations"] == {"changed": 1, "unchanged": 1}
    assert report.counts["outcomes"] == {"unchanged": 1}
    assert report.counts["events"] == {"changed through its parts": 1, "unchanged": 1}


def test_a_derived_cell_that_differs_is_reported_as_ignored(client):
    make_full_record()
    texts = export_all(client)
    texts["events"] = texts["events"].replace(
        "Rustem Umerov (head of delegation, Ukraine)", "Somebody else"
    )
    texts["events"] = texts["events"].replace(
        "http://testserver/events/exchange/", "http://elsewhere.example/events/exchange/"
    )
    report = import_texts(texts)
    assert report.plan.is_empty
    assert [str(n) for n in report.notes] == [
        "events.csv, line 2, column participants: ignored: it is derived, and the record gives "
        "'Rustem Umerov (head of delegation, Ukraine); Türkiye (host)'"
    ]


# Templates --------------------------------------------------------------------------------


def template(client, name):
    response = client.get(reverse("csv-template", args=[name]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{name}-template.csv"'
    return response.content.decode()


def test_each_template_has_the_columns_import_reads_and_an_example(client):
    for name, table in TABLES.items():
        text = template(client, name)
        assert text.split("\r\n")[0] == ",".join(table.template_header)
        assert len(rows(text)) == len(table.examples) >= 1
    assert client.get("/export/templates/nothing.csv").status_code == 404


@pytest.mark.parametrize("seeded", [False, True], ids=["empty", "seeded"])
def test_the_events_template_alone_and_all_four_together_import_as_they_are(client, seeded):
    if seeded:
        load_seeds(directory=settings.BASE_DIR / "seeds")
    alone = import_texts({"events": template(client, "events")}, dry_run=True)
    assert alone.counts["events"] == {"created": 2}

    report = import_texts({name: template(client, name) for name in TABLES})

    assert report.counts["events"]["created"] == 2
    assert {t: c.get("created") for t, c in report.counts.items() if t != "events"} == {
        "conflicts": 1,
        "processes": 1,
        "parties": 1,
        "people": 1,
        "sources": 2,
        "citations": 2,
        "participations": 1,
        "outcomes": 1,
        "implementations": 1,
        "links between events": 1,
    }
    assert Implementation.objects.filter(event__slug="2030-02-01-example-exchange").exists()
    assert EventLink.objects.filter(
        relation="results_from", to_event__slug="2030-01-15-example-talks"
    ).exists()


def test_the_export_page_links_links_csv_and_the_templates(client):
    page = client.get(reverse("export")).content.decode()
    assert f'href="{reverse("links-csv")}"' in page
    for name in TABLES:
        assert f'href="{reverse("csv-template", args=[name])}"' in page
        assert f"{name}.csv" in page


# links.csv ---------------------------------------------------------------------------------


def test_links_follow_the_filters_and_leave_out_drafts(client):
    record = make_full_record()
    EventLink.objects.create(
        from_event=record["talks"], to_event=record["exchange"], relation="follows"
    )
    Event.objects.filter(pk=record["exchange"].pk).update(status="draft")

    assert rows(export_all(client)["links"]) == []
    Event.objects.filter(pk=record["exchange"].pk).update(status="published")
    links = rows(export_all(client, kind="round_of_talks")["links"])
    assert [(r["from_event"], r["relation"], r["to_event"]) for r in links] == [
        ("istanbul-talks", "follows", "exchange")
    ]


def test_a_link_to_an_unpublished_event_survives_a_reimport(client):
    record = make_full_record()
    draft = Event.objects.create(
        process=record["process"],
        slug="draft",
        title="Draft",
        kind="statement",
        start_date=record["talks"].start_date,
        status="draft",
    )
    EventLink.objects.create(from_event=record["exchange"], to_event=draft, relation="follows")
    texts = export_all(client)
    assert import_texts(texts).plan.is_empty
    assert EventLink.objects.filter(to_event=draft).exists()


# Files exported by the version before the field map ----------------------------------------


def old_files():
    return {path.stem: path.read_text(encoding="utf-8") for path in OLD_FILES.glob("*.csv")}


def test_files_from_the_previous_version_import_into_an_empty_database(client):
    make_conflict(name="Russia–Ukraine war", slug="russia-ukraine-war")
    report = import_texts(old_files())
    assert report.counts["events"] == {"created": 47}
    assert Participation.objects.count() == len(rows(old_files()["participations"]))
    assert Outcome.objects.count() == len(rows(old_files()["outcomes"]))


def rows_by_event(table, text, conflicts, header):
    """A file's rows grouped by event slug, in the columns of ``header`` (an old file's:
    a column it lacks says nothing) without those export derives; the conflict as the
    record's conflict (old files name it, today's give its slug)."""
    kept = [
        c.name
        for c in TABLES[table].columns
        if not c.derived and c.name not in ("id", "conflict_name") and c.name in header
    ]
    key = "slug" if table == "events" else "event"
    grouped = {}
    for row in rows(text):
        values = {name: row.get(name, "") for name in kept}
        if "conflict" in values:
            values["conflict"] = conflicts.get(values["conflict"], values["conflict"])
        grouped.setdefault(row[key], []).append(values)
    return grouped


def event_of(obj):
    for path in ("slug", "event.slug", "outcome.event.slug", "from_event.slug"):
        value = obj
        for part in path.split("."):
            value = getattr(value, part, None)
        if isinstance(value, str):
            return value
    raise AssertionError(f"no event for {obj!r}")


def test_files_from_the_previous_version_plan_exactly_what_changed_since(client):
    """They were exported from these seeds before the seed corrections of issue 11: over
    today's seeded record, the plan touches exactly the events whose rows differ between
    those files and today's export, and nothing else. Links were not exported then, and
    stay, and so do the parts of events a file has no rows for."""
    load_seeds(directory=settings.BASE_DIR / "seeds")
    old, now = old_files(), export_all(client)
    differing = set()
    for table, text in old.items():
        conflicts = {c.name: c.slug for c in Conflict.objects.all()}
        header = text.split("\r\n", 1)[0].split(",")
        then = rows_by_event(table, text, conflicts, header)
        today = rows_by_event(table, now[table], conflicts, header)
        # An event with no rows in a file keeps the parts it has: only the events a file
        # names can change through it.
        differing |= {slug for slug in then if then[slug] != today.get(slug)}
    assert differing, "the seeds changed since these files; the test needs a difference"

    before = record_tables(bookkeeping=True)
    report = import_texts(old, dry_run=True)

    assert {event_of(step.obj) for step in report.plan.changes} == differing
    assert record_tables(bookkeeping=True) == before
    assert EventLink.objects.exists()


# Speed: queries per table, not per row ---------------------------------------------------


def synthetic(n, start=0):
    events = [
        "slug,process,process_title,conflict,conflict_name,kind,title,start_date,status,sources"
    ]
    participations = [
        "event,position,person,person_name,party,party_name,party_kind,party_country,role,side,side_name"
    ]
    outcomes = ["event,position,kind,status,description,agreed_by,carried_out_by"]
    links = ["from_event,relation,to_event"]
    for i in range(start, start + n):
        events.append(
            f"e{i},track,Track,war,War,round_of_talks,Talks {i},2025-01-01,published,https://example.org/{i} | Desk"
        )
        participations.append(
            f"e{i},1,person-{i},Person {i},party-{i},Party {i},organisation,,delegate,party-{i},Party {i}"
        )
        outcomes.append(f"e{i},1,agreement,agreed,Outcome {i}.,Party {i} [party-{i}],e{i + 1}")
        links.append(f"e{i + 1},follows,e{i}")
    events.append(f"e{start + n},track,Track,war,War,statement,Last,2025-01-02,published,")
    return {
        name: "\r\n".join(lines) + "\r\n"
        for name, lines in (
            ("events", events),
            ("participations", participations),
            ("outcomes", outcomes),
            ("links", links),
        )
    }


def test_import_queries_do_not_grow_with_the_rows(django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as small:
        import_texts(synthetic(5))
    with django_assert_max_num_queries(len(small)):
        import_texts(synthetic(50, start=1000))
    assert Person.objects.count() == 55

    unchanged = synthetic(50, start=1000)
    with CaptureQueriesContext(connection) as dry:
        assert import_texts(unchanged, dry_run=True).plan.is_empty
    with django_assert_max_num_queries(len(dry)):
        import_texts(synthetic(5), dry_run=True)


def test_new_events_are_written_naming_their_participants_with_no_update_after():
    """A new event's search text names the participants imported with it from its
    INSERT on: no UPDATE of the events follows (on PostgreSQL each would rewrite the row
    and its trigram index entries), and the rule finds nothing left to refresh."""
    with CaptureQueriesContext(connection) as queries:
        import_texts(synthetic(5))

    updates = [q["sql"] for q in queries if 'UPDATE "tracker_event" ' in q["sql"]]
    assert updates == []
    assert Event.objects.get(slug="e3").search_text == "talks 3\nperson 3\nparty 3"
    assert Event.objects.refresh_derived() == 0


def test_rows_saved_one_by_one_after_an_import_take_the_next_ids():
    """The import gives the rows it creates their ids itself and moves the databases' id
    sequences past them: a row saved one by one afterwards (in the admin, say) takes the
    next id instead of colliding with an imported one."""
    import_texts(synthetic(5))
    event, person = Event.objects.first(), Person.objects.first()
    tops = {model: model.objects.order_by("-pk")[0].pk for model in (Event, Participation, Outcome)}
    saved = {
        Event: make_event(process=event.process),
        Participation: make_participation(event=event, person=person, role="observer"),
        Outcome: make_outcome(event=event, position=9),
    }
    assert {model: obj.pk for model, obj in saved.items()} == {
        model: top + 1 for model, top in tops.items()
    }
    assert Event.history.filter(history_type="+").count() == Event.objects.count()


def test_an_import_never_gives_a_new_row_the_id_of_a_deleted_one():
    """A deleted event's history, the change log and calendar subscribers still know it by
    its id: rows the import creates take ids past every id the table ever gave, not just
    past the rows it holds now."""
    import_texts(synthetic(3))
    gone, gone_participation = Event.objects.order_by("-pk")[0], Participation.objects.latest("pk")
    gone_id, gone_participation_id = gone.pk, gone_participation.pk
    gone_participation.delete()
    gone.delete()
    import_texts(synthetic(2, start=50))
    new = Event.objects.filter(slug__in=["e50", "e51"])
    assert min(new.values_list("pk", flat=True)) > gone_id
    fresh = Participation.objects.filter(event__in=new).values_list("pk", flat=True)
    assert min(fresh) > gone_participation_id
    assert Event.history.filter(id=gone_id).values_list("slug", flat=True).distinct().count() == 1


def changed_everywhere(texts):
    """Every event retitled, every participation in another role, every outcome broken
    and no longer carried out, every link of another kind: updates, creates and deletes
    in every table."""
    outcomes = [line.rsplit(",", 1)[0] + "," for line in texts["outcomes"].split("\r\n")[1:]]
    return {
        "events": texts["events"].replace(",Talks ", ",Retitled talks "),
        "participations": texts["participations"].replace(",delegate,", ",mediator,"),
        "outcomes": "\r\n".join(
            [
                texts["outcomes"].split("\r\n", 1)[0],
                *(o.replace(",agreed,", ",broken,") for o in outcomes if o != ","),
            ]
        )
        + "\r\n",
        "links": texts["links"].replace(",follows,", ",responds_to,"),
    }


def test_queries_of_an_import_that_changes_and_deletes_and_its_revert_do_not_grow():
    def import_change_and_revert(n, start):
        import_texts(synthetic(n, start=start))
        with CaptureQueriesContext(connection) as writing:
            report = import_texts(changed_everywhere(synthetic(n, start=start)))
        with CaptureQueriesContext(connection) as reverting:
            revert_batch(batch=report.batch, user=None)
        assert report.counts["outcomes"] == {"changed": n}
        assert report.counts["implementations"] == {"deleted": n}
        assert report.counts["links between events"] == {"created": n, "deleted": n}
        assert report.counts["participations"] == {"created": n, "deleted": n}
        return len(writing), len(reverting)

    small = import_change_and_revert(5, 0)
    large = import_change_and_revert(50, 1000)
    assert large <= small
