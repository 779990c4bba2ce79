"""Releases: cut by a publisher (command or admin), files written once and served byte for
byte, withdrawn ones listed as such, changelogs that never name a withdrawn event, and
the citation and the data licence where readers look for them."""

import csv
import datetime
import hashlib
import io
import json
import os
import stat

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.crawl import crawl
from tests.factories import make_event, make_full_record, make_user
from tracker import licence
from tracker.columns import TABLES
from tracker.models import Event, Release
from tracker.release_storage import WrittenOnce
from tracker.releases import (
    ReleaseRefused,
    cut_release,
    next_version,
    storage,
    withdraw_release,
)

pytestmark = pytest.mark.django_db

CSV_FILES = [f"{name}.csv" for name in TABLES]
FILES = [*CSV_FILES, "datapackage.json"]


@pytest.fixture
def publisher():
    return make_user("petra", groups=["Publisher"])


@pytest.fixture
def editor():
    return make_user("eddie", groups=["Editor"])


def download(client, release, name):
    response = client.get(reverse("release-file", args=[release.version, name]))
    assert response.status_code == 200, name
    return b"".join(response.streaming_content)


def downloads(client, release):
    return {name: download(client, release, name) for name in FILES}


# Versions


def test_versions_are_the_day_then_a_number_for_later_releases_that_day():
    day = datetime.date(2026, 12, 1)
    assert next_version(day, set()) == "2026.12.01"
    assert next_version(day, {"2026.12.01"}) == "2026.12.01.2"
    assert next_version(day, {"2026.12.01", "2026.12.01.2"}) == "2026.12.01.3"


# Cutting


def test_a_release_cut_by_the_command_holds_the_export_files_and_their_checksums(client, publisher):
    make_full_record()
    out = io.StringIO()
    call_command("release", "--by", "petra", stdout=out)
    release = Release.objects.get()
    assert release.version == timezone.now().strftime("%Y.%m.%d")
    assert f"Cut release {release.version}: {release.event_count} events" in out.getvalue()
    assert release.cut_by == publisher
    assert [f["name"] for f in release.files] == FILES

    files = downloads(client, release)
    for name in CSV_FILES:
        export = client.get(reverse(f"{name[:-4]}-csv"))
        assert files[name] == b"".join(export.streaming_content), name
    for listed in release.files:
        assert hashlib.sha256(files[listed["name"]]).hexdigest() == listed["sha256"]
        assert len(files[listed["name"]]) == listed["bytes"]

    package = json.loads(files["datapackage.json"])
    assert package["version"] == release.version
    assert package["created"].startswith(release.cut_at.date().isoformat())
    assert package["licenses"] == [
        {"name": "CC-BY-4.0", "title": licence.TITLE, "path": licence.URL}
    ]
    assert package["attribution"] == "Peace negotiation tracker (https://testserver), CC BY 4.0"
    assert package["sources"] == [
        {"title": "Peace negotiation tracker", "path": "https://testserver/"}
    ]
    by_path = {resource["path"]: resource for resource in package["resources"]}
    for name in CSV_FILES:
        assert by_path[name]["hash"] == f"sha256:{hashlib.sha256(files[name]).hexdigest()}"
        assert by_path[name]["bytes"] == len(files[name])
    assert package["changes"] == {"previous": None, "added": [], "changed": [], "withdrawn": 0}


def test_files_are_byte_identical_downloaded_twice_and_after_a_later_edit_and_release(
    client, publisher, release_files
):
    record = make_full_record()
    first = cut_release(by=publisher)
    before = downloads(client, first)
    assert downloads(client, first) == before

    talks = Event.objects.get(pk=record["talks"].pk)
    talks.title = "Istanbul talks, first round"
    talks.save()
    second = cut_release(by=publisher)
    assert second.version == f"{first.version}.2"
    assert downloads(client, first) == before
    assert downloads(client, second)["events.csv"] != before["events.csv"]
    assert second.changes == {
        "previous": first.version,
        "added": [],
        "changed": [{"slug": "istanbul-talks", "columns": ["title"]}],
        "withdrawn": 0,
    }
    # On disk: read-only files, refused a second write.
    path = release_files / first.version / "events.csv"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
    with pytest.raises(WrittenOnce):
        storage().save(f"{first.version}/events.csv", io.BytesIO(b"changed"))


def test_a_cut_with_nothing_new_is_refused(publisher):
    make_full_record()
    first = cut_release(by=publisher)
    with pytest.raises(ReleaseRefused, match=f"Nothing has changed since release {first.version}"):
        cut_release(by=publisher)
    with pytest.raises(CommandError, match="Nothing has changed"):
        call_command("release", "--by", "petra")
    assert Release.objects.count() == 1


def test_an_empty_record_is_not_released(publisher):
    with pytest.raises(ReleaseRefused, match="no published event"):
        cut_release(by=publisher)


def test_only_publishers_cut_or_withdraw(publisher, editor):
    make_full_record()
    with pytest.raises(PermissionDenied):
        cut_release(by=editor)
    with pytest.raises(CommandError, match="Only publishers"):
        call_command("release", "--by", "eddie")
    release = cut_release(by=publisher)
    with pytest.raises(PermissionDenied):
        withdraw_release(release=release, reason="wrong", by=editor)
    assert Release.objects.get().withdrawn_at is None


# The admin


def test_a_publisher_cuts_and_withdraws_in_the_admin(client, publisher):
    make_full_record()
    client.force_login(publisher)
    changelist = client.get(reverse("admin:tracker_release_changelist")).content.decode()
    assert "Cut a release of the published record" in changelist

    response = client.post(reverse("admin:tracker_release_cut"), follow=True)
    release = Release.objects.get()
    assert f"Cut release {release.version} ({release.event_count} events)" in (
        response.content.decode()
    )
    assert release.cut_by == publisher
    page = client.get(reverse("admin:tracker_release_change", args=[release.pk])).content
    assert "Withdraw this release" in page.decode()

    again = client.post(reverse("admin:tracker_release_cut"), follow=True).content.decode()
    assert "No release was cut: Nothing has changed since release" in again

    url = reverse("admin:tracker_release_withdraw", args=[release.pk])
    refused = client.post(url, {"reason": ""}, follow=True).content.decode()
    assert "was not withdrawn: Say why" in refused
    client.post(url, {"reason": "Superseded by a corrected release"})
    release.refresh_from_db()
    assert release.withdrawn_by == publisher
    assert release.withdrawn_reason == "Superseded by a corrected release"


def test_an_editor_sees_releases_in_the_admin_but_cannot_cut_or_withdraw(client, publisher, editor):
    make_full_record()
    release = cut_release(by=publisher)
    client.force_login(editor)
    changelist = client.get(reverse("admin:tracker_release_changelist"))
    assert changelist.status_code == 200
    assert "Cut a release" not in changelist.content.decode()
    assert "Withdraw this release" not in (
        client.get(reverse("admin:tracker_release_change", args=[release.pk])).content.decode()
    )
    refused = client.post(reverse("admin:tracker_release_cut"), follow=True).content.decode()
    assert "No release was cut: Only publishers" in refused
    client.post(reverse("admin:tracker_release_withdraw", args=[release.pk]), {"reason": "x"})
    assert Release.objects.count() == 1
    assert Release.objects.get().withdrawn_at is None


# Withdrawn events and withdrawn releases


def test_a_withdrawn_event_is_absent_from_releases_cut_afterwards(client, publisher):
    record = make_full_record()
    secret = make_event(
        process=record["talks"].process, title="Secret back-channel", slug="back-channel"
    )
    first = cut_release(by=publisher)
    assert b"back-channel" in download(client, first, "events.csv")

    secret.unpublish()
    secret.save()
    gone = make_event(process=record["talks"].process, title="Deleted meeting", slug="deleted")
    second = cut_release(by=publisher)
    gone.delete()
    third = cut_release(by=publisher)

    assert second.changes["withdrawn"] == 1
    assert second.changes["added"] == ["deleted"]
    assert third.changes["withdrawn"] == 1
    for release in (second, third):
        page = client.get(release.get_absolute_url()).content.decode()
        assert "1 event was withdrawn" in page
        for text in (page, *(b.decode() for b in downloads(client, release).values())):
            for hidden in ("Secret back-channel", "back-channel", "/events/back-channel/"):
                assert hidden not in text
    # The page of the release that added it no longer names it; its files, fixed, do.
    page = client.get(second.get_absolute_url()).content.decode()
    assert "1 event added" in page
    assert "/events/deleted/" not in page
    assert "1 of them is no longer in the public record" in page
    assert b"Deleted meeting" in download(client, second, "events.csv")
    third_text = [*(b.decode() for b in downloads(client, third).values())]
    third_text.append(client.get(third.get_absolute_url()).content.decode())
    assert not any("Deleted meeting" in t or "/events/deleted/" in t for t in third_text)


def test_a_withdrawn_release_is_listed_so_and_its_files_still_served(client, publisher):
    make_full_record()
    release = cut_release(by=publisher)
    files = downloads(client, release)
    with pytest.raises(ReleaseRefused, match="Say why"):
        withdraw_release(release=release, reason=" ", by=publisher)
    call_command(
        "release", "--by", "petra", "--withdraw", release.version, "--reason", "Dates off by a year"
    )

    listing = client.get(reverse("release-list")).content.decode()
    assert "Withdrawn" in listing
    assert "Dates off by a year" in listing
    page = client.get(release.get_absolute_url()).content.decode()
    assert "Dates off by a year" in page
    assert downloads(client, release) == files
    with pytest.raises(ReleaseRefused, match="already withdrawn"):
        withdraw_release(release=release, reason="again", by=publisher)


# Pages and files


def test_release_pages_list_newest_first_and_show_files_changes_and_citation(client, publisher):
    record = make_full_record()
    first = cut_release(by=publisher)
    make_event(process=record["talks"].process, title="Geneva round", slug="geneva-round")
    second = cut_release(by=publisher)

    listing = client.get(reverse("release-list")).content.decode()
    assert listing.index(second.version) < listing.index(f">{first.version}<")

    page = client.get(second.get_absolute_url()).content.decode()
    for listed in second.files:
        assert listed["sha256"] in page
        assert f"/data/releases/{second.version}/{listed['name']}" in page
    assert "1 event added" in page
    assert "geneva-round" in page
    assert (
        f"Peace negotiation tracker, release {second.version} "
        f"({second.cut_at.date().isoformat()}). "
        f"https://testserver/data/releases/{second.version}/. CC BY 4.0." in page
    )
    assert "creativecommons.org/licenses/by/4.0/" in page
    assert "petra" not in page
    assert "petra" not in listing


def test_files_are_served_with_their_type_checksum_and_a_long_cache(client, publisher):
    make_full_record()
    release = cut_release(by=publisher)
    listed = release.file("events.csv")
    response = client.get(reverse("release-file", args=[release.version, "events.csv"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["ETag"] == f'"{listed["sha256"]}"'
    assert "immutable" in response["Cache-Control"]
    assert "max-age=31536000" in response["Cache-Control"]
    package = client.get(reverse("release-file", args=[release.version, "datapackage.json"]))
    assert package["Content-Type"] == "application/json"

    again = client.get(
        reverse("release-file", args=[release.version, "events.csv"]),
        headers={"If-None-Match": response["ETag"]},
    )
    assert again.status_code == 304


def test_release_pages_cost_the_same_queries_however_many_releases(client, publisher):
    record = make_full_record()
    first = cut_release(by=publisher)
    counts = {}
    for label in ("one", "four"):
        if label == "four":
            for n in range(3):
                make_event(process=record["talks"].process, title=f"Round {n}", slug=f"r{n}")
                cut_release(by=publisher)
        for url in (reverse("release-list"), first.get_absolute_url()):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts[label, url] = len(queries)
    assert counts["one", reverse("release-list")] == counts["four", reverse("release-list")]
    assert counts["one", first.get_absolute_url()] == counts["four", first.get_absolute_url()]


@pytest.mark.parametrize(
    "path",
    [
        "/data/releases/1999.01.01/",
        "/data/releases/nonsense/",
        "/data/releases/1999.01.01/events.csv",
        "/data/releases/%3Cscript%3E/",
    ],
)
def test_an_unknown_release_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_an_unknown_file_of_a_release_is_not_found(client, publisher):
    make_full_record()
    release = cut_release(by=publisher)
    for name in ("secrets.txt", "..", "events.CSV"):
        assert client.get(f"/data/releases/{release.version}/{name}").status_code == 404


def test_releases_are_in_the_sitemap_and_linked_from_the_export_page(client, publisher):
    make_full_record()
    release = cut_release(by=publisher)
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "https://testserver/data/releases/</loc>" in sitemap
    assert f"https://testserver/data/releases/{release.version}/</loc>" in sitemap
    reached = crawl(client, ["/export/"])
    assert f"/data/releases/{release.version}/events.csv" in reached


# Citation


def test_an_event_page_cites_the_latest_release_that_holds_it(client, publisher):
    record = make_full_record()
    talks = record["talks"]
    page = client.get(talks.get_absolute_url()).content.decode()
    today = timezone.localdate().isoformat()
    line = (
        f"Istanbul talks. In: Peace negotiation tracker. https://testserver/events/istanbul-talks/. "
        f"Accessed {today}."
    )
    assert line in page
    assert "Latest release" not in page

    first = cut_release(by=publisher)
    later = make_event(process=talks.process, title="Later round", slug="later-round")
    second = cut_release(by=publisher)
    page = client.get(talks.get_absolute_url()).content.decode()
    assert f"{line} Latest release containing it: {second.version}." in page

    withdraw_release(release=second, reason="Broken", by=publisher)
    page = client.get(talks.get_absolute_url()).content.decode()
    assert f"Latest release containing it: {first.version}." in page
    page = client.get(later.get_absolute_url()).content.decode()
    assert "Latest release" not in page


def test_the_citation_costs_the_event_page_no_query(client, publisher):
    record = make_full_record()
    url = record["talks"].get_absolute_url()
    with CaptureQueriesContext(connection) as without:
        assert client.get(url).status_code == 200
    cut_release(by=publisher)
    make_event(process=record["talks"].process)
    cut_release(by=publisher)  # moves the record's version: the page is rendered again
    with CaptureQueriesContext(connection) as with_releases:
        assert client.get(url).status_code == 200
    assert len(with_releases) == len(without)


# The licence


def test_the_licence_is_on_the_export_page_and_in_the_api(client):
    make_full_record()
    export = client.get(reverse("export")).content.decode()
    assert 'rel="license" href="https://creativecommons.org/licenses/by/4.0/"' in export
    assert "Peace negotiation tracker (https://testserver), CC BY 4.0" in export
    assert "code is MIT" in export

    api = client.get(reverse("api-event-list"))
    assert api["Link"] == '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'
    schema = client.get(reverse("api-schema")).json()
    assert schema["info"]["license"] == {"name": "CC BY 4.0", "url": licence.URL}
    package = client.get(reverse("datapackage")).json()
    assert package["licenses"][0]["path"] == licence.URL


def test_a_release_written_from_a_csv_of_the_export_reads_back(client, publisher):
    """The release's CSV files are the files readers know: the same header and rows."""
    make_full_record()
    release = cut_release(by=publisher)
    rows = list(csv.reader(io.StringIO(download(client, release, "events.csv").decode())))
    assert rows[0] == TABLES["events"].header
    assert len(rows) - 1 == release.event_count == Event.objects.published().count()
