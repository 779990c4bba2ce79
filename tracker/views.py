"""Public pages. Thin: the queries live on the models, the filters in filters.py."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render

from .models import Event, Party, Person, Process


def visible_events(request):
    """Published events; staff also see drafts, so that they can preview them."""
    if request.user.is_staff:
        return Event.objects.all()
    return Event.objects.published()


def home(request):
    events = Event.objects.published().for_listing()
    return render(request, "tracker/home.html", {"events": events})


def event_detail(request, slug):
    event = get_object_or_404(visible_events(request).for_detail(), slug=slug)
    return render(request, "tracker/event_detail.html", {"event": event})


def process_detail(request, slug):
    process = get_object_or_404(Process.objects.public(), slug=slug)
    return render(request, "tracker/process_detail.html", {"process": process})


def party_detail(request, slug):
    party = get_object_or_404(Party.objects.public(), slug=slug)
    return render(request, "tracker/party_detail.html", {"party": party})


def person_detail(request, slug):
    person = get_object_or_404(Person.objects.public(), slug=slug)
    if person is None:
        raise Http404
    return render(request, "tracker/person_detail.html", {"person": person})
