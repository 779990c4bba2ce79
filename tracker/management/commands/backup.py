from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from tracker.backup import BackupError, write_backup


class Command(BaseCommand):
    help = (
        "Write the whole record to one new dated file, readable only by its owner (mode "
        "0600): every table of the tracker with its history, users with their password "
        "hashes, groups and their permissions. Restore it with manage.py restore."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=".",
            metavar="DIR|FILE",
            help="A directory for a dated file (default: the current one), or the file's path.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to back up.")

    def handle(self, *args, output, database, verbosity, **options):
        try:
            summary = write_backup(output=output, using=database)
        except BackupError as error:
            raise CommandError(
                _("No backup was written:") + "\n" + "\n".join(f"  {p}" for p in error.problems)
            ) from error
        if verbosity > 1:
            for line in summary.lines():
                self.stdout.write(line)
        if verbosity < 1:
            return
        size = summary.path.stat().st_size
        self.stdout.write(
            self.style.SUCCESS(
                _("Wrote %(path)s: %(rows)d rows in %(tables)d tables, %(size)s kB.")
                % {
                    "path": summary.path,
                    "rows": summary.total,
                    "tables": len(summary.counts),
                    "size": f"{size / 1024:.0f}",
                }
            )
        )
