from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from tracker.backup import BackupError
from tracker.restore import restore_backup


class Command(BaseCommand):
    help = (
        "Load a file written by manage.py backup into a freshly migrated, empty database "
        "(SQLite or PostgreSQL, whichever made the backup). All or nothing, in one "
        "transaction; refuses a database that already holds a record, and a backup made at "
        "another migration state."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="The database to restore into."
        )

    def handle(self, *args, file, database, verbosity, **options):
        try:
            report = restore_backup(path=file, using=database)
        except BackupError as error:
            raise CommandError(
                _("Nothing was restored:") + "\n" + "\n".join(f"  {p}" for p in error.problems)
            ) from error
        if verbosity > 0:
            for line in report.lines():
                self.stdout.write(line)
            if report.files:
                self.stdout.write(
                    _("Release files: %(count)d, each matching its checksum.")
                    % {"count": report.files}
                )
        self.stdout.write(
            self.style.SUCCESS(
                _("Restored %(rows)d rows in %(tables)d tables from %(path)s.")
                % {"rows": report.total, "tables": len(report.results), "path": file}
            )
        )
