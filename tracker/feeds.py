from django.contrib.syndication.views import Feed
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .dates import event_date
from .filters import error_text, filter_events


class PublishedEventsFeed(Feed):
    """Newly published events, newest publication first, narrowed by the event list's
    filters (``/feed/?conflict=…&party=…``); an invalid filter answers 400."""

    feed_type = Atom1Feed
    title = gettext_lazy("Peace negotiation tracker: newly published events")
    subtitle = gettext_lazy("Events added to the record of peace negotiations.")

    def __call__(self, request, *args, **kwargs):
        filterset, _events = filter_events(request.GET)
        if not filterset.is_valid():
            return HttpResponseBadRequest(
                _("The query could not be understood.") + "\n" + error_text(filterset) + "\n",
                content_type="text/plain; charset=utf-8",
            )
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request, *args, **kwargs):
        return request.GET

    def link(self, query):
        url = reverse("event-list")
        return f"{url}?{query.urlencode()}" if query else url

    def items(self, query):
        _filterset, events = filter_events(query)
        return events.select_related("process").order_by("-published_at", "-pk")[:50]

    def item_title(self, item):
        return f"{event_date(item)}: {item.title}"

    def item_description(self, item):
        # Atom carries the summary as HTML: escape what the editor typed.
        return linebreaks(item.summary, autoescape=True)

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.process.title, item.get_kind_display()]
