from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Conflict, Event, Party, Person, Process, Release


class EventSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Event.objects.published().chronological()

    def lastmod(self, item):
        return item.updated_at


class ConflictSitemap(Sitemap):
    def items(self):
        return Conflict.objects.public().order_by("name", "pk")


class ProcessSitemap(Sitemap):
    def items(self):
        return Process.objects.public().order_by("position", "pk")


class PartySitemap(Sitemap):
    def items(self):
        return Party.objects.public().order_by("name", "pk")


class PersonSitemap(Sitemap):
    def items(self):
        return Person.objects.public().order_by("name", "pk")


class PageSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return [
            "home",
            "event-list",
            "conflict-list",
            "process-list",
            "party-list",
            "person-list",
            # The change log and the embeddable timeline (tracker/change_views.py).
            "changes",
            "embed-timeline",
        ]

    def location(self, item):
        return reverse(item)


class ReleaseSitemap(Sitemap):
    """The list of releases, and each release (withdrawn ones too: they stay listed)."""

    def items(self):
        return ["release-list", *Release.objects.newest_first()]

    def location(self, item):
        return reverse(item) if isinstance(item, str) else item.get_absolute_url()


SITEMAPS = {
    "pages": PageSitemap,
    "events": EventSitemap,
    "conflicts": ConflictSitemap,
    "processes": ProcessSitemap,
    "parties": PartySitemap,
    "people": PersonSitemap,
    "releases": ReleaseSitemap,
}
