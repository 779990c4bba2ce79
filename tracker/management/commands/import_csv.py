from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tracker.imports import ImportRefused, import_tables, listing


class Command(BaseCommand):
    help = (
        "Import CSV files written by export_csv or /export/, or filled in from the templates "
        "(events, participations, outcomes, links; any of them, in any order). Rows are "
        "matched to the record and updated in place; the plan of every change is printed "
        "by name. All or nothing: any problem stops the import, which then writes nothing. "
        "Each import is recorded as a batch that a publisher can revert in the admin."
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
            help="Check everything and print the full plan of what would change, writing nothing.",
        )
        parser.add_argument(
            "--confirm-renames",
            action="store_true",
            help="Let names next to existing slugs rename those records (each is listed).",
        )
        parser.add_argument(
            "--confirm-new",
            action="store_true",
            help="Let new records be named like existing ones (likely duplicates otherwise).",
        )

    def handle(
        self, *args, files, dry_run, user, confirm_renames, confirm_new, verbosity, **options
    ):
        user = self._user(user)
        sources = {}
        for name in files:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file")
            sources[path.name] = path
        progress = self.stderr.write if verbosity > 1 else None
        try:
            report = import_tables(
                files=sources,
                dry_run=dry_run,
                progress=progress,
                user=user,
                confirm_renames=confirm_renames,
                confirm_new=confirm_new,
            )
        except ImportRefused as refused:
            lines = "\n".join(f"  {line}" for line in listing(refused.problems))
            hints = {
                "renames": "--confirm-renames accepts the renames listed",
                "new": "--confirm-new accepts the likely duplicates listed",
            }
            hint = "; ".join(hints[c] for c in sorted(refused.confirmable))
            raise CommandError(
                f"Nothing was imported: {len(refused.problems)} problem(s).\n{lines}"
                + (f"\n({hint}.)" if hint else "")
            ) from refused
        self.stdout.write(report.text() if dry_run or verbosity > 1 else "\n".join(report.lines()))
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        elif report.batch is None:
            self.stdout.write(self.style.SUCCESS("The files match the record: nothing to import."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported as {report.batch}."))

    @staticmethod
    def _user(name):
        if not name:
            return None
        try:
            return get_user_model().objects.get_by_natural_key(name)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user called {name!r}.") from None
