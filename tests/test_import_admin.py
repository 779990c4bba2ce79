"""The admin's import: preview, confirmations, the plan as a download, uploads kept in the
database (never on a disk) and purged when abandoned."""

import datetime
import io
import re
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.csvfiles import edit, empty_the_record, export_all
from tests.factories import make_full_record, make_user
from tests.test_import import _rename_and_add_a_party, crashing_files
from tracker.models import Event, ImportBatch, PendingImport, Person
from tracker.seeds import load_seeds

pytestmark = pytest.mark.django_db

URL = reverse("admin:tracker_event_import")


def uploads(texts):
    files = {}
    for name, text in texts.items():
        handle = io.BytesIO(text.encode())
        handle.name = f"{name}.csv"
        files[name] = handle
    return files


def text_of(response):
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def publisher(client):
    user = make_user(groups=["Publisher"])
    client.force_login(user)
    return user


def on_disk():
    """Files an upload could leave behind: Django's temporary uploads, and the folder the
    previous version kept previews in."""
    folder = Path(tempfile.gettempdir())
    return {p.name for p in folder.iterdir() if p.suffix == ".upload" or "tracker" in p.name}


def test_a_publisher_previews_then_confirms(client, publisher):
    make_full_record()
    texts = export_all(client)
    empty_the_record()

    preview = client.post(URL, uploads(texts))

    page = text_of(preview)
    assert preview.status_code == 200
    assert "What the import would change" in page
    assert "<li>events: 2 created</li>" in page
    assert "created Istanbul talks [istanbul-talks]" in page
    assert "created exchange results_from istanbul-talks" in page
    assert Event.objects.count() == 0
    pending = PendingImport.objects.get()
    assert pending.user == publisher
    plan = client.get(reverse("admin:tracker_event_import_plan", args=[pending.token]))
    assert plan.content.decode() == pending.plan
    assert plan.content.decode().startswith(
        "conflicts: 1 unchanged\nprocesses: 1 created\n  created Istanbul direct talks"
    )

    confirmed = client.post(URL, {"token": pending.token, "confirm": "1"}, follow=True)

    batch = ImportBatch.objects.get()
    assert confirmed.redirect_chain[-1][0] == reverse(
        "admin:tracker_importbatch_change", args=[batch.pk]
    )
    assert (
        f"Imported as Import {batch.pk}: conflicts: 1 unchanged; processes: 1 created;"
        in text_of(confirmed)
    )
    assert Event.objects.count() == 2
    assert batch.user == publisher
    assert batch.files == ["events.csv", "participations.csv", "outcomes.csv", "links.csv"]
    assert batch.counts["events"] == {"created": 2}
    assert not PendingImport.objects.exists()


def test_renames_are_confirmed_on_the_preview_which_then_lists_exactly_them(client, publisher):
    load_seeds(directory=settings.BASE_DIR / "seeds")
    texts = _rename_and_add_a_party(export_all(client))
    umerov = Person.objects.get(slug="rustem-umerov")

    refused = client.post(URL, uploads(texts))

    page = text_of(refused)
    assert "Nothing was imported: 1 problem." in page
    assert "the person &#x27;rustem-umerov&#x27; is called &#x27;Rustem Umerov&#x27;" in page
    assert 'name="confirm_renames"' in page
    assert 'name="confirm_new"' not in page
    token = PendingImport.objects.get().token

    preview = client.post(URL, {"token": token, "preview": "1", "confirm_renames": "1"})

    changes = preview.context["tables"]
    listed = [line for _table, _counts, described, _more in changes for line in described]
    assert listed == [
        "created Ghost Party [ghost-party]",
        "renamed Rustem Umerov → Rustem Umierov [rustem-umerov]",
        "changed Hakan Fidan – Ghost Party (mediator) at 2025-05-16-istanbul-direct-talks: "
        "party: Türkiye → Ghost Party",
    ]
    assert 'name="confirm_renames" value="1"' in text_of(preview)

    client.post(URL, {"token": token, "confirm": "1", "confirm_renames": "1"})

    assert Person.objects.get(slug="rustem-umerov").version == umerov.version + 1
    assert not PendingImport.objects.exists()


def test_crashing_cells_and_500_bad_rows_are_listed_in_one_page_and_nothing_is_kept(
    client, publisher
):
    before = on_disk()

    response = client.post(URL, uploads(crashing_files()))

    page = text_of(response)
    assert response.status_code == 200
    assert "Nothing was imported: 505 problems." in page
    assert page.count("<li>events.csv, line") == 4
    assert page.count("<li>outcomes.csv, line") == 196
    assert "… and 305 more problems (505 in all)." in page
    assert len(response.content) < 200_000
    assert not PendingImport.objects.exists()
    assert on_disk() <= before


def test_previews_nobody_confirmed_are_purged_after_a_day(client, publisher):
    old = PendingImport.keep(user=publisher, files={"events.csv": "x"})
    PendingImport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=1, minutes=1)
    )
    recent = PendingImport.keep(user=publisher, files={"events.csv": "x"})
    make_full_record()
    texts = export_all(client)
    texts["events"] = edit(texts["events"], lambda row: row.update(title="New title"))

    client.post(URL, uploads({"events": texts["events"]}))

    assert not PendingImport.objects.filter(pk=old.pk).exists()
    new = PendingImport.objects.exclude(pk=recent.pk).get()
    client.post(URL, {"token": new.token, "cancel": "1"})
    assert list(PendingImport.objects.all()) == [recent]


def test_the_preview_lists_the_first_200_changes_of_a_table(client, publisher):
    header = "slug,process,process_title,conflict,conflict_name,kind,title,start_date\r\n"
    body = "".join(f"e{n},p,P,c,C,statement,Event {n},2025-01-01\r\n" for n in range(1, 211))

    preview = client.post(URL, uploads({"events": header + body}))

    (events,) = [t for t in preview.context["tables"] if t[0] == "events"]
    assert (events[1], len(events[2]), events[3]) == ({"created": 210}, 200, 10)
    assert "… and 10 more changes: see the full plan." in text_of(preview)


def test_the_import_page_links_the_templates_and_is_for_publishers_only(client):
    client.force_login(make_user(groups=["Editor"]))
    assert client.get(URL).status_code == 403
    changelist = client.get(reverse("admin:tracker_event_changelist")).content.decode()
    assert URL not in changelist

    client.force_login(make_user(groups=["Publisher"]))
    page = client.get(URL).content.decode()
    for name in ("events", "participations", "outcomes", "links"):
        assert f'href="{reverse("csv-template", args=[name])}"' in page
    assert URL in client.get(reverse("admin:tracker_event_changelist")).content.decode()
    other = make_user(groups=["Publisher"])
    pending = PendingImport.keep(user=other, files={})
    assert (
        client.get(reverse("admin:tracker_event_import_plan", args=[pending.token])).status_code
        == 404
    )
