import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from tracker.roles import ROLES

pytestmark = pytest.mark.django_db


def permissions_of(name):
    return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))


def test_the_migration_created_the_roles_as_documented():
    assert permissions_of("Editor") == set(ROLES["Editor"])
    assert permissions_of("Publisher") == set(ROLES["Publisher"])
    assert not any(c.startswith("delete_") or c == "publish_event" for c in ROLES["Editor"])


def test_sync_roles_repairs_a_changed_group():
    Group.objects.get(name="Editor").permissions.clear()
    Group.objects.get(name="Publisher").delete()

    call_command("sync_roles")

    assert permissions_of("Editor") == set(ROLES["Editor"])
    assert permissions_of("Publisher") == set(ROLES["Publisher"])
