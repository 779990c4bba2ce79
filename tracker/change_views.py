"""The record's change log (page and Atom feed), its calendar and the embeddable timeline.

Thin, as every public view: the change log is built by ``tracker.changes``, the calendar
by ``tracker.calendar_feed``, the timeline by the chart builders; “which events” is the
one FilterSet (``filter_events``).
"""

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt

from . import calendar_feed, changes
from .filters import EventFilter, error_text, filter_events
from .public import public
from .views import list_query, timeline_context

#: How many changes the Atom feed carries.
FEED_LENGTH = 50


@public(extras=("page",))
def change_list(request):
    entries = changes.change_log()
    page = Paginator(entries, settings.TRACKER_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = changes.described(page.object_list)
    return render(request, "changes/change_list.html", {"page": page})


class ChangesFeed(Feed):
    """The change log's latest entries. Each links to the event's page at the entry
    (its “Corrections” list), a withdrawal to the change log: the link is the entry's id."""

    feed_type = Atom1Feed
    title = gettext_lazy("Peace negotiation tracker: changes to the record")
    subtitle = gettext_lazy(
        "Events published, corrected and withdrawn, and outcomes whose status moved."
    )

    def link(self):
        return reverse("changes")

    def items(self):
        return changes.described(changes.change_log()[:FEED_LENGTH])

    def item_title(self, item):
        return item.headline

    def item_description(self, item):
        # Atom carries the description as HTML: every line is escaped.
        lines = format_html_join("", "<li>{}</li>", ((line,) for line in item.lines))
        return format_html("<ul>{}</ul>", lines) if item.lines else ""

    def item_link(self, item):
        return f"{item.url or reverse('changes')}#{item.key}"

    def item_pubdate(self, item):
        return item.when

    def item_updateddate(self, item):
        return item.when


def _bad_query(filterset):
    return HttpResponseBadRequest(
        _("The query could not be understood.") + "\n" + error_text(filterset) + "\n",
        content_type="text/plain; charset=utf-8",
    )


@public(filters=EventFilter, answers="text")
def calendar_ics(request):
    """Every filtered event as an all-day event (``tracker.calendar_feed``)."""
    filterset, events = filter_events(request.GET)
    if not filterset.is_valid():
        return _bad_query(filterset)
    host = request.get_host().rsplit(":", 1)[0]
    body = calendar_feed.calendar(
        events, base_url=f"{request.scheme}://{request.get_host()}", host=host
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="peace-negotiations.ics"'
    return response


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@public(filters=EventFilter)
def embed_timeline(request):
    """The event list's timeline and its table alone, for other sites to frame: the one
    page any site may frame. It sets no cookie, and its links open in the top window."""
    filterset, events = filter_events(request.GET)
    valid = filterset.is_valid()
    query = list_query(filterset) if valid else {}
    context = {
        "filter": filterset,
        "timeline": timeline_context(events, query=query) if valid else None,
        "list_url": reverse("event-list") + (f"?{request.GET.urlencode()}" if query else ""),
    }
    return render(request, "embed/timeline.html", context, status=200 if valid else 400)
