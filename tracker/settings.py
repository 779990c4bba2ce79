"""Settings for the tracker, read from the environment.

Development (``DJANGO_DEBUG=1``) works with no configuration at all. With debug off the
tracker refuses to start until every variable in ``REQUIRED_IN_PRODUCTION`` is set, and
it serves only over HTTPS: directly, or behind a TLS-terminating proxy listed in
``TRACKER_TRUSTED_PROXIES``. README.md ("Configuration", "Running in production") lists
every variable.
"""

import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import csp.constants as csp
import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from tracker import licence
from tracker.proxies import meta_key, parse_networks

# The installed package, and the folder above it: the checkout, in development.
PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_str(name, default=""):
    return os.environ.get(name, "").strip() or default


def env_bool(name, default=False):
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in TRUE_WORDS | FALSE_WORDS:
        raise ImproperlyConfigured(f"{name}={value!r}: use 1 or 0 (true/false, yes/no, on/off).")
    return value in TRUE_WORDS


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number.") from None


def env_list(name, default=()):
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or list(default)


def package_folder(name):
    """A data folder shipped with the tracker: inside the installed package (the wheel
    maps the repository's top-level folders there), or beside it in a checkout."""
    for folder in (PACKAGE_DIR / name, BASE_DIR / name):
        if folder.is_dir():
            return folder
    raise ImproperlyConfigured(
        f"No {name}/ folder in {PACKAGE_DIR} or beside it: the installation is incomplete."
    )


DEBUG = env_bool("DJANGO_DEBUG")

# Development has a default for each of these; production has none, so that a forgotten
# variable stops the start instead of serving the wrong database or writing wrong links.
REQUIRED_IN_PRODUCTION = [
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "TRACKER_BASE_URL",
]
if not DEBUG:
    missing = [name for name in REQUIRED_IN_PRODUCTION if not env_list(name)]
    if missing:
        raise ImproperlyConfigured(
            f"With debug off the tracker needs {', '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not set. See README.md, "
            '"Configuration" (DJANGO_DEBUG=1 is for local development only).'
        )

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "django-insecure-local-development-only")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_filters",
    "django_countries",
    "simple_history",
    "csp",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "tracker",
]

MIDDLEWARE = [
    "tracker.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "tracker.middleware.AllowedMethodsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [package_folder("templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def sqlite_options():
    """How every SQLite connection opens, so that concurrent editors wait instead of failing.

    - WAL: readers never wait for a writer (a long import does not stop public pages);
    - ``synchronous=NORMAL``: safe with WAL, one sync per checkpoint instead of per commit;
    - ``transaction_mode=IMMEDIATE``: a transaction takes the write lock when it begins, so
      two saves queue up instead of one failing with "database is locked" when both try to
      upgrade a read lock to a write lock;
    - ``timeout``: how long, in seconds, a writer waits for the lock before giving up;
    - ``temp_store=FILE``: a sort larger than SQLite's cache (a whole-record CSV export
      ordered by date) spills to temporary files, which the operating system caches,
      instead of growing the worker by the size of the table.
    """
    return {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=FILE;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 5,
    }


DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}


def postgresql_options(options):
    """How every PostgreSQL connection opens: ``options`` (the connection's own, from
    DATABASE_URL) with ``cursor_tuple_fraction = 1``.

    The tracker's server-side cursors (``QuerySet.iterator()``: the CSV exports, backups,
    the change log and the calendar feed) are always read to their last row, but
    PostgreSQL plans a cursor for its first tenth by default: nested loops that answer the
    first rows at once and the whole export slowly. Planned for every row, the 100,000-event
    ``participations`` part of ``events.csv`` took 0.8 s of the server's time instead of
    1.7-1.9 s (README: Performance). A connection option adds no statement to any request.
    """
    given = options.get("options", "")
    return {**options, "options": f"{given} -c cursor_tuple_fraction=1".strip()}


if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(sqlite_options())
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"] = postgresql_options(DATABASES["default"].get("OPTIONS", {}))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("uk", _("Ukrainian")), ("ru", _("Russian"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["tracker.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes and whitenoise serves from; never inside the installed package.
STATIC_ROOT = env_str("DJANGO_STATIC_ROOT") or (BASE_DIR / "staticfiles" if DEBUG else None)
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "tracker.staticfiles.PlotlyJsFinder",
]
# Releases (README, "Releases"): a folder every app server shares (a network mount, say).
TRACKER_RELEASES_DIR = env_str("TRACKER_RELEASES_DIR") or (
    str(BASE_DIR / "releases") if DEBUG else ""
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Release files (tracker.releases): written once, shared by every app server.
    "releases": {
        "BACKEND": "tracker.release_storage.ReleaseStorage",
        "OPTIONS": {"location": TRACKER_RELEASES_DIR or None},
    },
}
# Pages name static files only through {% static %}, i.e. by their hashed names: keeping
# and compressing the unhashed copies too would double collectstatic's work (plotly.js).
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

LOGIN_URL = "admin:login"

# Logins: django-axes counts failed admin logins in the database, so the count holds across
# workers and app servers. A (username, client address) pair is locked after 5 failures, an
# address after 20 failures whatever the usernames (tracker.lockout); a username on its own
# never is, so nobody can lock an editor out from elsewhere. Locks last 15 minutes;
# `manage.py axes_reset_ip ADDRESS` (or axes_reset) lifts one sooner (README, "Logins").
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "tracker.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = 5
TRACKER_ADDRESS_FAILURE_LIMIT = 20
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
# The client's address as tracker.proxies reads it: from X-Forwarded-For only when the
# request comes from a trusted proxy, so a forged header changes nothing.
AXES_CLIENT_IP_CALLABLE = "tracker.proxies.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "tracker.lockout.counted_username"
AXES_VERBOSE = False

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy, on every page, the admin included (django-csp). Scripts come
# only from our own static files: no inline script and no eval (the charts are SVG). Plotly
# and the admin set inline styles, hence 'unsafe-inline' for styles only; nothing is loaded
# from another origin, and no other site may frame a page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:", "blob:"],
        "font-src": [csp.SELF],
        "worker-src": [csp.SELF, "blob:"],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}

# HTTPS only, with debug off: plain-http requests are redirected, browsers are told to
# come back over HTTPS only (HSTS), and cookies are never sent over plain http.
SECURE_SSL_REDIRECT = not DEBUG
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG

# Behind a TLS-terminating proxy: the addresses (or networks) of the proxies whose
# forwarded headers count, and the header that carries the original protocol. Requests
# from any other address lose their forwarded headers (tracker.proxies), so the header
# below can only say "https" when a trusted proxy says it.
try:
    TRACKER_TRUSTED_PROXIES = [str(n) for n in parse_networks(env_list("TRACKER_TRUSTED_PROXIES"))]
except ValueError as error:
    raise ImproperlyConfigured(f"TRACKER_TRUSTED_PROXIES: {error}") from None
TRACKER_PROXY_PROTO_HEADER = env_str("TRACKER_PROXY_PROTO_HEADER", "X-Forwarded-Proto")
SECURE_PROXY_SSL_HEADER = (meta_key(TRACKER_PROXY_PROTO_HEADER), "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# Languages: the switcher in the header is a plain link-like GET (``tracker.views.
# choose_language``) that sets this cookie, so public pages carry no CSRF token and no
# session and can be cached for everyone.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"


def page_caches():
    """Where the page cache lives (``tracker.page_cache``; README, "Caching").

    Redis when ``REDIS_URL`` is set (production, and every app server shares it); else a
    folder every worker of this server shares (``TRACKER_CACHE_DIR``, by default
    ``cache/`` in the checkout under ``make run``); else, in production with neither,
    each worker's own memory (the deploy check warns). Keys carry the record version, so
    none of them can serve a page older than the record.
    """
    redis_url = env_str("REDIS_URL")
    if redis_url:
        if not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ImproperlyConfigured(
                f"REDIS_URL={redis_url!r}: expected e.g. redis://127.0.0.1:6379/0"
            )
        return {
            "BACKEND": "tracker.caches.RedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    folder = env_str("TRACKER_CACHE_DIR") or (str(BASE_DIR / "cache") if DEBUG else "")
    if folder:
        return {
            "BACKEND": "tracker.caches.SharedFileCache",
            "LOCATION": folder,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


CACHES = {"default": page_caches()}

# The tracker's own settings.
TRACKER_PAGE_SIZE = 50
TRACKER_SEEDS_DIR = package_folder("seeds")
# Timelines draw one marker per event up to this many events, and counts per lane and
# period above it.
TRACKER_TIMELINE_MARKER_LIMIT = 1500
# The public address, for links in files written outside a request (export_csv).
TRACKER_BASE_URL = env_str("TRACKER_BASE_URL", "http://127.0.0.1:8000")
if not TRACKER_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"TRACKER_BASE_URL={TRACKER_BASE_URL!r}: expected the site's address, "
        "e.g. https://tracker.example.org"
    )

# Pages: how long a rendered page is kept (it is keyed by the record version, so it is
# never served after a write), how long one render may hold a page's lock, and how long
# other requests for that page wait for it before rendering it themselves.
TRACKER_PAGE_CACHE_SECONDS = 24 * 3600
TRACKER_PAGE_LOCK_SECONDS = 10
TRACKER_PAGE_WAIT_SECONDS = 3

# Long exports: a CSV download expected to exceed this many rows takes one of
# TRACKER_LONG_EXPORTS slots shared by every worker of this server (lock files in
# TRACKER_EXPORT_SLOTS_DIR); when all are taken the next one is told to retry later.
TRACKER_LONG_EXPORT_ROWS = 10_000
TRACKER_LONG_EXPORTS = env_int("TRACKER_LONG_EXPORTS", 2)
if TRACKER_LONG_EXPORTS < 1:
    raise ImproperlyConfigured(
        f"TRACKER_LONG_EXPORTS={TRACKER_LONG_EXPORTS}: at least one long export must be allowed."
    )
TRACKER_EXPORT_SLOTS_DIR = env_str(
    "TRACKER_EXPORT_SLOTS_DIR",
    os.path.join(tempfile.gettempdir(), f"tracker-export-slots-{os.getuid()}"),
)
TRACKER_EXPORT_RETRY_SECONDS = 30

# Admin CSV imports of more than this many rows (all files together) are previewed and
# imported in a background thread, with their progress on a page any server can answer
# (tracker/imports/jobs.py), rather than within a request that the worker timeout cuts.
TRACKER_IMPORT_INLINE_ROWS = env_int("TRACKER_IMPORT_INLINE_ROWS", 5_000)

# The JSON API under /api/ (tracker/api; README, "API"): Django REST framework answering
# JSON only, to anyone (no logins, so no sessions or CSRF), described by drf-spectacular.
# Each client address may make TRACKER_API_RATE requests ("120/minute": a number per
# second, minute, hour or day); past it, 429 with Retry-After. The counts live in the
# cache (shared by every server when REDIS_URL is set).
TRACKER_API_PAGE_SIZE = 100
TRACKER_API_RATE = env_str("TRACKER_API_RATE", "120/minute")
if not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day)", TRACKER_API_RATE):
    raise ImproperlyConfigured(
        f"TRACKER_API_RATE={TRACKER_API_RATE!r}: expected requests per period, "
        "e.g. 120/minute (second, minute, hour or day)"
    )
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": ["tracker.api.limits.AddressRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Peace negotiation tracker API",
    "DESCRIPTION": (
        "Read-only JSON twin of the tracker's pages and CSV files: published events in the "
        "CSV's order, with the site's filters, and the conflicts, processes, parties and "
        "people they involve. The data is licensed CC BY 4.0 (credit it as "
        f"“{licence.TRACKER_TITLE}”, with the site's address); the code is MIT."
    ),
    "VERSION": "1",
    # The data's licence (tracker.licence); the tracker's code is MIT.
    "LICENSE": {"name": licence.SHORT, "url": licence.URL},
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    # Conflicts and processes share their statuses: one name for the one set.
    "ENUM_NAME_OVERRIDES": {"ActivityStatusEnum": "tracker.models.Process.Status"},
}
