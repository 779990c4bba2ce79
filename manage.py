#!/usr/bin/env python
"""Django's command-line utility for the tracker.

It runs with the configuration it is given: ``DJANGO_DEBUG=1`` for local development
(the ``make`` targets set it), the production variables otherwise (README.md,
"Configuration"). It never guesses which.
"""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
