"""The benchmark's raw baselines (``benchmarks/sql/``) return exactly the CSV export's
header and rows, on whichever database the suite runs: a ratio to a baseline that
returns something else would be a figure about nothing."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from benchmarks.run import SQL, TABLE_NAMES, raw_csv, tracker_csv
from tests.factories import carry_out, cite, link, make_source
from tracker.columns import TABLES
from tracker.models import Event, Outcome, Participation, Party

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    """A small demo record, with what the demo leaves out: links, outcomes carried out
    and agreed, citations with every part, a participation naming only a party."""
    call_command("generate_demo", events=60, stdout=io.StringIO())
    first, second, third, draft = [
        *Event.objects.published().order_by("start_date", "pk")[:3],
        Event.objects.filter(status=Event.Status.DRAFT).first(),
    ]
    link(second, first)
    link(third, first, relation="responds_to")
    link(third, draft)  # a link to a draft is not exported
    outcome = Outcome.objects.filter(event=first).first() or Outcome.objects.create(
        event=first, kind="agreement", status="agreed", description="Exchange prisoners."
    )
    carry_out(outcome, second)
    carry_out(outcome, third, extent="partial")
    carry_out(outcome, draft)
    outcome.agreed_by.set(Party.objects.all()[:2])
    outcome.rejected_by.set(Party.objects.all()[2:3])
    cite(
        second,
        make_source(title="A | B \\ C", archive_url="https://archive.example.org/1"),
        supports="the date",
    )
    Participation.objects.create(event=first, party=Party.objects.first(), role="host")


def test_every_csv_table_has_its_raw_baseline_on_every_database():
    assert set(TABLE_NAMES) == set(TABLES)
    files = {p.name for p in SQL.glob("*.sql")}
    assert files == {f"{t}.{db}.sql" for t in TABLES for db in ("sqlite", "postgresql")}


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_the_raw_baseline_returns_the_csv_rows(demo, table):
    ours, raw = io.StringIO(), io.StringIO()
    rows = tracker_csv(table, ours)
    assert raw_csv(table, raw) == rows > 0
    assert raw.getvalue() == ours.getvalue(), connection.vendor
