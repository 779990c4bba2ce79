"""The data licence, said once: the record's data is CC BY 4.0 (the code stays MIT).

The export page, the API (its OpenAPI description and a ``Link: rel="license"`` header on
every answer), ``datapackage.json`` and every release read it from here.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

NAME = "CC-BY-4.0"
TITLE = "Creative Commons Attribution 4.0 International"
SHORT = "CC BY 4.0"
URL = "https://creativecommons.org/licenses/by/4.0/"
CODE_LICENCE = "MIT"
TRACKER_TITLE = "Peace negotiation tracker"


def attribution(base_url=None):
    """The line to credit the data with, in English (as it goes into files)."""
    return f"{TRACKER_TITLE} ({base_url or settings.TRACKER_BASE_URL}), {SHORT}"


def attribution_text():
    """How a reader is asked to credit the data on the site's pages, after the sentence
    that names the licence (translated around the fixed line)."""
    return _("Credit it as “%(line)s”.") % {"line": attribution()}


def frictionless():
    """The licence as a Data Package's ``licenses`` list holds it."""
    return [{"name": NAME, "title": TITLE, "path": URL}]


def link_header():
    return f'<{URL}>; rel="license"'
