from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from . import change_views, release_views, views
from .columns import TABLES
from .feeds import PublishedEventsFeed
from .filters import EventFilter
from .public import public
from .sitemaps import SITEMAPS

urlpatterns = [
    path("", views.home, name="home"),
    path("events/", views.event_list, name="event-list"),
    path("events/timeline.json", views.events_timeline, name="events-timeline"),
    path("events/<slug:slug>/", views.event_detail, name="event-detail"),
    path("conflicts/", views.conflict_list, name="conflict-list"),
    path("conflicts/<slug:slug>/", views.conflict_detail, name="conflict-detail"),
    path("processes/", views.process_list, name="process-list"),
    path("processes/<slug:slug>/", views.process_detail, name="process-detail"),
    path("parties/", views.party_list, name="party-list"),
    path("parties/<slug:slug>/", views.party_detail, name="party-detail"),
    path("people/", views.person_list, name="person-list"),
    path("people/<slug:slug>/", views.person_detail, name="person-detail"),
    path("export/", views.export_index, name="export"),
    path("export/datapackage.json", views.datapackage, name="datapackage"),
    *(
        path(f"export/{name}.csv", views.export_csv, {"table": name}, name=f"{name}-csv")
        for name in TABLES
    ),
    path("export/templates/<str:table>.csv", views.csv_template, name="csv-template"),
    # Releases (tracker.releases): citable copies of the record, never changed.
    path("data/releases/", release_views.release_list, name="release-list"),
    path("data/releases/<str:version>/", release_views.release_detail, name="release-detail"),
    path(
        "data/releases/<str:version>/<str:name>",
        release_views.release_file,
        name="release-file",
    ),
    path("feed/", public(filters=EventFilter, answers="text")(PublishedEventsFeed()), name="feed"),
    path(
        "sitemap.xml",
        public(extras=("p",), answers="text")(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
    # The change log, its feed, the calendar and the embeddable timeline (tracker/change_views.py).
    path("changes/", change_views.change_list, name="changes"),
    path(
        "changes/feed/",
        public(answers="text")(change_views.ChangesFeed()),
        name="changes-feed",
    ),
    path("calendar.ics", change_views.calendar_ics, name="calendar"),
    path("embed/timeline/", change_views.embed_timeline, name="embed-timeline"),
    path("language/", views.choose_language, name="language"),
    path("healthz", views.healthz, name="healthz"),
    path("api/", include("tracker.api.urls")),
    path("admin/", admin.site.urls),
]
