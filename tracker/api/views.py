"""The API's views: thin, over the models' querysets, the site's FilterSets and the
``published()``/``public()`` rules; declared with ``@public(api=True)`` in ``urls``.

Every answer carries validators from the record-wide version (``RecordVersion``, moved by
every write path): ``ETag`` and ``Last-Modified``, the same for every address until the
record changes, so that a deleted or withdrawn event changes them too; a request that
sends them back is answered 304 with no row read.
"""

from calendar import timegm

from django.db.models import F
from django.http import HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from .. import licence
from ..filters import (
    EventFilter,
    PartyIndexFilter,
    PersonIndexFilter,
    ProcessIndexFilter,
    error_text,
)
from ..models import Conflict, Event, Party, Person, Process, RecordVersion, SlugHistory
from .pages import KeysetPagination
from .problems import InvalidQuery
from .serializers import (
    ConflictSerializer,
    EventRow,
    PartySerializer,
    PersonSerializer,
    ProcessSerializer,
)

#: Moves when what the API writes for the same record changes shape, so that a client's
#: validators from before a new release of the API are not answered 304.
REVISION = 1


def validators():
    """``(ETag, Last-Modified as a timestamp or None)`` of the record as it stands."""
    number, changed_at = RecordVersion.current()
    stamp = int(changed_at.timestamp() * 1_000_000) if changed_at else 0
    return f'"{REVISION}-{number}-{stamp}"', timegm(
        changed_at.utctimetuple()
    ) if changed_at else None


class FilterSetBackend(DjangoFilterBackend):
    """The view's FilterSet, as the site's pages apply it (``tracker.filters``): an invalid
    query answers 400 naming each problem, never every row."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise InvalidQuery(error_text(filterset))
        return filterset.qs


class ReadView(GenericAPIView):
    """``GET`` (and ``HEAD``) with the record's validators; 304 when the client has them."""

    lookup_field = "slug"
    filter_backends = [FilterSetBackend]

    def get_serializer_context(self):
        return {
            "base_url": self.request.build_absolute_uri("/").rstrip("/"),
            "request": self.request,
            "view": self,
        }

    def get(self, request, *args, **kwargs):
        etag, last_modified = validators()
        response = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if response is None:
            response = self.answer(request, *args, **kwargs)
        response["Link"] = licence.link_header()  # the data's licence, on every answer
        if response.status_code in (200, 304):
            response["ETag"] = etag
            if last_modified is not None:
                response["Last-Modified"] = http_date(last_modified)
        return response

    def answer(self, request, *args, **kwargs):
        raise NotImplementedError


class ListView(ListModelMixin, ReadView):
    """A list in keyset pages, in the queryset's order."""

    pagination_class = KeysetPagination

    def answer(self, request):
        return self.list(request)


class DetailView(ReadView):
    """One record by slug; by a slug it once had, a permanent redirect to its address."""

    filter_backends = []
    route = ""

    def answer(self, request, slug):
        queryset = self.get_queryset()
        found = queryset.filter(slug=slug).first()
        if found is not None:
            return Response(self.get_serializer(found).data)
        moved = SlugHistory.current(queryset, slug)
        if moved is None:
            raise NotFound(_("There is no such record."))
        return HttpResponsePermanentRedirect(reverse(self.route, kwargs={"slug": moved.slug}))


# Events, in the CSV's order ----------------------------------------------------------------


class EventViews:
    serializer_class = EventRow
    filterset_class = EventFilter

    def get_queryset(self):
        """Published events with the rows of the four CSV tables, in the CSV's order."""
        return Event.objects.published().for_export()


@extend_schema(summary="Published events, filtered as on the site, in the CSV's order")
class EventList(EventViews, ListView):
    pass


@extend_schema(summary="One published event")
class EventDetail(EventViews, DetailView):
    route = "api-event-detail"


# What events involve ---------------------------------------------------------------------


class Conflicts:
    serializer_class = ConflictSerializer

    def get_queryset(self):
        return Conflict.objects.public().for_index().order_by("name", "pk")


class Processes:
    serializer_class = ProcessSerializer
    filterset_class = ProcessIndexFilter

    def get_queryset(self):
        start = F("start_date").asc(nulls_first=True)
        return Process.objects.public().for_index().order_by("position", start, "title", "pk")


class Parties:
    serializer_class = PartySerializer
    filterset_class = PartyIndexFilter

    def get_queryset(self):
        return Party.objects.public().for_index().order_by("name", "pk")


class People:
    serializer_class = PersonSerializer
    filterset_class = PersonIndexFilter

    def get_queryset(self):
        return Person.objects.public().for_index().order_by("name", "pk")


def list_and_detail(base, name, noun):
    """The list and detail views of ``base`` (``Conflicts``…)."""
    listing = extend_schema(summary=f"Public {noun}")(type(f"{name}List", (base, ListView), {}))
    detail = type(f"{name}Detail", (base, DetailView), {"route": f"api-{name.lower()}-detail"})
    return listing, extend_schema(summary=f"One of the public {noun}")(detail)


ConflictList, ConflictDetail = list_and_detail(Conflicts, "Conflict", "conflicts")
ProcessList, ProcessDetail = list_and_detail(Processes, "Process", "processes")
PartyList, PartyDetail = list_and_detail(Parties, "Party", "parties")
PersonList, PersonDetail = list_and_detail(People, "Person", "people")
