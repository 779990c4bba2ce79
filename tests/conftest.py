import pytest

from tests.admin_forms import admin_form_data as admin_form_data_of
from tests.factories import make_user


@pytest.fixture
def superuser(db):
    return make_user("root", is_superuser=True)


@pytest.fixture
def admin_client_for(client):
    """Log the test client in as the given user and return it."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def admin_form_data():
    """The POST data an admin change form would send unchanged, inlines included."""
    return admin_form_data_of
