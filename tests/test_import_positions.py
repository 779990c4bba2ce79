"""A file's position column orders an event's rows, wherever the rows stand in the file:
a spreadsheet user may sort participations.csv by name and import it back."""

import pytest

from tests.csvfiles import export_all, import_texts, rows, write_rows
from tracker.imports import ImportRefused, listing
from tracker.models import Event

pytestmark = pytest.mark.django_db


def _reversed_within_events(text):
    """The same rows, each event's rows in the opposite order (positions kept)."""
    header, by_event = list(rows(text)[0]), {}
    for row in rows(text):
        by_event.setdefault(row["event"], []).append(row)
    return write_rows(header, [row for group in by_event.values() for row in reversed(group)])


@pytest.mark.parametrize("table", ["participations", "outcomes"])
def test_rows_sorted_otherwise_in_the_file_change_nothing(client, record, table):
    texts = export_all(client)
    texts[table] = _reversed_within_events(texts[table])
    report = import_texts(texts, dry_run=True)
    assert report.plan.is_empty, report.text()


def test_a_new_events_rows_are_stored_in_the_order_their_positions_give(client, record):
    texts = export_all(client)
    event = rows(texts["events"])[0]
    new = {**event, "id": "", "slug": "a-new-event", "url": "", "participants": "", "outcomes": ""}
    texts["events"] = write_rows(list(event), [*rows(texts["events"]), new])
    header = list(rows(texts["participations"])[0])
    people = [r for r in rows(texts["participations"]) if r["person"]][:3]
    added = [{**p, "event": "a-new-event", "position": str(3 - n)} for n, p in enumerate(people)]
    texts["participations"] = write_rows(header, [*rows(texts["participations"]), *added])
    import_texts(texts)
    stored = Event.objects.get(slug="a-new-event").participations.order_by("position")
    assert [p.person.slug for p in stored] == [p["person"] for p in reversed(people)]


def test_a_dropped_row_closes_its_gap_and_the_plan_names_the_rows_that_move(client, record):
    texts = export_all(client)
    table = rows(texts["participations"])
    first = table[0]
    event_rows = [r for r in table if r["event"] == first["event"]]
    assert len(event_rows) >= 2, "the first event needs two participations"
    kept = [r for r in table if r is not first]
    texts["participations"] = write_rows(list(first), kept)
    report = import_texts(texts, dry_run=True)
    counts = report.counts["participations"]
    assert counts["deleted"] == 1, report.text()
    assert counts["changed"] == len(event_rows) - 1, report.text()


def test_a_position_given_twice_is_refused_by_name(client, record):
    texts = export_all(client)
    table = rows(texts["participations"])
    first, second = table[0], table[1]
    assert first["event"] == second["event"], "the first event needs two participations"
    changed = [first, {**second, "position": first["position"]}, *table[2:]]
    texts["participations"] = write_rows(list(first), changed)
    with pytest.raises(ImportRefused) as refused:
        import_texts(texts, dry_run=True)
    problems = "\n".join(listing(refused.value.problems))
    assert f"positions of {first['event']!r} in participations.csv should run 1, 2, 3…" in problems
