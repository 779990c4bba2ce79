"""Public pages. Thin: queries live on the models, “which events” in filters.py, figures
in charts/. Every list of events starts from ``Event.objects.published()``."""

import logging
from itertools import groupby

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import charts, licence, page_cache
from .changes import corrections
from .columns import TABLES, data_package
from .csv_export import csv_lines, file_name, template_text
from .export_slots import ExportsBusy, slot_for
from .filters import (
    EventFilter,
    PartyIndexFilter,
    PersonIndexFilter,
    ProcessIndexFilter,
    error_text,
    filter_events,
    record_options_digest,
)
from .models import (
    Conflict,
    Event,
    Outcome,
    Participation,
    Party,
    Person,
    Process,
    RecordVersion,
    Release,
    SlugHistory,
    read_page_parts,
)
from .page_cache import per_record_version
from .public import public
from .releases import event_citation

logger = logging.getLogger(__name__)


def visible_events(request):
    """Published events; logged-in staff also see drafts, as previews."""
    if request.user.is_staff:
        return Event.objects.all()
    return Event.objects.published()


class Moved(Exception):
    """The record asked for by an old slug: answered with a permanent redirect."""

    def __init__(self, obj):
        self.obj = obj


def found_or_moved(queryset, slug):
    """The record of ``queryset`` called ``slug``; :class:`Moved` when it was once called
    so (and is still in ``queryset``); 404 otherwise."""
    found = queryset.filter(slug=slug).first()
    if found is not None:
        return found
    moved = SlugHistory.current(queryset, slug)
    if moved is None:
        raise Http404(_("There is no such page."))
    raise Moved(moved)


def follows_moves(view):
    """A detail view whose record may be asked for by an old slug (301 to the new one)."""

    def detail(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Moved as moved:
            return HttpResponsePermanentRedirect(moved.obj.get_absolute_url())

    detail.__name__ = view.__name__
    detail.__doc__ = view.__doc__
    return detail


def list_query(filterset):
    """The filters as the event list reads them (dates in ISO form): timeline counts
    link there, and the timeline endpoint is asked with them."""
    query = {key: value for key, value in filterset.data.items() if value and key != "page"}
    for name in ("date_after", "date_before"):
        if filterset.form.cleaned_data.get(name):
            query[name] = filterset.form.cleaned_data[name].isoformat()
    return query


def timeline_context(events, *, query, hover_extra=None, kept=False):
    """The timeline of ``events`` (a queryset of public events), the same events or
    counts as a table, and the legend; ``query`` selects the same events on the event
    list (``{}`` for the whole record, ``{"process": slug}``…).

    ``kept``: ``events`` are exactly the public events that ``query`` selects on the
    event list, so the timeline is kept for the record version, the language and the
    query (``per_record_version``) and shared by every page that draws it: ``/`` and
    each page of ``/events/`` draw the whole record's, rendered together after a write.
    """

    def build():
        timeline = charts.build_timeline(events, query=query, hover_extra=hover_extra)
        return {
            "figure": timeline.figure,
            "mode": timeline.mode,
            "rows": timeline.rows,
            "counts": timeline.counts,
            "period": timeline.period,
            "buttons": timeline.buttons,
            "row_count": timeline.total,
        }

    if kept:
        name = f"timeline\n{get_language()}\n{urlencode(sorted(query.items()))}"
        parts = per_record_version(name, build)
    else:
        parts = build()
    return {**parts, "legend": charts.legend()}


@public()
def home(request):
    events = Event.objects.published()
    context = {
        "conflicts": Conflict.objects.public().for_index(),
        "timeline": timeline_context(events, query={}, kept=True),
        "latest": events.select_related("process").chronological().reverse()[:6],
        "summary": events.summary(),
    }
    return render(request, "tracker/home.html", context)


#: The filters that narrow the event list to part of the record, and the lookups that
#: find that part's events from their values in the canonical query.
NARROWING = {"process": "process__slug", "conflict": "process__conflict__slug"}


def event_list_versions(request):
    """What the event list shows, as versions. Narrowed to a process or a conflict, it
    shows that part's events (or some of them, with other filters), the shared records
    and the filters' options: it is keyed by the shared number, the options' digest
    (``record_options_digest``) and the versions of the part's published events
    (``EventQuerySet.versions_digest``), so that saving an event elsewhere leaves it
    cached. Any other list reads the whole record (a search reads every event's text)
    and is keyed by the record-wide version.

    The events are read after the record's numbers, and the number is read again after
    them: every part of the key is read before what the page draws on, so that a page
    rendered across a write is never kept under a key asked for after it."""
    narrowed = {
        lookup: request.GET[name] for name, lookup in NARROWING.items() if request.GET.get(name)
    }
    numbers = page_cache.record_wide()  # as this request first read them
    if not narrowed:
        return numbers
    events = Event.objects.published().filter(**narrowed).versions_digest()
    if RecordVersion.current()[0] != numbers[0]:
        # A write came between the two readings: the page draws values kept for the
        # numbers read first (its timeline, the options), which may be older than these
        # events. It is keyed by those numbers, as any other list, which no request
        # after the write asks for.
        return numbers
    return (page_cache.shared_number(), record_options_digest(), events)


@public(filters=EventFilter, extras=("page",), versions=event_list_versions)
def event_list(request):
    filterset, events = filter_events(request.GET)
    timeline = (
        timeline_context(events, query=list_query(filterset), kept=True)
        if filterset.is_valid()
        else None
    )
    total = timeline["row_count"] if timeline else 0
    paginator = Paginator(events.for_listing(), settings.TRACKER_PAGE_SIZE)
    paginator.count = total  # counted by the timeline's outline: no COUNT query of its own
    context = {
        "filter": filterset,
        "page": paginator.get_page(request.GET.get("page")),
        "timeline": timeline if total else None,
    }
    return render(
        request, "tracker/event_list.html", context, status=200 if filterset.is_valid() else 400
    )


@public(filters=EventFilter, answers="json")
def events_timeline(request):
    """The event list's timeline as JSON, for the same filters: charts.js asks it for
    single events when the reader narrows a timeline that shows counts to a span with
    few enough events. Answers with the figure, the table that stands in for it and the
    legend's caption."""
    filterset, events = filter_events(request.GET)
    if not filterset.is_valid():
        return JsonResponse({"errors": error_text(filterset)}, status=400)
    timeline = timeline_context(events, query=list_query(filterset))
    parts = {
        part: render_to_string(f"tracker/_timeline_{part}.html", {"timeline": timeline}, request)
        for part in ("table", "caption")
    }
    return JsonResponse(
        {
            "figure": timeline["figure"],
            "mode": timeline["mode"],
            "total": timeline["row_count"],
            **parts,
        }
    )


def event_page_versions(request, slug):
    """What an event's page shows, as versions: the record-wide shared number and the
    events it shows (``EventQuerySet.page_versions``); saving another event leaves it
    cached."""
    return (
        RecordVersion.current_shared(),
        Event.objects.published().page_versions(slug),
        timezone.localdate().isoformat(),  # the citation's "accessed" date
    )


@public(versions=event_page_versions)
@follows_moves
def event_detail(request, slug):
    preview = request.user.is_staff
    event = found_or_moved(visible_events(request).for_detail().with_latest_release(), slug)
    read_page_parts([event], include_drafts=preview)
    neighbours = visible_events(request).filter(process=event.process).exclude(pk=event.pk)
    context = {
        "event": event,
        "sides": participants_by_side(event.participations.all()),
        "previous": neighbours.before(event).reverse().first(),
        "next": neighbours.after(event).first(),
        "corrections": corrections(event),
        "citation": event_citation(event, request.build_absolute_uri(event.get_absolute_url())),
    }
    return render(request, "tracker/event_detail.html", context)


def participants_by_side(participations):
    """[(side or None, [(role label, [participation, ...]), ...]), ...]; sides first,
    then hosts and mediators (no side)."""
    order = {role: i for i, role in enumerate(Participation.ROLE_ORDER)}
    rows = sorted(
        participations,
        key=lambda p: (p.side is None, p.side.name if p.side else "", order[p.role], p.position),
    )
    return [
        (
            side,
            [
                (Participation.Role(role).label, list(items))
                for role, items in groupby(side_rows, key=lambda p: p.role)
            ],
        )
        for side, side_rows in ((s, list(r)) for s, r in groupby(rows, key=lambda p: p.side))
    ]


def participants_of(events):
    """Who took part in ``events``, each with their number of events, most first."""
    return (
        Participation.objects.filter(event__in=events)
        .values("person__name", "person__slug", "party__name", "party__slug")
        .annotate(events=Count("event", distinct=True))
        .order_by("-events", "person__name", "party__name")
    )


@public()
@follows_moves
def process_detail(request, slug):
    process = found_or_moved(Process.objects.public().select_related("conflict"), slug)
    events = Event.objects.published().filter(process=process)
    agreements = Outcome.objects.follow_through(events)
    context = {
        "process": process,
        "timeline": timeline_context(events, query={"process": process.slug}),
        "participants": participants_of(events),
        "agreements": agreements,
        "follow_through": charts.follow_through_figure(agreements) if agreements else None,
    }
    return render(request, "tracker/process_detail.html", context)


@public()
def conflict_list(request):
    conflicts = Conflict.objects.public().for_index()
    return render(request, "tracker/conflict_list.html", {"conflicts": conflicts})


@public()
@follows_moves
def conflict_detail(request, slug):
    conflict = found_or_moved(Conflict.objects.public(), slug)
    events = Event.objects.published().filter(process__conflict=conflict)
    agreements = Outcome.objects.follow_through(events)
    context = {
        "conflict": conflict,
        "summary": events.summary(),
        "timeline": timeline_context(events, query={"conflict": conflict.slug}),
        "processes": Process.objects.public().filter(conflict=conflict).for_index(),
        "participants": participants_of(events),
        "agreements": agreements,
        "follow_through": charts.follow_through_figure(agreements) if agreements else None,
    }
    return render(request, "tracker/conflict_detail.html", context)


def index_page(request, filterset_class, queryset, template):
    """A browse index: public records narrowed by ``?conflict=``, 50 a page, each with its
    number of published events; an unknown conflict answers 400."""
    filterset = filterset_class(request.GET, queryset=queryset)
    valid = filterset.is_valid()
    rows = filterset.qs if valid else queryset.none()
    page = Paginator(rows, settings.TRACKER_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": filterset, "page": page}
    return render(request, template, context, status=200 if valid else 400)


@public(filters=ProcessIndexFilter, extras=("page",))
def process_list(request):
    processes = Process.objects.public().for_index().order_by("position", "start_date", "title")
    return index_page(request, ProcessIndexFilter, processes, "tracker/process_list.html")


@public(filters=PartyIndexFilter, extras=("page",))
def party_list(request):
    parties = Party.objects.public().for_index().order_by("name", "pk")
    return index_page(request, PartyIndexFilter, parties, "tracker/party_list.html")


@public(filters=PersonIndexFilter, extras=("page",))
def person_list(request):
    people = Person.objects.public().for_index().order_by("name", "pk")
    return index_page(request, PersonIndexFilter, people, "tracker/person_list.html")


def actor_page(request, template, actor, participations, *, query):
    """The shared page of a party or a person: their events, roles and titles."""
    participations = list(
        participations.filter(event__in=Event.objects.published())
        .select_related("event__process", "person", "party", "side")
        .order_by("event__sort_date", "event__start_date", "event_id", "position")
    )
    roles = {}
    for p in participations:
        label = p.get_role_display()
        if p.title:
            label = f"{label} ({p.title})"
        roles.setdefault(p.event_id, []).append(label)
    events = Event.objects.published().filter(pk__in=roles)
    hover = {pk: _("Role: %(roles)s") % {"roles": "; ".join(r)} for pk, r in roles.items()}
    context = {
        "actor": actor,
        "participations": participations,
        "timeline": timeline_context(events, query=query, hover_extra=hover),
    }
    return render(request, template, context)


@public()
@follows_moves
def party_detail(request, slug):
    party = found_or_moved(Party.objects.public(), slug)
    participations = Participation.objects.involving(party)
    return actor_page(
        request, "tracker/party_detail.html", party, participations, query={"party": slug}
    )


@public()
@follows_moves
def person_detail(request, slug):
    person = found_or_moved(Person.objects.public().select_related("party"), slug)
    participations = Participation.objects.filter(person=person)
    return actor_page(
        request, "tracker/person_detail.html", person, participations, query={"person": slug}
    )


# CSV: the same filters as the event list, validated before the first byte is sent.


@public(filters=EventFilter, extras=("bom",), answers="csv", cache=False)
def export_csv(request, table):
    table = TABLES[table]
    filterset, events = filter_events(request.GET)
    errors = error_text(filterset) if not filterset.is_valid() else ""
    bom = request.GET.get("bom", "")
    if bom not in ("", "0", "1"):
        errors += "\nbom: use bom=1 for a byte-order mark, or leave it out."
    if errors:
        return HttpResponseBadRequest(
            _("The filters could not be understood; no CSV was written.")
            + "\n"
            + errors.strip()
            + "\n",
            content_type="text/plain; charset=utf-8",
        )
    try:
        slot = slot_for(table, events)
    except ExportsBusy as busy:
        return HttpResponse(
            _("Too many long exports are running; try again in %(seconds)d seconds.\n")
            % {"seconds": busy.retry_after},
            status=503,
            content_type="text/plain; charset=utf-8",
            headers={"Retry-After": str(busy.retry_after)},
        )
    base_url = request.build_absolute_uri("/").rstrip("/")
    lines = csv_lines(table, events, base_url=base_url, bom=bom == "1")
    if slot is not None:
        lines = slot.holding(lines)
    name = file_name(table, timezone.localdate())
    return StreamingHttpResponse(
        lines,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@public(answers="text")
def csv_template(request, table):
    """A file to fill in: the columns import reads, and an example row (two for events,
    so that the links template has two events to link)."""
    if table not in TABLES:
        raise Http404(_("There is no such CSV file."))
    return HttpResponse(
        template_text(TABLES[table]),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{table}-template.csv"'},
    )


@public(filters=EventFilter)
def export_index(request):
    """The codebook: every column of the four files, and links that keep the filters."""
    filterset, _events = filter_events(request.GET)
    return render(
        request,
        "tracker/export.html",
        {
            "tables": TABLES.values(),
            "filter": filterset,
            "attribution": licence.attribution_text(),
            "licence_url": licence.URL,
            "latest_release": Release.objects.current().newest_first().first(),
        },
        status=200 if filterset.is_valid() else 400,
    )


@public(answers="json")
def datapackage(request):
    return JsonResponse(data_package(), json_dumps_params={"indent": 2, "ensure_ascii": False})


# The language switch and the health check: never cached, and only the switch sets a cookie.


@public(extras=("language", "next"), answers="text", cache=False)
def choose_language(request):
    """Remember the reader's language in a cookie and go back to the page they were on.

    A plain GET (the header's form works without JavaScript), so that public pages need
    no CSRF token, no session and no cookie of their own, and can be cached for everyone.
    """
    code = request.GET.get("language", "")
    if code not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(
            _("language: choose one of %(codes)s.\n")
            % {"codes": ", ".join(code for code, _name in settings.LANGUAGES)},
            content_type="text/plain; charset=utf-8",
        )
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    response = HttpResponseRedirect(back)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    add_never_cache_headers(response)
    return response


def failing_parts():
    """The parts of the service that do not answer: ``database``, ``cache``."""
    failing = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("Health check: the database did not answer", exc_info=True)
        failing.append("database")
    try:
        cache.set("healthz", "ok", timeout=10)
        if cache.get("healthz") != "ok":
            raise RuntimeError("the cache did not keep a value")
    except Exception:
        logger.warning("Health check: the cache did not answer", exc_info=True)
        failing.append("cache")
    return failing


@public(answers="text", cache=False)
def healthz(request):
    """200 when the database and the cache answer, 503 naming what does not; for load
    balancers and monitors, never cached."""
    failing = failing_parts()
    text = "ok\n" if not failing else "failing: " + ", ".join(failing) + "\n"
    response = HttpResponse(
        text, status=503 if failing else 200, content_type="text/plain; charset=utf-8"
    )
    add_never_cache_headers(response)
    return response
