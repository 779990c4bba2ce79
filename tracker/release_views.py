"""Public pages of the releases (``/data/releases/``): thin, over ``tracker.releases``.

The list and a release's page are cached like every page (a cut or a withdrawal moves
the record-wide version). A release's files are served from the releases storage as
they were written: ETag is their sha256 and they may be cached for a year, since they
never change.
"""

from django.http import FileResponse, Http404, HttpResponseNotModified
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.http import parse_etags
from django.utils.translation import gettext as _

from . import licence
from .models import Event, Release
from .public import public
from .releases import DATAPACKAGE, path_of, release_citation_text, storage

YEAR = 365 * 24 * 3600


def release_or_404(version):
    release = Release.objects.filter(version=version).first()
    if release is None:
        raise Http404(_("There is no release %(version)s.") % {"version": version})
    return release


@public()
def release_list(request):
    context = {
        "releases": Release.objects.newest_first(),
        "attribution": licence.attribution_text(),
        "licence_url": licence.URL,
    }
    return render(request, "releases/release_list.html", context)


def still_public(changes):
    """The release's changes as its page shows them: events named only while they are
    still published under that slug (the files, fixed, keep what they held); the others
    counted in ``unnamed``."""
    named = [*changes.get("added", []), *(c["slug"] for c in changes.get("changed", []))]
    public = set(Event.objects.published().filter(slug__in=named).values_list("slug", flat=True))
    return {
        **changes,
        "added": [slug for slug in changes.get("added", []) if slug in public],
        "changed": [c for c in changes.get("changed", []) if c["slug"] in public],
        "added_count": len(changes.get("added", [])),
        "changed_count": len(changes.get("changed", [])),
        "unnamed": len(named) - sum(slug in public for slug in named),
    }


@public()
def release_detail(request, version):
    release = release_or_404(version)
    base_url = request.build_absolute_uri("/").rstrip("/")
    context = {
        "release": release,
        "changes": still_public(release.changes),
        "csv_files": [f for f in release.files if f["name"] != DATAPACKAGE],
        "package": release.file(DATAPACKAGE),
        "citation": release_citation_text(release.version, release.cut_at.date(), base_url),
        "attribution": licence.attribution_text(),
        "licence_url": licence.URL,
    }
    return render(request, "releases/release_detail.html", context)


@public(answers="text", cache=False)
def release_file(request, version, name):
    """One file of a release, byte for byte as it was cut."""
    release = release_or_404(version)
    listed = release.file(name)
    if listed is None:
        raise Http404(_("Release %(version)s has no file %(name)s.") % locals())
    etag = f'"{listed["sha256"]}"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = FileResponse(
            storage().open(path_of(version, name), "rb"),
            content_type=listed["mediatype"],
            as_attachment=name != DATAPACKAGE,
            filename=f"peace-tracker-{version}-{name}",
        )
        response["Content-Length"] = str(listed["bytes"])
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=YEAR, immutable=True)
    return response
