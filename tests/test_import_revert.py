"""Undo: each import is a batch a publisher can revert, back to the record as it was."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.csvfiles import edit, export_all, history_counts, import_texts, record_tables, rows
from tests.factories import carry_out, link, make_event, make_source, make_user
from tracker.imports.undo import RevertRefused, revert_batch
from tracker.models import Event, ImportBatch, Outcome, Person, RecordVersion
from tracker.seeds import load_seeds

pytestmark = pytest.mark.django_db

ISTANBUL = "2025-05-16-istanbul-direct-talks"


@pytest.fixture
def seeded(db):
    load_seeds(directory=settings.BASE_DIR / "seeds")
    agreement = Outcome.objects.filter(event__slug=ISTANBUL).order_by("position", "pk").first()
    draft = make_event(slug="draft-follow-up", status="draft", process=agreement.event.process)
    carry_out(agreement, draft)
    link(agreement.event, draft)
    agreement.sources.set([make_source()])


def sweeping_changes(texts):
    """Files that create, change, rename and delete across every table."""

    def events(row):
        if row["slug"] == ISTANBUL:
            row["title"] = "Istanbul talks, retitled"
            row["sources"] += "\nhttps://example.org/new | New Desk"

    def participations(row):
        if row["person"] == "rustem-umerov":
            row["person_name"] = "Rustem Umierov"
        if row["event"] == ISTANBUL and row["person"] == "igor-kostyukov":
            return False
        if row["event"] == ISTANBUL and row["person"] == "hakan-fidan":
            row.update(
                party="ghost-party", party_name="Ghost Party", party_kind="other", party_country=""
            )

    def outcomes(row):
        if row["event"] == ISTANBUL and row["position"] == "1":
            row.update(status="broken", agreed_by="Ukraine [ukraine]", carried_out_by="")
        if row["event"] == ISTANBUL and row["position"] == "3":
            return False

    linked = [row["from_event"] for row in rows(texts["links"])]
    dropped = next(r for r in rows(texts["links"]) if linked.count(r["from_event"]) > 1)

    def links(row):
        if row == dropped:
            return False

    texts = {
        "events": edit(texts["events"], events),
        "participations": edit(texts["participations"], participations),
        "outcomes": edit(texts["outcomes"], outcomes),
        "links": edit(texts["links"], links),
    }
    header, body = texts["events"].split("\r\n", 1)
    new_event = (
        ",new-event,,new-track,New track,another-conflict,Another conflict,statement,A new event,"
        "2025-09-01,,day,middle,"
        ",,,,,,,published,A summary.,,,,,https://example.org/new-event | Desk\r\n"
    )
    texts["events"] = f"{header}\r\n{body}{new_event}"
    texts["links"] += f"new-event,follows,{ISTANBUL},\r\n"
    return texts


def test_reverting_an_import_restores_every_table_as_it_was(client, seeded):
    """Compared table by table, many-to-many tables included; bookkeeping columns (version,
    updated_at, changed_by) move on with the revert, and history tables keep both writes."""
    texts = sweeping_changes(export_all(client))
    before = record_tables()
    history = history_counts()
    publisher = make_user(groups=["Publisher"])

    report = import_texts(texts, user=publisher, confirm_renames=True)
    counts = report.counts
    assert counts["events"]["created"] == 1
    assert counts["participations"]["deleted"] == 1
    assert counts["outcomes"]["deleted"] == 1
    assert counts["people"]["changed"] == 1
    assert counts["parties"]["created"] == 1
    assert counts["links between events"]["deleted"] == 1
    assert record_tables() != before

    version = RecordVersion.current()[0]
    revert_batch(batch=report.batch, user=publisher)

    assert record_tables() == before
    assert RecordVersion.current()[0] > version
    assert all(history_counts()[name] >= n for name, n in history.items())
    umerov = Person.objects.get(slug="rustem-umerov")
    assert umerov.name == "Rustem Umerov"
    assert umerov.history.first().history_change_reason == f"Reverted import {report.batch.pk}"
    assert umerov.changed_by == publisher
    report.batch.refresh_from_db()
    assert report.batch.reverted_by == publisher
    with pytest.raises(RevertRefused, match="already reverted"):
        revert_batch(batch=report.batch, user=publisher)


def test_a_revert_is_refused_naming_a_record_changed_since(client, seeded):
    texts = export_all(client)
    texts["events"] = edit(
        texts["events"],
        lambda row: row.update(title="Retitled") if row["slug"] == ISTANBUL else None,
    )
    report = import_texts(texts)
    event = Event.objects.get(slug=ISTANBUL)
    event.summary = "An editor's later change."
    event.mark_changed(by=None, reason="Changed in the admin")
    event.save()
    after = record_tables()

    with pytest.raises(RevertRefused, match="“2025-05-16 Retitled” was changed after the import"):
        revert_batch(batch=report.batch, user=None)

    assert record_tables() == after
    assert not ImportBatch.objects.filter(reverted_at__isnull=False).exists()


def test_publishers_revert_from_the_admin_and_editors_cannot(client, seeded):
    texts = export_all(client)
    texts["events"] = edit(
        texts["events"],
        lambda row: row.update(title="Retitled") if row["slug"] == ISTANBUL else None,
    )
    report = import_texts(texts)
    url = reverse("admin:tracker_importbatch_change", args=[report.batch.pk])
    revert = reverse("admin:tracker_importbatch_revert", args=[report.batch.pk])

    client.force_login(make_user(groups=["Editor"]))
    assert client.get(url).status_code == 403
    assert client.post(revert).status_code == 403

    client.force_login(make_user(groups=["Publisher"]))
    page = client.get(url).content.decode()
    assert "Revert this import" in page
    assert f"changed Retitled [{ISTANBUL}]: title: " in page
    response = client.post(revert, follow=True)
    assert f"Import {report.batch.pk} was reverted." in response.content.decode()
    assert Event.objects.get(slug=ISTANBUL).title != "Retitled"

    response = client.post(
        reverse("admin:tracker_importbatch_changelist"),
        {"action": "revert", "_selected_action": [report.batch.pk]},
        follow=True,
    )
    assert "was not reverted: This import was already reverted." in response.content.decode()
