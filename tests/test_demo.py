"""``manage.py generate_demo``: the demo record's shape, its marking, and its refusals."""

import io
import statistics
import unicodedata
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from tests.factories import make_event
from tracker.demo import DEMO_CONFLICT_NAMES, LENGTHS, demo_events
from tracker.models import (
    Citation,
    Conflict,
    Event,
    EventLink,
    Outcome,
    Participation,
    Party,
    Person,
    Process,
    RecordVersion,
    Source,
)

pytestmark = pytest.mark.django_db

SEEDS = Path(settings.BASE_DIR) / "seeds"


def generate(*args):
    out = io.StringIO()
    call_command("generate_demo", *args, stdout=out)
    return out.getvalue()


def per_event(model):
    counts = Event.objects.annotate(n=Count(model._meta.get_field("event").remote_field.name))
    return set(counts.values_list("n", flat=True))


def lengths(values):
    return min(map(len, values)), max(map(len, values))


def participant_names(event):
    for person, party, title in event.participations.values_list(
        "person__name", "party__name", "title"
    ):
        yield from (part for part in (person, party, title) if part)


def test_generate_demo_writes_a_record_at_the_seeds_shape():
    output = generate("--events", "300")

    assert Event.objects.count() == 300
    assert Process.objects.count() == 3  # at least three, else N/200
    assert Party.objects.count() == 10  # N/30
    assert Person.objects.count() == 100  # N/3
    assert Source.objects.count() == 60  # N/5
    conflicts = Conflict.objects.filter(processes__isnull=False).distinct()
    assert {(c.name, c.demo) for c in conflicts} == {(n, True) for n in DEMO_CONFLICT_NAMES}
    sample = Event.objects.order_by("?")[:20]
    for event in sample:  # the derived fields as a save would make them
        stored = (event.sort_date, event.search_text)
        event.derive(participant_names=list(participant_names(event)))
        assert (event.sort_date, event.search_text) == stored, event.slug
    assert demo_events().count() == 300
    assert per_event(Participation) <= set(range(2, 7))
    assert per_event(Outcome) == set(range(0, 4))
    assert per_event(Citation) == {1, 2}
    assert 30 <= EventLink.objects.count() <= 90  # one event in five, about
    assert Event.objects.filter(status=Event.Status.DRAFT).count() == 15  # 5%
    assert not Event.objects.published().filter(published_at__isnull=True).exists()

    titles = lengths(Event.objects.values_list("title", flat=True))
    assert LENGTHS["title"][0] <= titles[0] <= titles[1] <= LENGTHS["title"][1]
    summaries = lengths(Event.objects.values_list("summary", flat=True))
    assert LENGTHS["summary"][0] <= summaries[0] <= summaries[1] <= LENGTHS["summary"][1]
    outcomes = lengths(Outcome.objects.values_list("description", flat=True))
    assert LENGTHS["outcome"][0] <= outcomes[0] <= outcomes[1] <= LENGTHS["outcome"][1]

    precisions = dict(
        Event.objects.values_list("date_precision").annotate(n=Count("pk")).order_by()
    )
    assert set(precisions) == {"day", "month", "year"}
    assert not Event.objects.filter(date_precision="month").exclude(start_date__day=1).exists()
    year = Event.objects.filter(date_precision="year")
    assert not year.exclude(start_date__day=1, start_date__month=1).exists()
    assert Event.objects.filter(end_date__isnull=False).count() > 10  # spans

    names = "".join(Person.objects.values_list("name", flat=True))
    scripts = {unicodedata.name(c).split()[0] for c in names if c.isalpha()}
    assert scripts >= {"LATIN", "CYRILLIC", "GREEK", "ARABIC", "ARMENIAN", "GEORGIAN", "HEBREW"}

    assert "events 300 of 300 written" in output
    # Rows written without model instances still pass the models' own validation.
    for model in (
        Process,
        Party,
        Person,
        Source,
        Event,
        Participation,
        Outcome,
        Citation,
        EventLink,
    ):
        for row in model.objects.order_by("?")[:20]:
            row.full_clean()
    # Every row written with its bookkeeping: history, and the record-wide version moved.
    assert Event.history.count() == 300
    assert Participation.history.count() == Participation.objects.count()
    assert RecordVersion.current()[0] > 0


def test_the_demo_lengths_are_the_seeds_lengths():
    """LENGTHS is measured from the seeds: their median title, summary and outcome
    description fall inside it."""
    seen = {"title": [], "summary": [], "outcome": []}
    for path in (SEEDS / "events").rglob("*.yaml"):
        for event in yaml.safe_load(path.read_text("utf-8"))["events"]:
            seen["title"].append(len(event["title"]))
            seen["summary"].append(len(event.get("summary", "")))
            seen["outcome"] += [len(o["description"]) for o in event.get("outcomes") or []]
    for name, values in seen.items():
        low, high = LENGTHS[name]
        assert low <= statistics.median(values) <= high, name


def test_generate_demo_refreshes_the_planner_statistics():
    output = generate("--events", "40")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            assert "PRAGMA optimize run" in output
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 1
        else:
            assert "ANALYZE run" in output
            cursor.execute(
                "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'tracker_event'"
            )
            assert cursor.fetchone()[0] is not None


def test_generate_demo_refuses_a_database_with_other_events():
    make_event(slug="real-event")
    name = str(connection.settings_dict["NAME"])

    with pytest.raises(CommandError, match="holds 1 events that are not demo records"):
        generate("--events", "40")
    with pytest.raises(CommandError, match="you gave --force not-this-one"):
        generate("--events", "40", "--force", "not-this-one")
    assert Event.objects.count() == 1

    generate("--events", "40", "--force", name)
    assert demo_events().count() == 40
    assert Event.objects.filter(slug="real-event").exists()


def test_generate_demo_refuses_to_generate_twice():
    generate("--events", "40")
    with pytest.raises(CommandError, match="already holds a demo record of 40 events"):
        generate("--events", "40")
    assert Event.objects.count() == 40
