"""The accounts page: a publisher creates, deactivates and reactivates editor and publisher
accounts, and nothing beyond that."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from tests.factories import make_user
from tracker.admin_accounts import ROLE_LABELS
from tracker.roles import ROLES

pytestmark = pytest.mark.django_db

User = get_user_model()
ACCOUNTS = reverse("admin:tracker_account_changelist")


def create(client, **fields):
    data = {"username": "olena", "first_name": "", "last_name": "", "email": "", "role": "Editor"}
    return client.post(ACCOUNTS, data | fields | {"create": "1"}, follow=True)


def link_in(response):
    text = response.content.decode()
    match = re.search(r"https://testserver(/admin/tracker/account/set-password/[^\s<\"]+)", text)
    assert match, "no set-password link on the page"
    return match.group(1)


def test_the_roles_offered_are_the_roles_there_are():
    assert list(ROLE_LABELS) == list(ROLES)


def test_a_publisher_creates_an_editor_who_sets_their_own_password(client):
    client.force_login(make_user("petro", groups=["Publisher"]))

    response = create(client, username="olena", email="olena@example.org", role="Editor")

    assert response.status_code == 200
    olena = User.objects.get(username="olena")
    assert (olena.is_staff, olena.is_superuser, olena.is_active) == (True, False, True)
    assert list(olena.groups.values_list("name", flat=True)) == ["Editor"]
    assert not olena.user_permissions.exists()
    assert not olena.has_usable_password()
    link = link_in(response)

    client.logout()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert "Choose the password for your account" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a long walk to Geneva", "new_password2": "a long walk to Geneva"},
    )
    assert response.status_code == 302
    olena.refresh_from_db()
    assert olena.check_password("a long walk to Geneva")
    assert client.get(reverse("admin:tracker_event_changelist")).status_code == 200

    client.logout()
    again = client.get(link, follow=True)
    assert "This link has been used already" in again.content.decode()


def test_a_publisher_deactivates_and_reactivates_an_account(client):
    publisher = make_user("petro", groups=["Publisher"])
    editor = make_user("olena", groups=["Editor"])
    client.force_login(publisher)

    page = client.get(ACCOUNTS).content.decode()
    assert f'id="account-{editor.pk}"' in page

    response = client.post(ACCOUNTS, {"account": editor.pk, "deactivate": "1"}, follow=True)
    assert "Deactivated olena." in response.content.decode()
    editor.refresh_from_db()
    assert not editor.is_active

    client.post(ACCOUNTS, {"account": editor.pk, "reactivate": "1"})
    editor.refresh_from_db()
    assert editor.is_active


def test_a_publisher_cannot_deactivate_themselves(client):
    publisher = make_user("petro", groups=["Publisher"])
    client.force_login(publisher)

    response = client.post(ACCOUNTS, {"account": publisher.pk, "deactivate": "1"}, follow=True)

    assert "You cannot deactivate yourself." in response.content.decode()
    publisher.refresh_from_db()
    assert publisher.is_active


def test_an_editor_cannot_reach_the_accounts_page(client):
    editor = make_user("olena", groups=["Editor"])
    other = make_user("taras", groups=["Editor"])
    client.force_login(editor)

    assert client.get(ACCOUNTS).status_code == 403
    assert client.post(ACCOUNTS, {"account": other.pk, "deactivate": "1"}).status_code == 403
    assert create(client, username="mallory").status_code == 403
    assert not User.objects.filter(username="mallory").exists()
    other.refresh_from_db()
    assert other.is_active
    assert "Accounts" not in client.get(reverse("admin:index")).content.decode()


def test_a_publisher_never_touches_a_superuser_or_an_account_with_other_rights(client):
    publisher = make_user("petro", groups=["Publisher"])
    root = make_user("root", is_superuser=True)
    auditors = Group.objects.create(name="Auditors")
    auditor = make_user("ines", groups=["Editor"])
    auditor.groups.add(auditors)
    special = make_user("sam", groups=["Editor"])
    special.user_permissions.add(Permission.objects.get(codename="delete_event"))
    client.force_login(publisher)

    page = client.get(ACCOUNTS).content.decode()
    for untouchable in (root, auditor, special):
        assert f'id="account-{untouchable.pk}"' not in page
        response = client.post(ACCOUNTS, {"account": untouchable.pk, "deactivate": "1"})
        assert response.status_code == 404
        untouchable.refresh_from_db()
        assert untouchable.is_active
    assert client.post(ACCOUNTS, {"account": "x", "deactivate": "1"}).status_code == 404


def test_a_publisher_grants_no_other_group_or_permission(client):
    Group.objects.create(name="Auditors")
    client.force_login(make_user("petro", groups=["Publisher"]))

    response = create(client, username="mallory", role="Auditors")
    assert "Select a valid choice" in response.content.decode()
    assert not User.objects.filter(username="mallory").exists()

    create(
        client,
        username="mallory",
        role="Publisher",
        is_superuser="on",
        groups=[Group.objects.get(name="Auditors").pk],
        user_permissions=[Permission.objects.get(codename="delete_event").pk],
    )
    mallory = User.objects.get(username="mallory")
    assert not mallory.is_superuser
    assert list(mallory.groups.values_list("name", flat=True)) == ["Publisher"]
    assert not mallory.user_permissions.exists()


def test_a_taken_username_is_refused(client):
    make_user("olena", groups=["Editor"])
    client.force_login(make_user("petro", groups=["Publisher"]))

    response = create(client, username="olena")

    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.filter(username="olena").count() == 1


def test_a_link_for_someone_a_publisher_cannot_manage_does_not_work(client):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    root = make_user("root", is_superuser=True)
    url = reverse(
        "admin:tracker_account_set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(root.pk)),
            "token": default_token_generator.make_token(root),
        },
    )

    response = client.get(url, follow=True)

    assert "This link has been used already" in response.content.decode()
