"""Public pages. Thin: queries live on the models, “which events” in filters.py, figures
in charts.py. Every list of events starts from ``Event.objects.published()``."""

from itertools import groupby

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, F, Min, Q
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from . import charts
from .filters import filter_events
from .models import Event, Outcome, Participation, Party, Person, Process

TABLE_LIMIT = 500


def visible_events(request):
    """Published events; logged-in staff also see drafts, as previews."""
    if request.user.is_staff:
        return Event.objects.all()
    return Event.objects.published()


def timeline_context(rows, *, hover_extra=None):
    rows = list(rows)
    return {
        "figure": charts.timeline_figure(rows, hover_extra=hover_extra),
        "rows": rows if len(rows) <= TABLE_LIMIT else None,
        "row_count": len(rows),
        "legend": charts.legend(),
    }


def home(request):
    events = Event.objects.published()
    context = {
        "timeline": timeline_context(events.for_timeline()),
        "latest": events.select_related("process").order_by("-start_date", "-pk")[:6],
        "summary": events.summary(),
    }
    return render(request, "tracker/home.html", context)


def event_list(request):
    filterset, events = filter_events(request.GET)
    page = Paginator(events.for_listing(), settings.TRACKER_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "filter": filterset,
        "page": page,
        "timeline": timeline_context(events.for_timeline()) if page.paginator.count else None,
    }
    return render(
        request, "tracker/event_list.html", context, status=200 if filterset.is_valid() else 400
    )


def event_detail(request, slug):
    preview = request.user.is_staff
    event = get_object_or_404(visible_events(request).for_detail(include_drafts=preview), slug=slug)
    neighbours = visible_events(request).filter(process=event.process).exclude(pk=event.pk)
    before = Q(start_date__lt=event.start_date) | Q(start_date=event.start_date, pk__lt=event.pk)
    context = {
        "event": event,
        "sides": participants_by_side(event.participations.all()),
        "previous": neighbours.filter(before).order_by("-start_date", "-pk").first(),
        "next": neighbours.exclude(before).order_by("start_date", "pk").first(),
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


def process_detail(request, slug):
    process = get_object_or_404(Process.objects.public(), slug=slug)
    events = Event.objects.published().filter(process=process)
    participants = (
        Participation.objects.filter(event__in=events)
        .values("person__name", "person__slug", "party__name", "party__slug")
        .annotate(events=Count("event", distinct=True))
        .order_by("-events", "person__name", "party__name")
    )
    agreements = list(
        Outcome.objects.filter(event__in=events)
        .agreements()
        .annotate(
            carried_out_on=Min(
                "implementations__event__start_date",
                filter=Q(implementations__event__in=Event.objects.published()),
            )
        )
        .values(
            "description",
            "status",
            "carried_out_on",
            agreed_on=F("event__start_date"),
            event_title=F("event__title"),
            event_slug=F("event__slug"),
        )
        .order_by("agreed_on", "pk")
    )
    context = {
        "process": process,
        "timeline": timeline_context(events.for_timeline()),
        "participants": participants,
        "agreements": agreements,
        "follow_through": charts.follow_through_figure(agreements) if agreements else None,
    }
    return render(request, "tracker/process_detail.html", context)


def actor_page(request, template, actor, participations):
    """The shared page of a party or a person: their events, roles and titles."""
    participations = list(
        participations.filter(event__in=Event.objects.published())
        .select_related("event__process", "person", "party", "side")
        .order_by("event__start_date", "event_id", "position")
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
        "timeline": timeline_context(events.for_timeline(), hover_extra=hover),
    }
    return render(request, template, context)


def party_detail(request, slug):
    party = get_object_or_404(Party.objects.public(), slug=slug)
    participations = Participation.objects.filter(Q(party=party) | Q(side=party))
    return actor_page(request, "tracker/party_detail.html", party, participations)


def person_detail(request, slug):
    person = get_object_or_404(Person.objects.public().select_related("party"), slug=slug)
    participations = Participation.objects.filter(person=person)
    return actor_page(request, "tracker/person_detail.html", person, participations)
