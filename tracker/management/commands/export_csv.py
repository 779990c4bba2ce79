from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from django.utils import timezone

from tracker.columns import TABLES, codebook_markdown
from tracker.csv_export import csv_lines, file_name
from tracker.filters import error_text, filter_events


class Command(BaseCommand):
    help = (
        "Write the CSV files (events, participations, outcomes, links) of the published record, "
        "or of the events matching a filter query string, exactly as /export/ serves them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=".", help="Folder to write the files into.")
        parser.add_argument(
            "--filter",
            default="",
            metavar="QUERY",
            help="The event list's query string, e.g. 'process=istanbul-direct-talks-2025'.",
        )
        parser.add_argument(
            "--table",
            action="append",
            choices=list(TABLES),
            help="Only this table (repeatable); all four by default.",
        )
        parser.add_argument("--bom", action="store_true", help="Start with a byte-order mark.")
        parser.add_argument(
            "--base-url",
            default=settings.TRACKER_BASE_URL,
            help="Site address used in the events' url column.",
        )
        parser.add_argument(
            "--codebook",
            action="store_true",
            help="Print the codebook (Markdown tables of every column) and write no file.",
        )
        parser.add_argument(
            "--dated",
            action="store_true",
            help="Name files with today's date, as downloads are (events-YYYY-MM-DD.csv).",
        )

    def handle(self, *args, dir, filter, table, bom, base_url, dated, codebook, **options):
        if codebook:
            self.stdout.write(codebook_markdown())
            return
        filterset, events = filter_events(QueryDict(filter))
        if not filterset.is_valid():
            raise CommandError(f"Invalid --filter:\n{error_text(filterset)}")
        folder = Path(dir)
        folder.mkdir(parents=True, exist_ok=True)
        for name in table or list(TABLES):
            spec = TABLES[name]
            path = folder / (file_name(spec, timezone.localdate()) if dated else f"{name}.csv")
            written = {}
            with path.open("w", encoding="utf-8", newline="") as handle:
                for piece in csv_lines(
                    spec,
                    events,
                    base_url=base_url.rstrip("/"),
                    bom=bom,
                    counter=written,
                ):
                    handle.write(piece)
            self.stdout.write(f"{path}: {written['rows']} rows")
