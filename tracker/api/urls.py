"""The API's routes (``/api/``), each declared ``@public(api=True)`` with the parameters
it takes, and its OpenAPI description. Each route is named after the page it is the JSON
twin of, with ``api-`` before it (``event-detail`` → ``api-event-detail``): pages link to
their twin by that rule (the ``json_twin`` template tag)."""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from ..filters import EventFilter, PartyIndexFilter, PersonIndexFilter, ProcessIndexFilter
from ..public import public
from . import views
from .pages import CURSOR


def read(view, *, filters=None, paged=False):
    """``view`` declared public: the FilterSet it takes, and the cursor when it is paged."""
    return public(api=True, filters=filters, extras=(CURSOR,) if paged else ())(view.as_view())


urlpatterns = [
    path("openapi.json", read(SpectacularJSONAPIView), name="api-schema"),
    path("events/", read(views.EventList, filters=EventFilter, paged=True), name="api-event-list"),
    path("events/<slug:slug>/", read(views.EventDetail), name="api-event-detail"),
    path("conflicts/", read(views.ConflictList, paged=True), name="api-conflict-list"),
    path("conflicts/<slug:slug>/", read(views.ConflictDetail), name="api-conflict-detail"),
    path(
        "processes/",
        read(views.ProcessList, filters=ProcessIndexFilter, paged=True),
        name="api-process-list",
    ),
    path("processes/<slug:slug>/", read(views.ProcessDetail), name="api-process-detail"),
    path(
        "parties/",
        read(views.PartyList, filters=PartyIndexFilter, paged=True),
        name="api-party-list",
    ),
    path("parties/<slug:slug>/", read(views.PartyDetail), name="api-party-detail"),
    path(
        "people/",
        read(views.PersonList, filters=PersonIndexFilter, paged=True),
        name="api-person-list",
    ),
    path("people/<slug:slug>/", read(views.PersonDetail), name="api-person-detail"),
]
