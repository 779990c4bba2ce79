from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker.seeds import SeedError, load_seeds


class Command(BaseCommand):
    help = (
        "Load the seed files into the record, in one transaction. Running it again changes "
        "nothing; records changed in the admin are kept unless --update is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", default=str(settings.TRACKER_SEEDS_DIR), help="The seed folder."
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="Overwrite records that editors changed in the admin with the seed files.",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Check the files and report what would change, writing nothing.",
        )

    def handle(self, *args, dir, update, check, verbosity, **options):
        progress = self.stdout.write if verbosity > 1 else None
        self.stdout.write(f"Loading seeds from {dir}{' (check only)' if check else ''}")
        try:
            report = load_seeds(directory=dir, update=update, dry_run=check, progress=progress)
        except SeedError as error:
            problems = "\n".join(f"  {p}" for p in error.problems)
            raise CommandError(
                f"The seed files have {len(error.problems)} problem(s); nothing was loaded:\n"
                f"{problems}"
            ) from error
        for line in report.lines():
            self.stdout.write(line)
        self.write_warnings(report.warnings)
        verb = "Would load" if check else "Loaded"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb}: {report.total('created')} created, {report.total('updated')} updated, "
                f"{report.total('unchanged')} unchanged, {report.total('skipped')} skipped."
            )
        )

    def write_warnings(self, warnings):
        """The consistency check's findings: they are worth a look, and load nonetheless."""
        if not warnings:
            self.stdout.write("Consistency check: no warnings.")
            return
        self.stdout.write(
            self.style.WARNING(
                f"Consistency check: {len(warnings)} warning(s); they do not stop the load:"
            )
        )
        for warning in warnings:
            self.stdout.write(f"  {warning}")
