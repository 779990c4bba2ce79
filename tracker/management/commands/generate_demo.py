from django.core.management.base import BaseCommand, CommandError

from tracker.demo import DemoRefused, generate_demo


class Command(BaseCommand):
    help = (
        "Write a synthetic demo record of --events events (with processes, parties, people, "
        "sources and every event's parts, at the seeds' shape) into an empty database, to "
        "try the tracker at scale."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=10_000, help="How many events.")
        parser.add_argument("--seed", type=int, default=2025, help="Seed of the random record.")
        parser.add_argument(
            "--force",
            metavar="DATABASE_NAME",
            help="Add the demo to a database that holds other events: type its name back.",
        )

    def handle(self, *args, events, seed, force, **options):
        if events < 1:
            raise CommandError("--events must be at least 1.")
        try:
            generate_demo(events=events, seed=seed, force=force, out=self.stdout.write)
        except DemoRefused as error:
            raise CommandError(str(error)) from error
