from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import linebreaks
from django.utils.translation import gettext_lazy as _

from .dates import event_date
from .models import Event


class PublishedEventsFeed(Feed):
    """Newly published events, newest publication first."""

    feed_type = Atom1Feed
    title = _("Peace negotiation tracker: newly published events")
    subtitle = _("Events added to the record of peace negotiations.")
    link = reverse_lazy("event-list")

    def items(self):
        return (
            Event.objects.published()
            .select_related("process")
            .order_by("-published_at", "-pk")[:50]
        )

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
