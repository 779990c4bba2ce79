"""Serve plotly.js from the installed plotly package, so no page needs a CDN.

The finder exposes the package's own ``plotly.min.js`` as the static file
``tracker/vendor/plotly.min.js``; ``collectstatic`` then hashes and compresses it
like any other file, and whitenoise serves it with a far-future cache header.
"""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_JS = "tracker/vendor/plotly.min.js"


def plotly_js_path():
    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


class PlotlyJsFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=plotly_js_path().parent)
        self.storage.prefix = "tracker/vendor"

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path != PLOTLY_JS:
            return [] if find_all else None
        found = str(plotly_js_path())
        return [found] if find_all else found

    def list(self, ignore_patterns):
        yield "plotly.min.js", self.storage
