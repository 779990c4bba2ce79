from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tracker.csv_import import ImportRefused, import_tables


class Command(BaseCommand):
    help = (
        "Import CSV files written by export_csv or /export/ (events, participations, "
        "outcomes; any of them, in any order). Events are matched by slug; an event's "
        "participations and outcomes are replaced by the file's rows. All or nothing: any "
        "bad row stops the import, which then writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="CSV files to import.")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Record this user as having made the changes (so that loadseeds keeps them).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check everything and report what would change, writing nothing.",
        )

    def handle(self, *args, files, dry_run, user, verbosity, **options):
        if user:
            try:
                user = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user called {user!r}.") from None
        sources = {}
        for name in files:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file")
            sources[name] = path
        progress = self.stderr.write if verbosity > 0 else None
        try:
            report = import_tables(
                files=sources, dry_run=dry_run, progress=progress, user=user or None
            )
        except ImportRefused as refused:
            listing = "\n".join(f"  {problem}" for problem in refused.problems)
            raise CommandError(
                f"Nothing was imported: {len(refused.problems)} problem(s).\n{listing}"
            ) from refused
        for line in report.lines():
            self.stdout.write(line)
        if verbosity > 1:
            for table, key, action, details in report.changes:
                self.stdout.write(f"  {table} {key}: {action} {details}".rstrip())
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))
