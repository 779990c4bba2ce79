"""The admin lockout (django-axes, counted in the database): five wrong passwords lock a
(username, address) pair, twenty lock the address for every username, a username alone is
never locked, and the address is the proxy's word only when a trusted proxy sends it."""

import pytest
from django.core.management import call_command
from django.test import Client

from tests.factories import make_user

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
ADDRESS_A, ADDRESS_B = "203.0.113.5", "198.51.100.7"


def from_address(address):
    """A browser at ``address``, reaching the tracker through the trusted proxy (127.0.0.1),
    which says where the request came from and that it came over HTTPS."""
    return Client(
        headers={"Host": "testserver", "X-Forwarded-Proto": "https", "X-Forwarded-For": address}
    )


def log_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def logged_in(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


def locked_out(response):
    return response.status_code == 429 and "Too many failed logins" in response.content.decode()


@pytest.fixture
def editor():
    return make_user("editor", groups=["Editor"])


def test_five_wrong_passwords_lock_that_address_out_for_that_editor_only(editor):
    a, b = from_address(ADDRESS_A), from_address(ADDRESS_B)
    for _ in range(4):
        assert log_in(a, "Editor", "wrong").status_code == 200  # the form, with its error
    assert locked_out(log_in(a, "Editor", "wrong"))
    assert locked_out(log_in(a, "editor", "pw")), "the right password is refused from A"
    assert logged_in(log_in(b, "editor", "pw")), "the editor still logs in from B"
    other = make_user("other")
    assert logged_in(log_in(from_address(ADDRESS_A), "other", "pw")), "A may try other names"
    assert other.username == "other"


def test_twenty_failures_lock_an_address_out_for_every_username(editor):
    a = from_address(ADDRESS_A)
    for n in range(19):
        assert not locked_out(log_in(a, f"guess{n % 19}", "wrong")), n
    assert locked_out(log_in(a, "guess19", "wrong"))
    assert locked_out(log_in(a, "editor", "pw"))
    assert logged_in(log_in(from_address(ADDRESS_B), "editor", "pw"))


def test_a_forged_forwarded_header_from_elsewhere_changes_nothing(editor):
    """Straight from 192.0.2.9, not through the proxy, naming another address each time:
    the failures are 192.0.2.9's, and the forged addresses stay free."""
    direct = Client(headers={"Host": "testserver"}, REMOTE_ADDR="192.0.2.9")
    for n in range(5):
        response = log_in(
            direct, "editor", "wrong", secure=True, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        )
    assert locked_out(response)
    assert locked_out(log_in(direct, "editor", "pw", secure=True, HTTP_X_FORWARDED_FOR="10.0.0.99"))
    assert logged_in(log_in(from_address("10.0.0.1"), "editor", "pw"))


def test_the_documented_command_lifts_a_lock(editor):
    a = from_address(ADDRESS_A)
    for _ in range(5):
        response = log_in(a, "editor", "wrong")
    assert locked_out(response)
    call_command("axes_reset_ip", ADDRESS_A)
    assert logged_in(log_in(a, "editor", "pw"))


def test_failures_count_for_fifteen_minutes_then_the_lock_lifts(editor):
    """The window is 15 minutes: failures older than that no longer count, and a lock
    lifts once its last failure is 15 minutes old. Time is moved by ageing the database's
    own record of the attempts, as a clock would."""
    from datetime import timedelta

    from axes.models import AccessAttempt

    def age(minutes):
        for attempt in AccessAttempt.objects.all():
            attempt.attempt_time -= timedelta(minutes=minutes)
            attempt.save(update_fields=["attempt_time"])

    a = from_address(ADDRESS_A)
    for _ in range(4):
        assert not locked_out(log_in(a, "editor", "wrong"))
    age(16)
    for n in range(4):  # four old and four new: never five within 15 minutes
        assert not locked_out(log_in(a, "editor", "wrong")), n
    age(14)  # the last four are now 14 minutes old: the fifth within 15 minutes locks
    assert locked_out(log_in(a, "editor", "wrong"))
    assert locked_out(log_in(a, "editor", "pw"))
    age(16)
    assert logged_in(log_in(a, "editor", "pw")), "the lock lifts after 15 minutes"
