"""The editors' admin, driven through the Django test client against the real database."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import (
    make_event,
    make_full_record,
    make_participation,
    make_person,
    make_user,
)
from tracker.models import Event, Participation, Party

pytestmark = pytest.mark.django_db

# The record's models; the imports' page (read-only, for reverting) is tested in
# test_import*.py, the releases' (read-only, for cutting and withdrawing) in test_releases.py.
TRACKER_MODELS = sorted(
    model._meta.model_name
    for model in admin.site._registry
    if model._meta.app_label == "tracker"
    and model._meta.model_name not in ("importbatch", "release")
)


def admin_url(model_name, view, *args):
    return reverse(f"admin:tracker_{model_name}_{view}", args=args)


def test_every_tracker_model_is_in_the_admin():
    assert TRACKER_MODELS == [
        "account",
        "conflict",
        "event",
        "eventlink",
        "outcome",
        "participation",
        "party",
        "person",
        "process",
        "source",
    ]


# Accounts have one page of their own (tests/test_admin_accounts.py).
RECORD_MODELS = [name for name in TRACKER_MODELS if name != "account"]


@pytest.mark.parametrize("model_name", RECORD_MODELS)
def test_changelist_add_change_and_history_pages_open(model_name, client, superuser):
    make_full_record()
    client.force_login(superuser)
    model = next(m for m in admin.site._registry if m._meta.model_name == model_name)
    obj = model.objects.first()

    for url in (
        admin_url(model_name, "changelist"),
        admin_url(model_name, "add"),
        admin_url(model_name, "change", obj.pk),
        admin_url(model_name, "history", obj.pk),
    ):
        response = client.get(url)
        assert response.status_code == 200, url


def test_changelist_search_and_filters_work(client, superuser):
    record = make_full_record()
    client.force_login(superuser)
    url = admin_url("event", "changelist")

    response = client.get(url, {"q": "exchange"})
    assert [e.slug for e in response.context["cl"].result_list] == ["exchange"]

    response = client.get(url, {"year": "2025", "kind": "prisoner_exchange"})
    assert [e.slug for e in response.context["cl"].result_list] == ["exchange"]

    response = client.get(url, {"process__id__exact": record["process"].pk, "status": "draft"})
    assert list(response.context["cl"].result_list) == []


def test_event_change_page_links_to_the_public_page(client, superuser):
    event = make_event(slug="the-talks")
    client.force_login(superuser)
    response = client.get(admin_url("event", "change", event.pk))
    assert reverse("admin:view_on_site", args=[response.context["content_type_id"], event.pk]) in (
        response.content.decode()
    )


def post_event_change(client, admin_form_data, event, **changes):
    url = admin_url("event", "change", event.pk)
    data = admin_form_data(client.get(url))
    data.update(changes)
    return client.post(url, data)


# Roles


def test_editor_can_change_but_not_publish(client, admin_form_data):
    editor = make_user(groups=["Editor"])
    event = make_event(status=Event.Status.DRAFT, title="Draft talks")
    client.force_login(editor)

    response = post_event_change(client, admin_form_data, event, status="published")

    assert response.status_code == 200
    assert "published is not one of the available choices" in response.content.decode()
    event.refresh_from_db()
    assert event.status == Event.Status.DRAFT

    response = post_event_change(client, admin_form_data, event, status="review", title="Renamed")
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.status, event.title, event.changed_by) == ("review", "Renamed", editor)


def test_editor_is_offered_no_publish_or_delete(client):
    editor = make_user(groups=["Editor"])
    event = make_event(status=Event.Status.DRAFT)
    client.force_login(editor)

    changelist = client.get(admin_url("event", "changelist"))
    action_form = changelist.context["action_form"]
    actions = [name for name, _ in action_form.fields["action"].choices] if action_form else []
    assert "publish" not in actions
    assert "delete_selected" not in actions

    response = client.post(
        admin_url("event", "changelist"),
        {"action": "publish", "_selected_action": [event.pk]},
    )
    event.refresh_from_db()
    assert event.status == Event.Status.DRAFT
    assert response.status_code in (200, 302)

    assert client.get(admin_url("event", "delete", event.pk)).status_code == 403
    assert Event.objects.filter(pk=event.pk).exists()


def test_editor_cannot_unpublish_a_published_event(client, admin_form_data):
    editor = make_user(groups=["Editor"])
    event = make_event(status=Event.Status.PUBLISHED)
    client.force_login(editor)

    response = post_event_change(client, admin_form_data, event, status="draft", title="Edited")

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.status, event.title) == ("published", "Edited")


def test_publisher_publishes_with_the_action_and_can_delete(client):
    publisher = make_user(groups=["Publisher"])
    drafts = [make_event(status=Event.Status.DRAFT) for _ in range(2)]
    client.force_login(publisher)

    response = client.post(
        admin_url("event", "changelist"),
        {"action": "publish", "_selected_action": [e.pk for e in drafts]},
        follow=True,
    )

    assert "Published 2 events." in response.content.decode()
    for event in drafts:
        event.refresh_from_db()
        assert event.status == Event.Status.PUBLISHED
        assert event.published_at is not None
        assert event.history.first().history_user == publisher

    response = client.post(admin_url("event", "delete", drafts[0].pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Event.objects.filter(pk=drafts[0].pk).exists()


def test_publisher_can_publish_from_the_form(client, admin_form_data):
    publisher = make_user(groups=["Publisher"])
    event = make_event(status=Event.Status.REVIEW)
    client.force_login(publisher)

    response = post_event_change(client, admin_form_data, event, status="published")

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED
    assert event.published_at is not None


# Validation: each rule refuses the input with its message and writes nothing.


def test_end_before_start_is_refused(client, superuser, admin_form_data):
    event = make_event(title="Original")
    client.force_login(superuser)

    response = post_event_change(
        client,
        admin_form_data,
        event,
        title="Changed",
        start_date="2025-05-16",
        end_date="2025-05-10",
    )

    assert response.status_code == 200
    assert "The end date cannot be before the start date." in response.content.decode()
    event.refresh_from_db()
    assert (event.title, event.end_date) == ("Original", None)


def test_implementation_before_the_agreement_is_refused(client, superuser, admin_form_data):
    record = make_full_record()
    earlier = make_event(
        process=record["process"], slug="earlier", start_date=datetime.date(2025, 5, 1)
    )
    client.force_login(superuser)

    response = post_event_change(
        client,
        admin_form_data,
        earlier,
        **{
            "implementations-TOTAL_FORMS": "1",
            "implementations-0-outcome": str(record["outcome"].pk),
            "implementations-0-extent": "full",
            "implementations-0-event": str(earlier.pk),
        },
    )

    assert response.status_code == 200
    assert "cannot be dated before the agreement it carries out" in response.content.decode()
    assert not earlier.implementations.exists()


def test_participation_with_neither_person_nor_party_is_refused(client, superuser, admin_form_data):
    event = make_event()
    client.force_login(superuser)

    response = post_event_change(
        client,
        admin_form_data,
        event,
        **{
            "participations-TOTAL_FORMS": "1",
            "participations-0-role": "delegate",
            "participations-0-title": "Someone",
            "participations-0-event": str(event.pk),
        },
    )

    assert response.status_code == 200
    assert "Name a person, a party, or both." in response.content.decode()
    assert not event.participations.exists()


def test_duplicate_participation_in_one_submission_is_refused(client, superuser, admin_form_data):
    event = make_event()
    person = make_person()
    client.force_login(superuser)
    rows = {}
    for i in range(2):
        rows |= {
            f"participations-{i}-person": str(person.pk),
            f"participations-{i}-role": "delegate",
            f"participations-{i}-event": str(event.pk),
            f"participations-{i}-position": "0",
        }

    response = post_event_change(
        client, admin_form_data, event, **{"participations-TOTAL_FORMS": "2"}, **rows
    )

    assert response.status_code == 200
    assert "already listed in this role at this event" in response.content.decode()
    assert not event.participations.exists()


def test_duplicate_participation_against_a_saved_one_is_refused(client, superuser):
    existing = make_participation(role=Participation.Role.DELEGATE)
    client.force_login(superuser)

    response = client.post(
        admin_url("participation", "add"),
        {
            "event": existing.event.pk,
            "person": existing.person.pk,
            "role": "delegate",
            "position": "0",
        },
    )

    assert response.status_code == 200
    assert "This person is already listed in this role at this event." in (
        response.content.decode()
    )
    assert Participation.objects.count() == 1


def test_state_without_country_is_refused(client, superuser):
    client.force_login(superuser)
    response = client.post(
        admin_url("party", "add"),
        {"name": "Atlantis", "slug": "atlantis", "kind": "state", "country": ""},
    )
    assert "A state needs its ISO country code." in response.content.decode()
    assert not Party.objects.filter(slug="atlantis").exists()


# History and conflicting edits


def test_history_records_who_changed_an_event_and_can_revert(client, admin_form_data):
    editor = make_user("olena", groups=["Editor"])
    event = make_event(title="First title")
    client.force_login(editor)

    post_event_change(client, admin_form_data, event, title="Second title")

    latest = event.history.first()
    assert (latest.title, latest.history_user, latest.history_type) == ("Second title", editor, "~")
    history_page = client.get(admin_url("event", "history", event.pk)).content.decode()
    assert "olena" in history_page

    original = event.history.last()
    revert_url = reverse("admin:tracker_event_simple_history", args=[event.pk, original.pk])
    data = admin_form_data(client.get(revert_url))
    assert client.post(revert_url, data).status_code == 302
    event.refresh_from_db()
    assert event.title == "First title"


def test_a_conflicting_edit_is_refused_and_the_first_one_kept(client, admin_form_data):
    olena = make_user("olena", groups=["Editor"])
    taras = make_user("taras", groups=["Editor"])
    event = make_event(title="Original")
    url = admin_url("event", "change", event.pk)

    client.force_login(olena)
    olenas_form = admin_form_data(client.get(url))
    client.force_login(taras)
    tarass_form = admin_form_data(client.get(url))

    client.force_login(olena)
    assert client.post(url, olenas_form | {"title": "Olena's title"}).status_code == 302
    client.force_login(taras)
    response = client.post(url, tarass_form | {"title": "Taras's title"})

    assert response.status_code == 200
    assert "olena saved a newer version of this record" in response.content.decode()
    event.refresh_from_db()
    assert (event.title, event.changed_by, event.version) == ("Olena's title", olena, 2)


def test_editing_a_part_of_an_event_on_its_own_page_moves_the_event_on(
    client, superuser, admin_form_data
):
    participation = make_participation()
    event = participation.event
    client.force_login(superuser)
    url = admin_url("participation", "change", participation.pk)

    response = client.post(url, admin_form_data(client.get(url)) | {"role": "observer"})

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.version, event.changed_by) == (2, superuser)


def test_a_stale_part_of_an_event_is_refused(client, admin_form_data):
    olena = make_user("olena", groups=["Editor"])
    participation = make_participation(role=Participation.Role.DELEGATE)
    event = participation.event
    client.force_login(olena)
    part_url = admin_url("participation", "change", participation.pk)
    stale_form = admin_form_data(client.get(part_url))

    post_event_change(client, admin_form_data, event, title="Changed meanwhile")
    response = client.post(part_url, stale_form | {"role": "observer"})

    assert response.status_code == 200
    assert "olena saved a newer version of this record" in response.content.decode()
    participation.refresh_from_db()
    assert participation.role == Participation.Role.DELEGATE


def test_an_editor_cannot_publish_by_reverting_to_a_published_version(client, admin_form_data):
    publisher = make_user("petro", groups=["Publisher"])
    editor = make_user("olena", groups=["Editor"])
    event = make_event(status=Event.Status.PUBLISHED)
    client.force_login(publisher)
    post_event_change(client, admin_form_data, event, status="draft")
    published_version = event.history.filter(status="published").last()

    client.force_login(editor)
    revert_url = reverse(
        "admin:tracker_event_simple_history", args=[event.pk, published_version.pk]
    )
    response = client.post(revert_url, admin_form_data(client.get(revert_url)))

    assert response.status_code == 200
    event.refresh_from_db()
    assert event.status == Event.Status.DRAFT
    assert client.get(event.get_absolute_url()).status_code == 200  # staff preview only
    client.logout()
    assert client.get(event.get_absolute_url()).status_code == 404


def test_a_quantity_without_a_unit_is_refused(client, superuser):
    event = make_event()
    client.force_login(superuser)

    response = client.post(
        admin_url("outcome", "add"),
        {
            "event": event.pk,
            "position": 0,
            "kind": "prisoner_exchange",
            "status": "agreed",
            "description": "An exchange.",
            "quantity": 1000,
            "unit": "",
            "implementations-TOTAL_FORMS": 0,
            "implementations-INITIAL_FORMS": 0,
        },
    )

    assert "Say what the quantity counts (the unit)." in response.content.decode()
    assert not event.outcomes.exists()
