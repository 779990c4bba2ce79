"""Deployment checks of the tracker's own settings, run by ``manage.py check --deploy``."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.staticfiles, deploy=True)
def static_root_is_set(app_configs, **kwargs):
    if settings.STATIC_ROOT:
        return []
    return [
        checks.Warning(
            "DJANGO_STATIC_ROOT is not set: collectstatic has nowhere to write the static "
            "files, and pages cannot find them.",
            hint="Set DJANGO_STATIC_ROOT to a folder outside the installed package, "
            "e.g. /srv/tracker/static, then run collectstatic.",
            id="tracker.W001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def base_url_is_https(app_configs, **kwargs):
    if settings.TRACKER_BASE_URL.startswith("https://"):
        return []
    return [
        checks.Warning(
            f"TRACKER_BASE_URL ({settings.TRACKER_BASE_URL}) is not an https:// address: "
            "exported files would link readers to plain http.",
            hint="Set TRACKER_BASE_URL to the public address, e.g. https://tracker.example.org.",
            id="tracker.W002",
        )
    ]


@checks.register(checks.Tags.caches, deploy=True)
def page_cache_is_shared(app_configs, **kwargs):
    if not settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        return []
    return [
        checks.Warning(
            "Neither REDIS_URL nor TRACKER_CACHE_DIR is set: each gunicorn worker keeps its "
            "own page cache, renders every page itself after each write, and other app "
            "servers share none of it.",
            hint="Set REDIS_URL (e.g. redis://127.0.0.1:6379/0); on a single server, "
            "TRACKER_CACHE_DIR also works.",
            id="tracker.W003",
        )
    ]


@checks.register(checks.Tags.files, deploy=True)
def releases_have_a_folder(app_configs, **kwargs):
    storage = settings.STORAGES.get("releases", {})
    if not storage.get("BACKEND", "").endswith("ReleaseStorage"):
        return []  # another Django storage: configured by its own options
    if storage.get("OPTIONS", {}).get("location"):
        return []
    return [
        checks.Warning(
            "TRACKER_RELEASES_DIR is not set: releases cannot be cut, and release files "
            "have nowhere to be served from.",
            hint="Set TRACKER_RELEASES_DIR to a folder every app server shares, e.g. "
            "/srv/tracker/releases (README, Releases).",
            id="tracker.W004",
        )
    ]
