"""Imports change only what they show: the plan, rows updated in place, references,
look-alikes, line endings, every problem in one pass (issue 9), on the seeded record."""

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.csvfiles import (
    crlf,
    edit,
    export_all,
    history_counts,
    import_texts,
    lf,
    record_tables,
    rows,
)
from tests.factories import carry_out, link, make_event, make_source, make_user
from tracker.imports import ImportRefused, listing
from tracker.models import (
    Event,
    ImportBatch,
    Outcome,
    Participation,
    Party,
    Person,
    Process,
    RecordVersion,
)
from tracker.seeds import load_seeds

pytestmark = pytest.mark.django_db

ISTANBUL = "2025-05-16-istanbul-direct-talks"
EXCHANGE = "2025-05-23-1000-for-1000-exchange"


@pytest.fixture
def seeded(db):
    load_seeds(directory=settings.BASE_DIR / "seeds")


@pytest.fixture
def unseen(seeded):
    """What a public export does not carry: a draft carrying out a published agreement,
    a published event linked to a draft, and sources of single outcomes."""
    agreement = Outcome.objects.filter(event__slug=ISTANBUL).order_by("position", "pk").first()
    draft = make_event(
        slug="draft-follow-up",
        status=Event.Status.DRAFT,
        process=agreement.event.process,
        start_date=datetime.date(2025, 6, 1),
    )
    carry_out(agreement, draft)
    link(agreement.event, draft)
    agreement.sources.set([make_source(), make_source()])
    return {"agreement": agreement, "draft": draft}


def state():
    return record_tables(bookkeeping=True), history_counts(), RecordVersion.current()


@pytest.mark.parametrize("line_ends", [lf, crlf], ids=["LF", "CRLF"])
def test_reimporting_an_unchanged_export_plans_and_changes_nothing(client, unseen, line_ends):
    texts = {name: line_ends(text) for name, text in export_all(client).items()}
    if line_ends is crlf:  # line breaks inside cells are CRLF too
        assert any("\r\n" in row["unverified"] for row in rows(texts["events"]))
    before = state()

    dry = import_texts(texts, dry_run=True)
    report = import_texts(texts)

    assert dry.plan.is_empty, dry.text()
    assert report.plan.is_empty
    assert report.counts["events"] == {"unchanged": 47}
    assert report.notes == []
    assert state() == before
    assert not ImportBatch.objects.exists()
    assert not Event.objects.filter(summary__contains="\r").exists()
    assert unseen["agreement"].implementations.filter(event=unseen["draft"]).exists()
    assert unseen["agreement"].sources.count() == 2


def test_changing_one_outcomes_status_leaves_one_history_row_on_that_outcome(client, unseen):
    texts = export_all(client)
    target = unseen["agreement"]
    history = {o.pk: o.history.count() for o in Outcome.objects.all()}

    def broken(row):
        if row["event"] == ISTANBUL and row["position"] == "1":
            assert row["status"] == "agreed"
            row["status"] = "broken"

    texts["outcomes"] = edit(texts["outcomes"], broken)
    report = import_texts(texts, user=make_user("olena"))

    assert report.counts["outcomes"] == {
        "changed": 1,
        "unchanged": len(rows(texts["outcomes"])) - 1,
    }
    target.refresh_from_db()
    assert target.status == "broken"
    after = {o.pk: o.history.count() for o in Outcome.objects.all()}
    assert after == history | {target.pk: history[target.pk] + 1}
    newest, previous = target.history.order_by("-history_id")[:2]
    assert (previous.status, newest.status) == ("agreed", "broken")
    assert newest.history_change_reason == f"Imported from CSV (batch {report.batch.pk})"
    assert newest.history_user.username == "olena"
    assert target.sources.count() == 2  # updated in place: its sources stay
    assert target.implementations.filter(event=unseen["draft"]).exists()


def _rename_and_add_a_party(texts):
    def change(row):
        if row["person"] == "rustem-umerov":
            row["person_name"] = "Rustem Umierov"
        if row["event"] == ISTANBUL and row["person"] == "hakan-fidan":
            row.update(
                party="ghost-party", party_name="Ghost Party", party_kind="other", party_country=""
            )

    texts["participations"] = edit(texts["participations"], change)
    return texts


def test_a_rename_and_a_new_party_are_refused_without_confirmation(client, seeded):
    texts = _rename_and_add_a_party(export_all(client))
    before = state()

    with pytest.raises(ImportRefused) as refused:
        import_texts(texts)

    problems = [str(p) for p in refused.value.problems]
    assert problems[0].startswith("participations.csv, line ")
    assert (
        "column person_name: the person 'rustem-umerov' is called 'Rustem Umerov' in the record, not 'Rustem Umierov': confirm renames"
        in problems[0]
    )
    assert all("rustem-umerov" in p for p in problems)
    assert refused.value.confirmable == {"renames"}
    assert state() == before


def test_with_confirmation_the_plan_lists_exactly_the_rename_and_the_new_party(
    client, seeded, capsys, tmp_path
):
    texts = _rename_and_add_a_party(export_all(client))
    umerov = Person.objects.get(slug="rustem-umerov")
    for name, text in texts.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
    files = [str(tmp_path / f"{name}.csv") for name in texts]

    call_command("import_csv", *files, dry_run=True, confirm_renames=True)

    out = capsys.readouterr().out
    plan, ignored = out.split("Ignored cells:\n")
    changes = [line.strip() for line in plan.splitlines() if line.startswith("  ")]
    assert changes == [
        "created Ghost Party [ghost-party]",
        "renamed Rustem Umerov → Rustem Umierov [rustem-umerov]",
        f"changed Hakan Fidan – Ghost Party (mediator) at {ISTANBUL}: party: Türkiye → Ghost Party",
    ]
    assert "people: 1 changed, 76 unchanged" in out
    assert ignored.startswith("  events.csv, line ")
    assert "column participants: ignored: it is derived, and the record gives " in ignored
    assert "Dry run: nothing was written." in out

    call_command("import_csv", *files, confirm_renames=True)

    renamed = Person.objects.get(slug="rustem-umerov")
    assert renamed.name == "Rustem Umierov"
    assert renamed.version == umerov.version + 1
    assert renamed.history.first().name == "Rustem Umierov"
    assert Party.objects.get(slug="ghost-party").kind == "other"


@pytest.mark.parametrize(
    ("slug", "name", "existing"),
    [
        ("erdogan", "Recep Tayyip Erdogan", "recep-tayyip-erdogan"),
        ("umerov", "RUSTEM  UMEROV", "rustem-umerov"),
        ("rustem-umerov-2", "Rustem Umerov", "rustem-umerov"),
    ],
)
def test_a_look_alike_is_refused_naming_the_existing_slug(client, seeded, slug, name, existing):
    texts = export_all(client)

    def typo(row):
        if row["person"] == "rustem-umerov" and row["event"] == ISTANBUL:
            row.update(person=slug, person_name=name)

    texts["participations"] = edit(texts["participations"], typo)

    with pytest.raises(ImportRefused) as refused:
        import_texts(texts)

    (problem,) = refused.value.problems
    assert problem.column == "person_name"
    assert f"named like the existing {existing!r}" in problem.message
    assert problem.confirm == "new"
    report = import_texts(texts, confirm_new=True, dry_run=True)
    assert report.counts["people"]["created"] == 1


def test_a_conflict_is_named_by_slug_and_an_unknown_one_is_refused_and_a_new_title_a_rename(
    client, seeded
):
    texts = export_all(client)
    texts["events"] = edit(
        texts["events"],
        lambda row: (
            row.update(
                process="new-track",
                process_title="New track",
                conflict="russia-ukraine",
                conflict_name="Russia-Ukraine war",
            )
            if row["slug"] == ISTANBUL
            else None
        ),
    )
    with pytest.raises(ImportRefused) as refused:
        import_texts(texts)
    (problem,) = refused.value.problems
    assert (problem.column, problem.confirm) == ("conflict_name", "new")
    assert "named like the existing 'russia-ukraine-war'" in problem.message
    report = import_texts(texts, confirm_new=True, dry_run=True)
    assert report.counts["conflicts"]["created"] == 1

    texts["events"] = edit(
        texts["events"],
        lambda row: row.update(conflict_name="") if row["slug"] == ISTANBUL else None,
    )
    with pytest.raises(ImportRefused) as refused:
        import_texts(texts)
    (problem,) = refused.value.problems
    assert problem.column == "conflict"
    assert "unknown conflict 'russia-ukraine'" in problem.message
    assert "Russia–Ukraine war [russia-ukraine-war]" in problem.message

    texts = export_all(client)
    process = Process.objects.get(events__slug=ISTANBUL)
    texts["events"] = edit(
        texts["events"],
        lambda row: (
            row.update(process_title=row["process_title"].replace("–", "-"))
            if row["process"] == process.slug
            else None
        ),
    )
    with pytest.raises(ImportRefused) as refused:
        import_texts(texts)
    assert {p.confirm for p in refused.value.problems} == {"renames"}
    process.refresh_from_db()
    assert "–" in process.title or "-" not in process.title


def test_rows_are_updated_in_place_and_only_rows_the_file_dropped_are_deleted(client, unseen):
    texts = export_all(client)
    istanbul = Event.objects.get(slug=ISTANBUL)
    ids = {
        "participations": set(Participation.objects.values_list("pk", flat=True)),
        "outcomes": set(Outcome.objects.values_list("pk", flat=True)),
    }
    dropped = istanbul.participations.order_by("position", "pk").last()
    last = len(istanbul.participations.all())
    texts["participations"] = edit(
        texts["participations"],
        lambda row: False if row["event"] == ISTANBUL and row["position"] == str(last) else None,
    )
    version = istanbul.version

    (step,) = import_texts(texts, dry_run=True).plan.changes
    assert step.action == "deleted"
    assert step.obj.pk == dropped.pk
    assert (
        report_line(step)
        == f"deleted {dropped.person.name} – {dropped.party.name} (delegate) at {ISTANBUL}"
    )

    report = import_texts(texts)

    assert report.counts["participations"]["deleted"] == 1
    assert set(Participation.objects.values_list("pk", flat=True)) == ids["participations"] - {
        dropped.pk
    }
    assert set(Outcome.objects.values_list("pk", flat=True)) == ids["outcomes"]
    istanbul.refresh_from_db()
    assert istanbul.version == version + 1
    assert report.counts["events"] == {"changed through its parts": 1, "unchanged": 46}


def report_line(step):
    from tracker.imports.plan import Plan

    return Plan().describe(step)


def test_a_file_without_an_events_rows_keeps_what_the_event_has(client, seeded):
    texts = export_all(client)
    texts["participations"] = edit(texts["participations"], lambda row: row["event"] == ISTANBUL)
    report = import_texts({"participations": texts["participations"]})
    assert report.plan.is_empty
    assert Participation.objects.exclude(event__slug=ISTANBUL).exists()


def test_no_stored_text_gains_a_carriage_return(seeded):
    events = (
        "slug,process,process_title,conflict,conflict_name,kind,title,start_date,summary,"
        "unverified\r\n"
        "cr-test,new-track,New track,test-conflict,Test conflict,statement,CR test,2025-01-01,"
        '"one\r\ntwo\rthree","a\r\nb"\r\n'
    )
    import_texts({"events": events})
    event = Event.objects.get(slug="cr-test")
    assert (event.summary, event.unverified) == ("one\ntwo\nthree", "a\nb")


# Every problem in one pass --------------------------------------------------------------


EVENTS_HEADER = (
    "slug,process,process_title,conflict,kind,title,start_date,duration,summary,status\r\n"
)
OUTCOMES_HEADER = "event,position,kind,status,description,quantity\r\n"


def crashing_files():
    events = EVENTS_HEADER + (
        "long,p,P,C,statement,Long,2025-01-01,P9999999999D,,draft\r\n"
        'nul,p,P,C,statement,Nul,2025-01-01,,"a\x00b",draft\r\n'
        "far,p,P,C,statement,Far,9999-12-01,,,published\r\n"
        "early,p,P,C,statement,Early,0999-12-31,,,draft\r\n"
    )
    outcomes = OUTCOMES_HEADER + "long,1,agreement,agreed,Big.,99999999999\r\n"
    outcomes += "".join(f"long,{n},agreement,agred,Bad {n}.,\r\n" for n in range(2, 502))
    return {"events": events, "outcomes": outcomes}


def test_impossible_cells_and_500_bad_rows_are_named_in_one_pass(seeded):
    before = state()
    with pytest.raises(ImportRefused) as refused:
        import_texts(crashing_files())
    problems = [str(p) for p in refused.value.problems]

    assert problems[:5] == [
        "events.csv, line 2, column duration: 'P9999999999D' is longer than the tracker can store (106,751 days)",
        "events.csv, line 3, column summary: contains a NUL character, which text cannot hold",
        "events.csv, line 4, column start_date: 9999-12-01: Enter a date from the year 1000 to the year 2999.",
        "events.csv, line 5, column start_date: 0999-12-31: Enter a date from the year 1000 to the year 2999.",
        "outcomes.csv, line 2, column quantity: Ensure this value is less than or equal to 2147483647.",
    ]
    assert len(problems) == 505
    assert problems[-1].startswith("outcomes.csv, line 502, column status: 'agred' is not one of: ")
    shown = listing(refused.value.problems)
    assert len(shown) == 201
    assert shown[-1] == "… and 305 more problems (505 in all)."
    assert state() == before


def test_the_command_names_problems_and_what_would_lift_them(tmp_path, seeded):
    path = tmp_path / "events.csv"
    path.write_text("id,slug\r\n1,x\r\n")
    with pytest.raises(CommandError, match="events.csv, line 1: missing required column"):
        call_command("import_csv", str(path))


def test_a_changed_participation_is_updated_in_place_keeping_its_id_and_history(client, seeded):
    texts = export_all(client)
    row_of = Participation.objects.filter(event__slug=ISTANBUL, person__slug="rustem-umerov")
    participation = row_of.get()
    history = participation.history.count()

    def retitle(row):
        if row["event"] == ISTANBUL and row["person"] == "rustem-umerov":
            row["title"] = "Head of the delegation (retitled)"

    texts["participations"] = edit(texts["participations"], retitle)

    report = import_texts(texts)

    assert report.counts["participations"]["changed"] == 1
    kept = row_of.get()
    assert kept.pk == participation.pk
    assert kept.title == "Head of the delegation (retitled)"
    assert kept.history.count() == history + 1


@pytest.mark.parametrize("column", ["party_name", "side_name"])
def test_another_name_for_an_existing_party_is_a_rename_to_confirm(client, seeded, column):
    """Wherever the participations file names the party (as a party or as a side), it
    gives the new name; the import refuses it as a rename to confirm. (The other files,
    still giving the old name, would contradict it: a separate refusal.)"""
    texts = export_all(client)
    slug_column = column.removesuffix("_name")
    target = next(row[slug_column] for row in rows(texts["participations"]) if row[slug_column])
    name = Party.objects.get(slug=target).name

    def rename(row):
        for slug, name_column in (("party", "party_name"), ("side", "side_name")):
            if row[slug] == target:
                row[name_column] = f"{name} (renamed)"

    texts["participations"] = edit(texts["participations"], rename)
    before = state()

    with pytest.raises(ImportRefused) as refused:
        import_texts({"participations": texts["participations"]})

    assert refused.value.confirmable == {"renames"}
    (problem,) = refused.value.problems
    assert problem.column in ("party_name", "side_name")
    assert target in str(problem)
    assert f"is called {name!r} in the record, not {name + ' (renamed)'!r}" in str(problem)
    assert state() == before


@pytest.mark.parametrize("table", ["party", "process"])
def test_a_look_alike_party_or_process_is_refused_naming_the_existing_slug(client, seeded, table):
    texts = export_all(client)
    if table == "party":
        texts["participations"] = edit(
            texts["participations"],
            lambda row: (
                row.update(party="turkiye-2", party_name="TURKIYE")
                if row["party"] == "turkiye" and row["event"] == ISTANBUL
                else None
            ),
        )
        existing, column, plural = "turkiye", "party_name", "parties"
    else:
        process = Process.objects.get(events__slug=ISTANBUL)
        texts["events"] = edit(
            texts["events"],
            lambda row: (
                row.update(process="istanbul-again", process_title=process.title.upper())
                if row["slug"] == ISTANBUL
                else None
            ),
        )
        existing, column, plural = process.slug, "process_title", "processes"
    before = state()

    with pytest.raises(ImportRefused) as refused:
        import_texts(texts)

    (problem,) = [p for p in refused.value.problems if p.confirm == "new"]
    assert problem.column == column
    assert f"named like the existing {existing!r}" in problem.message
    assert state() == before
    report = import_texts(texts, confirm_new=True, dry_run=True)
    assert report.counts[plural]["created"] == 1


def test_a_form_opened_before_an_import_is_refused_after_it(client, seeded, admin_form_data):
    """An import moves the versions of what it changes, so an editor's form opened before
    it cannot overwrite the imported change."""
    istanbul = Event.objects.get(slug=ISTANBUL)
    url = f"/admin/tracker/event/{istanbul.pk}/change/"
    editor = make_user("olena", groups=["Editor"])
    texts = export_all(client)
    client.force_login(editor)
    opened = admin_form_data(client.get(url))

    texts["events"] = edit(
        texts["events"],
        lambda row: row.update(title="Imported title") if row["slug"] == ISTANBUL else None,
    )
    import_texts({"events": texts["events"]})
    response = client.post(url, opened | {"summary": "Typed in the open form."})

    assert response.status_code == 200
    assert "saved a newer version of this record" in response.content.decode()
    istanbul.refresh_from_db()
    assert istanbul.title == "Imported title"
    assert istanbul.summary != "Typed in the open form."


@pytest.mark.parametrize("given_id", ["", "987654"])
def test_a_new_event_is_checked_alike_with_or_without_a_free_id(seeded, given_id):
    """A new row that carries an id no stored event has is as new as one without: every
    value it would write meets the field rules (an empty title is named, not written)."""
    process = Process.objects.select_related("conflict").first()
    before = state()
    row = [given_id, "fresh", process.slug, process.title, process.conflict.slug, "statement"]
    row += ["", "2025-01-01", "", "", "draft"]  # no title
    line = io.StringIO()
    csv.writer(line).writerow(row)
    events = "id," + EVENTS_HEADER + line.getvalue()
    with pytest.raises(ImportRefused) as refused:
        import_texts({"events": events})
    assert [str(p) for p in refused.value.problems] == [
        "events.csv, line 2, column title: is required"
    ]
    assert state() == before
