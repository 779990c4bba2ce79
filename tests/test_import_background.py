"""Large admin imports in the background: the upload redirects to a status page that any
server answers from the database, which refreshes itself while the job runs and then shows
the same preview, problems or result as a small import does within its request.

The job runs in a thread with its own database connection, so these tests commit for real
(``transaction=True``) and wait on the job's state in the database, never on a duration.
"""

import datetime
import time

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from tests.csvfiles import empty_the_record, export_all
from tests.factories import make_full_record, make_user
from tests.test_import import _rename_and_add_a_party, crashing_files
from tests.test_import_admin import text_of, uploads
from tracker.models import Event, ImportBatch, PendingImport
from tracker.roles import sync_roles
from tracker.seeds import load_seeds

pytestmark = pytest.mark.django_db(transaction=True)

URL = reverse("admin:tracker_event_import")


def status_url(token):
    return reverse("admin:tracker_event_import_status", args=[token])


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """Transactional tests empty the tables after each test, migration data included."""
    sync_roles()


@pytest.fixture
def publisher(client):
    user = make_user(groups=["Publisher"])
    client.force_login(user)
    return user


@pytest.fixture
def in_background(settings):
    settings.TRACKER_IMPORT_INLINE_ROWS = 1


def finished(token):
    """The job's row once it no longer runs (None once the page has cleared it)."""
    for _attempt in range(1200):
        pending = PendingImport.objects.filter(token=token).first()
        if pending is None or pending.state not in PendingImport.RUNNING:
            return pending
        time.sleep(0.05)
    pytest.fail(f"the import job {token} is still running")


def started(client, response):
    """The token of the job a response redirected to, after checking that it did."""
    assert response.status_code == 302
    token = PendingImport.objects.get().token
    assert response.url == status_url(token)
    return token


def test_a_large_upload_is_previewed_and_imported_in_the_background(client, publisher, settings):
    make_full_record()
    texts = export_all(client)
    empty_the_record()
    inline = client.post(URL, uploads(texts))
    inline_plan = PendingImport.objects.get().plan
    client.post(URL, {"token": PendingImport.objects.get().token, "cancel": "1"})
    settings.TRACKER_IMPORT_INLINE_ROWS = 1

    token = started(client, client.post(URL, uploads(texts)))

    pending = finished(token)
    assert (pending.state, pending.rows_done) == ("previewed", pending.rows_total)
    preview = client.get(status_url(token))
    assert preview.status_code == 200
    assert "refresh" not in preview.content.decode()
    assert PendingImport.objects.get().plan == inline_plan
    as_lists = [list(table) for table in inline.context["tables"]]
    assert [list(table) for table in preview.context["tables"]] == as_lists
    assert "What the import would change" in text_of(preview)
    assert "<li>events: 2 created</li>" in text_of(preview)
    assert Event.objects.count() == 0

    confirming = client.post(URL, {"token": token, "confirm": "1"})
    again = client.post(URL, {"token": token, "confirm": "1"})

    assert confirming.status_code == again.status_code == 302
    assert confirming.url == again.url == status_url(token)
    assert finished(token).state == "done"
    done = client.get(status_url(token), follow=True)
    batch = ImportBatch.objects.get()
    assert done.redirect_chain[-1][0] == reverse(
        "admin:tracker_importbatch_change", args=[batch.pk]
    )
    assert f"Imported as Import {batch.pk}: conflicts: 1 unchanged;" in text_of(done)
    assert batch.user == publisher
    assert batch.plan == inline_plan
    assert Event.objects.count() == 2
    for event in Event.objects.all():
        newest = event.history.first()
        assert newest.history_change_reason == f"Imported from CSV (batch {batch.pk})"
        assert newest.history_user == publisher
    assert not PendingImport.objects.exists()


def test_a_refused_large_upload_shows_its_problems_and_keeps_nothing(
    client, publisher, in_background
):
    token = started(client, client.post(URL, uploads(crashing_files())))

    assert finished(token).state == "refused"
    page = client.get(status_url(token))

    assert page.status_code == 200
    assert "Nothing was imported: 505 problems." in text_of(page)
    assert text_of(page).count("<li>events.csv, line") == 4
    assert not PendingImport.objects.exists()
    assert Event.objects.count() == 0


def test_a_running_job_shows_its_rows_and_refreshes_itself(client, publisher):
    pending = PendingImport.keep(user=publisher, files={"events.csv": "x"})
    PendingImport.objects.filter(pk=pending.pk).update(
        state="previewing", rows_done=1000, rows_total=3000, heartbeat=timezone.now()
    )

    page = client.get(status_url(pending.token))

    assert page.status_code == 200
    assert '<meta http-equiv="refresh" content="2">' in page.content.decode()
    assert "1000 of 3000 rows read." in text_of(page)


def test_a_job_whose_server_stopped_is_shown_failed_and_wrote_nothing(client, publisher):
    make_full_record()
    texts = export_all(client)
    empty_the_record()
    pending = PendingImport.keep(
        user=publisher, files={f"{name}.csv": text for name, text in texts.items()}
    )
    PendingImport.objects.filter(pk=pending.pk).update(
        state="importing", heartbeat=timezone.now() - datetime.timedelta(seconds=61)
    )

    page = client.get(status_url(pending.token))

    assert page.status_code == 200
    assert "refresh" not in page.content.decode()
    assert "The import failed: The server running it stopped; nothing was written." in text_of(page)
    assert Event.objects.count() == 0
    assert not ImportBatch.objects.exists()


def test_a_job_heard_of_in_the_shared_cache_is_still_running(client, publisher):
    """On SQLite a writing import holds the only write lock, so its heartbeat goes to the
    cache every app server shares: an old beat on the row alone does not mean it stopped."""
    from django.core.cache import cache

    from tracker.imports.jobs import heartbeat_key

    pending = PendingImport.keep(user=publisher, files={"events.csv": "x"})
    PendingImport.objects.filter(pk=pending.pk).update(
        state="importing", heartbeat=timezone.now() - datetime.timedelta(seconds=300)
    )
    cache.set(heartbeat_key(pending.pk), timezone.now())

    page = client.get(status_url(pending.token))

    assert 'http-equiv="refresh"' in page.content.decode()
    assert "failed" not in text_of(page)
    assert PendingImport.objects.filter(pk=pending.pk, state="importing").exists()


def test_a_failed_job_names_its_error(client, publisher):
    pending = PendingImport.keep(user=publisher, files={"events.csv": "x"})
    PendingImport.objects.filter(pk=pending.pk).update(
        state="failed", result={"error": "OperationalError: disk I/O error"}
    )

    page = client.get(status_url(pending.token))

    assert page.status_code == 200
    assert "The import failed: OperationalError: disk I/O error" in text_of(page)
    assert not PendingImport.objects.exists()


def test_only_the_uploader_sees_the_job(client, publisher, in_background):
    make_full_record()
    texts = export_all(client)
    empty_the_record()
    token = started(client, client.post(URL, uploads(texts)))
    finished(token)

    client.force_login(make_user(groups=["Publisher"]))

    assert client.get(status_url(token)).status_code == 404
    assert client.post(URL, {"token": token, "confirm": "1"}).status_code == 404
    assert PendingImport.objects.get().state == "previewed"
    client.force_login(make_user(groups=["Editor"]))
    assert client.get(status_url(token)).status_code == 403


def test_renames_are_confirmed_on_a_background_preview_which_runs_again(
    client, publisher, in_background
):
    load_seeds(directory=django_settings.BASE_DIR / "seeds")
    texts = _rename_and_add_a_party(export_all(client))
    token = started(client, client.post(URL, uploads(texts)))

    assert finished(token).state == "refused"
    refused = client.get(status_url(token))
    assert "Nothing was imported: 1 problem." in text_of(refused)
    assert 'name="confirm_renames"' in text_of(refused)

    again = client.post(URL, {"token": token, "preview": "1", "confirm_renames": "1"})

    assert again.url == status_url(token)
    assert finished(token).state == "previewed"
    preview = client.get(status_url(token))
    listed = [
        line
        for _table, _counts, described, _more in preview.context["tables"]
        for line in described
    ]
    assert "renamed Rustem Umerov → Rustem Umierov [rustem-umerov]" in listed
    assert 'name="confirm_renames" value="1"' in text_of(preview)
