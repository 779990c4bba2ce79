"""Admin lockout rules on top of django-axes' database handler (settings: "Logins").

Axes counts failures for each of ``AXES_LOCKOUT_PARAMETERS``: the (username, address)
pair and the address alone. The pair is locked at ``AXES_FAILURE_LIMIT`` failures; the
address's failures, summed over every username it tried, count only once they reach
``TRACKER_ADDRESS_FAILURE_LIMIT``. A username alone is never counted, so failures from one
address cannot lock its owner out at another.
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None):
        pair, address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        return max(pair, address if address >= settings.TRACKER_ADDRESS_FAILURE_LIMIT else 0)


def counted_username(request, credentials=None):
    """The username a login tried, as failures are counted: "Editor" and "editor " are
    the same editor (``AXES_USERNAME_CALLABLE``)."""
    field = settings.AXES_USERNAME_FORM_FIELD
    typed = (credentials or getattr(request, "POST", {})).get(field)
    return typed.strip().casefold() if typed else typed
