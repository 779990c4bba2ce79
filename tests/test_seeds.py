"""The real seed files, loaded through the real loader into the real database."""

import datetime
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from tests.conftest import RECORDS
from tests.factories import make_user
from tracker.models import (
    Event,
    EventLink,
    Implementation,
    Outcome,
    Participation,
    Party,
    Person,
    Process,
    Source,
)
from tracker.seeds import SeedError, load_seeds

pytestmark = pytest.mark.django_db

SEEDS = Path(settings.BASE_DIR) / "seeds"
SECOND = RECORDS["second_conflict"]

#: Every “agreed → carried out” pair whose two ends are events: for the seeds, as the
#: reference chronology gives them, except the two it marks unverified (the August 2025
#: swaps against round 3's agreement); for the second record, as its sources do.
CARRIED_OUT = {
    "seeds": {
        ("2025-05-16-istanbul-direct-talks", "2025-05-23-1000-for-1000-exchange", "full"),
        ("2025-06-02-istanbul-round-2", "2025-06-09-istanbul-2-exchanges", "full"),
        ("2025-07-23-istanbul-round-3", "2025-10-02-prisoner-exchange", "partial"),
        ("2026-02-17-geneva-trilateral-3", "2026-03-05-500-for-500-exchange", "full"),
    },
    "second_conflict": {
        ("2012-08-26-general-agreement-havana", "2012-10-18-talks-installed-hurdal", "full"),
        ("2012-08-26-general-agreement-havana", "2012-11-19-havana-talks-open", "full"),
        ("2012-08-26-general-agreement-havana", "2016-08-24-final-agreement-concluded", "full"),
        ("2012-10-18-talks-installed-hurdal", "2012-11-19-havana-talks-open", "full"),
        ("2016-06-23-bilateral-ceasefire-agreement", "2016-08-29-definitive-ceasefire", "partial"),
        ("2016-08-24-final-agreement-concluded", "2016-09-26-cartagena-signing", "full"),
        ("2016-11-12-revised-agreement", "2016-11-24-teatro-colon-signing", "full"),
        ("2016-11-07-mont-pelerin-round-1", "2016-11-20-mont-pelerin-round-2", "full"),
        ("2017-01-09-geneva-leaders-talks", "2017-01-12-conference-on-cyprus-geneva", "full"),
    },
}


def snapshot():
    """Everything the loader writes, history included, as comparable values."""
    models = [Party, Person, Process, Source, Event, Participation, Outcome, EventLink]
    return {
        model.__name__: (
            list(model.objects.order_by("pk").values()),
            model.history.count(),
        )
        for model in models
    } | {"implementations": list(Implementation.objects.order_by("pk").values())}


@pytest.fixture
def seeded(db):
    return load_seeds(directory=SEEDS)


def test_the_record_holds_all_47_published_events_each_with_a_source(seeded):
    assert seeded.total("created") > 0
    assert Event.objects.count() == 47
    assert Event.objects.published().count() == 47
    assert not Event.objects.filter(citations__isnull=True).exists()
    for event in Event.objects.prefetch_related("citations__source"):
        sources = [c.source for c in event.citations.all()]
        assert any(s.url and s.publisher and s.published_on for s in sources), event.slug
    assert Event.objects.order_by("start_date").first().start_date == datetime.date(2022, 2, 28)
    assert Event.objects.order_by("-start_date").first().start_date == datetime.date(2026, 3, 5)
    assert Process.objects.count() == 7
    assert not Process.objects.filter(events__isnull=True).exists()


def test_every_participant_is_linked_to_a_party(seeded):
    unlinked = Participation.objects.filter(party__isnull=True, person__party__isnull=True)
    assert list(unlinked) == []
    assert not Person.objects.filter(party__isnull=True).exists()


def test_every_agreement_carried_out_is_linked_to_the_event_that_did_it(seeded):
    assert carried_out() >= CARRIED_OUT["seeds"]
    for implementation in Implementation.objects.select_related("outcome__event", "event"):
        assert implementation.event.start_date >= implementation.outcome.event.start_date


def carried_out():
    return {
        (i.outcome.event.slug, i.event.slug, i.extent)
        for i in Implementation.objects.select_related("outcome__event", "event")
    }


def test_the_second_record_links_participants_to_parties_and_agreements_to_their_sequels(
    load_record,
):
    load_record("second_conflict")
    assert carried_out() == CARRIED_OUT["second_conflict"]
    assert not Participation.objects.filter(party__isnull=True, person__party__isnull=True)
    assert not Person.objects.filter(party__isnull=True).exists()
    assert not Event.objects.filter(citations__isnull=True).exists()
    precisions = Event.objects.values_list("date_precision", flat=True)
    assert set(precisions) == {"day", "month", "year"}


def test_the_call_after_the_talks_is_linked_to_them(seeded):
    link = EventLink.objects.get(
        from_event__slug="2025-05-16-european-leaders-call-trump",
        to_event__slug="2025-05-16-istanbul-direct-talks",
    )
    assert link.relation == EventLink.Relation.RESPONDS_TO


def test_the_16_may_2025_istanbul_talks_in_full(seeded):
    event = Event.objects.get(slug="2025-05-16-istanbul-direct-talks")

    assert (event.start_date, event.end_date, event.kind) == (
        datetime.date(2025, 5, 16),
        None,
        Event.Kind.ROUND_OF_TALKS,
    )
    assert (event.venue, event.city, event.country.code) == ("Dolmabahçe Palace", "Istanbul", "TR")
    assert event.duration_note == "just under two hours"
    assert event.process.slug == "istanbul-direct-talks-2025"

    roles = {
        (p.person.name if p.person else None, p.party.name if p.party else None, p.role)
        for p in event.participations.select_related("person", "party")
    }
    assert ("Hakan Fidan", "Türkiye", "mediator") in roles
    assert ("Vladimir Medinsky", "Russia", "head_of_delegation") in roles
    assert ("Rustem Umerov", "Ukraine", "head_of_delegation") in roles
    umerov = event.participations.get(person__slug="rustem-umerov")
    assert (umerov.side.slug, umerov.title) == ("ukraine", "Minister of Defence of Ukraine")
    assert event.participations.get(person__slug="hakan-fidan").side is None

    exchange, proposals, ceasefire, meeting = list(event.outcomes.all())[:4]
    assert (exchange.kind, exchange.status, exchange.quantity, exchange.unit) == (
        "prisoner_exchange",
        "agreed",
        1000,
        "prisoners of war per side",
    )
    assert {p.slug for p in exchange.agreed_by.all()} == {"russia", "ukraine"}
    assert [(i.event.slug, i.extent) for i in exchange.implementations.all()] == [
        ("2025-05-23-1000-for-1000-exchange", "full")
    ]
    carried_out = Event.objects.get(slug="2025-05-23-1000-for-1000-exchange")
    assert (carried_out.start_date, carried_out.end_date) == (
        datetime.date(2025, 5, 23),
        datetime.date(2025, 5, 25),
    )
    assert proposals.status == "agreed"
    assert "writing" in proposals.description or "written" in proposals.description
    assert ceasefire.status == "rejected"
    assert "30-day" in ceasefire.description
    assert [p.slug for p in ceasefire.rejected_by.all()] == ["russia"]
    assert meeting.status == "discussed"
    assert "Putin" in meeting.description
    assert "Zelensky" in meeting.description

    seed_report = event.citations.get(source__url="").source
    assert (seed_report.title, seed_report.publisher, seed_report.published_on) == (
        "Russia-Ukraine Peace Talks in Istanbul Yield Prisoner Exchange, No Breakthrough",
        "Safarti Tarjuman International Desk",
        datetime.date(2025, 5, 16),
    )

    call = Event.objects.get(slug="2025-05-16-european-leaders-call-trump")
    people = set(call.participations.values_list("person__name", flat=True))
    assert {"Keir Starmer", "Emmanuel Macron", "Friedrich Merz", "Donald Tusk"} <= people
    assert {"Volodymyr Zelensky", "Donald Trump"} <= people


def test_disputed_figures_are_stated_not_silently_picked(seeded):
    texts = " ".join(
        Event.objects.filter(slug__startswith="2025-06").values_list("source_notes", flat=True)
    ) + " ".join(
        Outcome.objects.filter(event__slug__startswith="2025-06").values_list("note", flat=True)
    )
    assert "6,057" in texts
    assert "6,060" in texts


def test_loading_twice_changes_nothing(record):
    before = snapshot()

    report = load_seeds(directory=record.directory)

    assert report.total("created") == report.total("updated") == report.total("skipped") == 0
    assert report.total("unchanged") == record.report.total("created")
    assert snapshot() == before


def test_the_second_record_loads_beside_the_seeds_and_shares_their_parties_and_people(
    load_record,
):
    load_record("seeds")
    events = Event.objects.count()

    second = load_record("second_conflict").report

    shared = {"european-union", "switzerland", "turkiye", "united-kingdom", "united-nations"}
    assert dict(second.counts["parties"]) == {"created": 16 - len(shared), "unchanged": 5}
    assert dict(second.counts["people"]) == {"created": 27, "unchanged": 2}  # Guterres, Çavuşoğlu
    assert second.total("updated") == second.total("skipped") == 0
    assert Event.objects.count() == events + 29
    lanes = list(Process.objects.order_by("position").values_list("slug", flat=True))
    assert lanes[-2:] == ["colombia-farc-ep-talks-2012-2016", "cyprus-talks-2015-2017"]


def test_the_command_loads_the_second_record(capsys):
    call_command("loadseeds", dir=str(SECOND))

    out = capsys.readouterr().out
    assert "events: 29 created" in out
    assert re.search(r"Loaded: \d+ created, 0 updated, 0 unchanged, 0 skipped\.", out)
    assert Event.objects.filter(status=Event.Status.PUBLISHED).count() == 27
    assert set(
        Event.objects.exclude(status=Event.Status.PUBLISHED).values_list("status", flat=True)
    ) == {"draft", "review"}


def test_an_agreement_can_be_carried_out_later_in_a_month_known_only_as_a_month(tmp_path):
    copy = tmp_path / "second_conflict"
    shutil.copytree(SECOND, copy)
    path = copy / "events/2016/colombia-farc-ep-talks-2012-2016.yaml"
    signed = (
        "      sent to Congress for endorsement.\n    agreed_by:\n    - colombia\n    - farc-ep\n"
    )
    text = path.read_text(encoding="utf-8")
    assert text.count(signed) == 1
    carried_out = "    carried_out_by:\n    - event: 2016-11-congress-endorses-agreement\n"
    path.write_text(text.replace(signed, signed + carried_out), encoding="utf-8")

    load_seeds(directory=copy)

    implementation = Implementation.objects.get(event__slug="2016-11-congress-endorses-agreement")
    assert implementation.outcome.event.slug == "2016-11-24-teatro-colon-signing"


def test_a_record_edited_in_the_admin_survives_a_second_load(seeded, client, admin_form_data):
    editor = make_user("olena", groups=["Editor"])
    event = Event.objects.get(slug="2025-05-16-istanbul-direct-talks")
    url = reverse("admin:tracker_event_change", args=[event.pk])
    client.force_login(editor)
    data = admin_form_data(client.get(url))
    assert client.post(url, data | {"title": "Istanbul, corrected by an editor"}).status_code == 302

    report = load_seeds(directory=SEEDS)

    event.refresh_from_db()
    assert event.title == "Istanbul, corrected by an editor"
    assert event.changed_by == editor
    assert report.counts["events"]["skipped"] == 1
    skipped = "events 2025-05-16-istanbul-direct-talks: changed in the admin by olena"
    assert skipped in "\n".join(report.lines())

    load_seeds(directory=SEEDS, update=True)
    event.refresh_from_db()
    assert event.title != "Istanbul, corrected by an editor"
    assert event.changed_by is None


def test_an_event_deleted_in_the_admin_is_not_brought_back(seeded):
    Event.objects.get(slug="2025-05-11-putin-proposes-istanbul-talks").delete()

    report = load_seeds(directory=SEEDS)

    assert not Event.objects.filter(slug="2025-05-11-putin-proposes-istanbul-talks").exists()
    assert report.counts["events"]["skipped"] == 1


@pytest.fixture
def seed_copy(tmp_path):
    copy = tmp_path / "seeds"
    shutil.copytree(SEEDS, copy)
    return copy


@pytest.mark.parametrize(
    ("file", "old", "new", "reason"),
    [
        (
            "events/2025/istanbul-direct-talks-2025.yaml",
            "kind: round_of_talks",
            "kind: picnic",
            "kind: 'picnic' is not one of: round_of_talks, summit",
        ),
        (
            "events/2025/istanbul-direct-talks-2025.yaml",
            "person: rustem-umerov",
            "person: rustem-umerow",
            "unknown person 'rustem-umerow'",
        ),
        (
            "events/2025/istanbul-direct-talks-2025.yaml",
            "start: 2025-05-16",
            "start: 2025-13-45",
            "month must be in 1..12",
        ),
        ("people.yaml", "name: Hakan Fidan", "nam: Hakan Fidan", "missing name"),
        ("parties.yaml", "parties:", "parties: [", "cannot be read"),
    ],
)
def test_a_broken_seed_file_is_rejected_by_name_and_nothing_is_written(
    seed_copy, file, old, new, reason
):
    path = seed_copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")

    with pytest.raises(SeedError) as error:
        load_seeds(directory=seed_copy)

    problems = "\n".join(error.value.problems)
    assert f"seeds/{file}" in problems
    assert reason in problems
    assert Event.objects.count() == Party.objects.count() == Source.objects.count() == 0


def test_a_broken_seed_file_changes_nothing_in_a_loaded_record(seeded, seed_copy):
    before = snapshot()
    path = seed_copy / "events/2025/istanbul-direct-talks-2025.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("just under two hours", "a good two hours", 1)  # a real change…
    text = text.replace("role: mediator", "role: referee", 1)  # …and a broken one
    path.write_text(text, encoding="utf-8")

    with pytest.raises(SeedError, match="role: 'referee' is not one of"):
        load_seeds(directory=seed_copy)

    assert snapshot() == before


def test_the_command_reports_and_refuses_broken_files(seed_copy, capsys):
    call_command("loadseeds", dir=str(seed_copy))
    assert "Loaded: " in capsys.readouterr().out
    call_command("loadseeds", dir=str(seed_copy))
    out = capsys.readouterr().out
    assert "0 created, 0 updated" in out

    path = seed_copy / "events/2026/prisoner-exchanges.yaml"
    path.write_text(path.read_text().replace("summary:", "sumary:", 1))
    with pytest.raises(CommandError, match="events/2026/prisoner-exchanges.yaml"):
        call_command("loadseeds", dir=str(seed_copy))


def test_check_writes_nothing(capsys):
    call_command("loadseeds", check=True)
    assert "Would load: " in capsys.readouterr().out
    assert Event.objects.count() == 0
