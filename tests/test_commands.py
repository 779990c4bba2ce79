"""The commands a newcomer meets through `make run`."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def test_local_superuser_is_created_once_with_a_printed_password(settings, capsys, client):
    settings.DEBUG = True

    call_command("ensure_local_superuser")
    out = capsys.readouterr().out
    password = out.split("password: ")[1].split()[0]
    form = {"username": "admin", "password": password}
    assert client.post("/admin/login/?next=/admin/", form)["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    call_command("ensure_local_superuser")
    assert "already exists" in capsys.readouterr().out
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_no_printed_passwords_outside_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="outside debug mode"):
        call_command("ensure_local_superuser")
    assert not get_user_model().objects.exists()
