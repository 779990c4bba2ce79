"""WSGI entry point, served by gunicorn (``gunicorn tracker.wsgi``).

With debug off the settings refuse to load until the production variables are set, so
a half-configured server stops here, naming what is missing, instead of serving.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

application = get_wsgi_application()
