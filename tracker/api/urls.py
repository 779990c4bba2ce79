"""The API's routes (``/api/``, namespace ``api``), each declared ``@public(api=True)``
with the parameters it takes, and its OpenAPI description."""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from ..filters import EventFilter, PartyIndexFilter, PersonIndexFilter, ProcessIndexFilter
from ..public import public
from . import views
from .pages import CURSOR

app_name = "api"


def read(view, *, filters=None, paged=False):
    """``view`` declared public: the FilterSet it takes, and the cursor when it is paged."""
    return public(api=True, filters=filters, extras=(CURSOR,) if paged else ())(view.as_view())


urlpatterns = [
    path("openapi.json", read(SpectacularJSONAPIView), name="schema"),
    path("events/", read(views.EventList, filters=EventFilter, paged=True), name="event-list"),
    path("events/<slug:slug>/", read(views.EventDetail), name="event-detail"),
    path("conflicts/", read(views.ConflictList, paged=True), name="conflict-list"),
    path("conflicts/<slug:slug>/", read(views.ConflictDetail), name="conflict-detail"),
    path(
        "processes/",
        read(views.ProcessList, filters=ProcessIndexFilter, paged=True),
        name="process-list",
    ),
    path("processes/<slug:slug>/", read(views.ProcessDetail), name="process-detail"),
    path(
        "parties/", read(views.PartyList, filters=PartyIndexFilter, paged=True), name="party-list"
    ),
    path("parties/<slug:slug>/", read(views.PartyDetail), name="party-detail"),
    path(
        "people/", read(views.PersonList, filters=PersonIndexFilter, paged=True), name="person-list"
    ),
    path("people/<slug:slug>/", read(views.PersonDetail), name="person-detail"),
]
