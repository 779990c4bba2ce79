"""CSV import in named steps: read the files, look up what they refer to, plan every
change, then write the plan as it stands.

``import_tables`` is the one entry point (the ``import_csv`` command, the admin's import
page and the benchmark call it); the seed loader shares every step but reading.
"""

from dataclasses import dataclass, field

from django.db import transaction

from ..models import ImportBatch, RecordVersion
from .parts import check_derived, plan_citations, plan_links, plan_outcomes, plan_participations
from .pauses import collector_paused
from .planning import Context, Options, collect_references, load_events, plan_events, plan_records
from .problems import SHOWN, ImportRefused, Problem, listing, one_language
from .read import read_files
from .write import write_plan

__all__ = [
    "SHOWN",
    "ImportRefused",
    "ImportReport",
    "Options",
    "Problem",
    "build_plan",
    "import_tables",
    "listing",
]


def build_plan(tables, *, options, records=None, problems=()):
    """The plan for rows already read (``{table: rows}``), or :class:`ImportRefused`
    listing every problem, those met while reading (``problems``) included."""
    context = Context(tables, options)
    context.problems += problems
    with one_language(), collector_paused():
        plan_records(context, records or {})
        collect_references(context)
        context.refs.resolve()
        context.sources.resolve()
        load_events(context)
        plan_events(context)
        plan_citations(context)
        plan_participations(context)
        plan_outcomes(context)
        plan_links(context)
        if context.problems:
            raise ImportRefused(context.problems)
        check_derived(context)  # notes only, on rows that are all fine
    return context.plan


@dataclass
class ImportReport:
    """What an import did, or would do: the plan, and the batch that records it."""

    plan: object
    files: list = field(default_factory=list)
    dry_run: bool = False
    batch: ImportBatch | None = None

    def lines(self):
        return list(self.plan.lines())

    @property
    def counts(self):
        return self.plan.counts()

    @property
    def notes(self):
        return self.plan.notes

    def text(self):
        return self.plan.text()


def import_tables(
    *, files, dry_run=False, user=None, confirm_renames=False, confirm_new=False, progress=None
):
    """Import CSV files given as ``{name: path, file object, bytes or text}``.

    Returns an :class:`ImportReport`. Raises :class:`ImportRefused` listing every problem
    (file, line, column, reason) when anything is wrong, and then nothing is written.
    ``confirm_renames`` lets names next to existing slugs rename those records;
    ``confirm_new`` lets new records be named like existing ones. Unless ``dry_run``, the
    import is recorded as an :class:`ImportBatch` that can be reverted.
    """
    with collector_paused():
        tables, problems = read_files(files, progress=progress)
        options = Options(confirm_renames=confirm_renames, confirm_new=confirm_new)
        with transaction.atomic():
            if not dry_run:
                RecordVersion.queue_write()
            plan = build_plan(tables, options=options, problems=problems)
            report = ImportReport(plan, files=list(files), dry_run=dry_run)
            if dry_run or plan.is_empty:
                return report
            batch = ImportBatch.objects.create(user=user, files=report.files)
            batch.undo = write_plan(plan, by=user, reason=batch.reason)
            batch.counts, batch.plan = plan.counts(), plan.text()
            batch.save(update_fields=["undo", "counts", "plan"])
            report.batch = batch
    return report
