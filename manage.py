#!/usr/bin/env python
"""Django's command-line utility for the tracker."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    # A checkout with no configuration is a development checkout, so manage.py runs in
    # debug mode there. Production sets DJANGO_SECRET_KEY; the server (wsgi.py) never
    # assumes debug and refuses to start without it.
    if "DJANGO_SECRET_KEY" not in os.environ:
        os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
