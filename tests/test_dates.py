"""Dates the tracker can show: years 1000 to 2999, on every write path, and every such
date on every public page, chart and feed."""

import datetime
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.urls import reverse

from tests.factories import make_participation, make_party, make_person, make_process
from tracker.models import Event, Participation
from tracker.models.validators import FIRST_YEAR, LAST_YEAR, validate_shown_date
from tracker.seeds import SeedError, load_seeds

pytestmark = pytest.mark.django_db

RANGE_MESSAGE = "Enter a date from the year 1000 to the year 2999."
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_the_range_is_the_one_the_message_names():
    assert (FIRST_YEAR, LAST_YEAR) == (1000, 2999)


def test_every_date_field_of_the_record_refuses_dates_the_tracker_cannot_show():
    fields = [
        f"{model.__name__}.{field.name}"
        for model in apps.get_app_config("tracker").get_models()
        for field in model._meta.fields
        if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField)
    ]
    missing = [
        name
        for name in fields
        if validate_shown_date
        not in apps.get_model("tracker", name.split(".")[0])
        ._meta.get_field(name.split(".")[1])
        .validators
    ]
    assert fields
    assert missing == []


# Write paths


def event_form(process, **changes):
    return {
        "process": process.pk,
        "kind": "round_of_talks",
        "title": "Talks in the far future",
        "slug": "far-future",
        "status": "published",
        "start_date": "9999-12-01",
        "date_precision": "month",
        "period_position": "middle",
        **{f"{prefix}-TOTAL_FORMS": "0" for prefix in INLINES},
        **{f"{prefix}-INITIAL_FORMS": "0" for prefix in INLINES},
        **changes,
    }


INLINES = ["participations", "outcomes", "implementations", "links_out", "links_in", "citations"]


@pytest.mark.parametrize("start", ["9999-12-01", "0999-12-31", "3000-01-01"])
def test_the_admin_refuses_a_date_it_cannot_show(client, superuser, start):
    process = make_process()
    client.force_login(superuser)

    response = client.post(
        reverse("admin:tracker_event_add"), event_form(process, start_date=start)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["start_date"] == [RANGE_MESSAGE]
    assert not Event.objects.exists()


@pytest.mark.parametrize("start", ["1000-01-01", "2999-12-01"])
def test_the_admin_accepts_the_first_and_last_years(client, superuser, start):
    process = make_process()
    client.force_login(superuser)

    response = client.post(
        reverse("admin:tracker_event_add"), event_form(process, start_date=start)
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Event.objects.get().start_date.isoformat() == start


def test_import_csv_refuses_a_published_event_in_9999(tmp_path):
    event = shown_event(2999, 12, Event.Precision.MONTH, slug="far-future")
    call_command("export_csv", dir=str(tmp_path), table=["events"], verbosity=0)
    exported = next(tmp_path.glob("events*.csv"))
    text = exported.read_text(encoding="utf-8")
    assert "2999-12-01" in text
    exported.write_text(text.replace("2999-12-01", "9999-12-01"), encoding="utf-8")
    event.delete()

    with pytest.raises(CommandError, match=RANGE_MESSAGE.replace(".", r"\.")):
        call_command("import_csv", str(exported), verbosity=0)

    assert not Event.objects.exists()


def test_the_seed_loader_refuses_a_published_event_in_9999(tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    far = seeds / "events" / "9999"
    far.mkdir()
    (far / "istanbul-direct-talks-2025.yaml").write_text(
        "process: istanbul-direct-talks-2025\n"
        "events:\n"
        "- slug: 9999-12-far-future\n"
        "  title: Talks in the far future\n"
        "  kind: round_of_talks\n"
        "  start: 9999-12-01\n"
        "  precision: month\n"
        "  status: published\n"
        "  summary: Nothing yet.\n"
        "  sources:\n"
        "  - url: https://news.example.org/far-future\n"
        "    publisher: Example News\n",
        encoding="utf-8",
    )

    with pytest.raises(SeedError) as refused:
        load_seeds(directory=seeds)

    problems = "\n".join(refused.value.problems)
    assert "events/9999/istanbul-direct-talks-2025.yaml" in problems
    assert RANGE_MESSAGE in problems
    assert not Event.objects.exists()


# Every accepted date on every public page, chart and feed


def shown_event(year, month, precision, **fields):
    process = fields.pop("process", None) or make_process()
    return Event.objects.create(
        process=process,
        kind=Event.Kind.ROUND_OF_TALKS,
        title=f"Talks of {year}-{month:02d} ({precision})",
        slug=fields.pop("slug", f"talks-{year}-{month}-{precision}"),
        start_date=datetime.date(year, month if precision == Event.Precision.MONTH else 1, 1),
        date_precision=precision,
        status=Event.Status.PUBLISHED,
        published_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
        **fields,
    )


def test_every_page_chart_and_feed_shows_the_first_and_last_years(client):
    process = make_process(start_date=datetime.date(1000, 1, 1))
    party = make_party(name="Ukraine", slug="ukraine")
    person = make_person(name="Rustem Umerov", slug="rustem-umerov", party=party)
    events = [
        shown_event(year, month, precision, process=process)
        for year, month in ((1000, 1), (2999, 12))
        for precision in (Event.Precision.MONTH, Event.Precision.YEAR)
    ]
    for event in events:
        make_participation(
            event=event, person=person, party=party, role=Participation.Role.DELEGATE
        )

    urls = [
        reverse("home"),
        reverse("event-list"),
        reverse("event-list") + "?date_after=1000-01-01&date_before=2999-12-31",
        *(event.get_absolute_url() for event in events),
        process.get_absolute_url(),
        party.get_absolute_url(),
        person.get_absolute_url(),
        reverse("feed"),
        reverse("sitemap"),
        reverse("export"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    for table in ("events", "participations", "outcomes"):
        response = client.get(reverse(f"{table}-csv"))
        assert response.status_code == 200
        b"".join(response.streaming_content)

    home = client.get(reverse("home")).content.decode()
    assert "December 2999 (approx.)" in home
    assert "1000 (approx.)" in home
