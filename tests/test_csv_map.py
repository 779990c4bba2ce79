"""One field map both ways (issue 10): every model field is carried by a column or left
out with a reason, a column is all it takes to carry a field everywhere, and every
carried field survives the round trip."""

import datetime

import pytest
from django.apps import apps
from django.conf import settings
from django.db.models import CheckConstraint
from django.urls import reverse

from tests.csvfiles import empty_the_record, export_all, import_texts, rows
from tests.factories import (
    carry_out,
    cite,
    make_event,
    make_full_record,
    make_outcome,
    make_participation,
    make_party,
    make_person,
    make_source,
)
from tracker import columns
from tracker.columns import (
    LEFT_OUT,
    PARTICIPATIONS,
    TABLES,
    Column,
    codebook_markdown,
    data_package,
    left_out_markdown,
    mapped_fields,
    record_models,
    unmapped_fields,
)
from tracker.imports.rules import holds
from tracker.models import Event, EventLink, Implementation, Outcome, Participation, Party

pytestmark = pytest.mark.django_db


def test_every_field_of_every_model_is_carried_by_a_column_or_left_out_with_a_reason():
    assert unmapped_fields() == []
    assert all(reason.strip() for reason in LEFT_OUT.values())


def test_a_field_without_a_column_fails_the_walk(monkeypatch):
    events = TABLES["events"]
    monkeypatch.setattr(events, "columns", [c for c in events.columns if c.name != "venue"])
    monkeypatch.setitem(LEFT_OUT, "Event.colour", "A field that does not exist.")

    assert unmapped_fields() == [
        "Event.venue is carried by no column: add one to tracker/columns.py, or list it in "
        "LEFT_OUT with the reason",
        "LEFT_OUT names Event.colour, which is not a field",
    ]


def test_one_line_in_the_map_carries_a_field_everywhere(monkeypatch, client):
    """Party.wikidata_id is left out today; one column makes it travel."""
    monkeypatch.delitem(LEFT_OUT, "Party.wikidata_id")
    assert unmapped_fields() == [
        "Party.wikidata_id is carried by no column: add one to tracker/columns.py, or list "
        "it in LEFT_OUT with the reason"
    ]

    line = Column("party_wikidata", "The party's Wikidata id.", field="party.wikidata_id")
    monkeypatch.setattr(PARTICIPATIONS, "columns", [*PARTICIPATIONS.columns, line])

    assert unmapped_fields() == []
    record = make_full_record()
    Party.objects.filter(slug="ukraine").update(wikidata_id="Q212")
    texts = export_all(client)
    assert rows(texts["participations"])[0]["party_wikidata"] == "Q212"
    assert "| `party_wikidata` | The party's Wikidata id. | string | — |" in codebook_markdown()
    schema = next(r["schema"] for r in data_package()["resources"] if r["name"] == "participations")
    assert schema["fields"][-1] == {
        "name": "party_wikidata",
        "type": "string",
        "description": "The party's Wikidata id.",
    }
    assert "<code>party_wikidata</code>" in client.get(reverse("export")).content.decode()

    empty_the_record()
    import_texts(texts)
    assert Party.objects.get(slug="ukraine").wikidata_id == "Q212"
    assert export_all(client) == texts

    changed = texts["participations"].replace(",Q212\r\n", ",Q1\r\n")
    report = import_texts({"participations": changed}, confirm_renames=True)
    assert Party.objects.get(slug="ukraine").wikidata_id == "Q1"
    assert report.text().startswith("parties: 1 changed")
    assert "changed Ukraine [ukraine]: wikidata_id: 'Q212' → 'Q1'" in report.text()
    assert record["talks"].participations.filter(party__wikidata_id="Q1").exists()


def test_the_readme_lists_what_stays_in_the_tracker():
    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    assert left_out_markdown() in readme


def test_the_import_can_check_every_constraint_of_every_model():
    """Each check constraint's condition is evaluated in Python by the import; a lookup it
    cannot evaluate would fail here, not in an import."""
    checked = 0
    for model in record_models():
        for constraint in model._meta.constraints:
            if isinstance(constraint, CheckConstraint):
                holds(constraint.condition, model())
                checked += 1
    assert checked >= 6


# Every carried field, set to something other than its default, comes back --------------------


def every_field_set():
    """A small record in which every field a column carries differs from its default."""
    record = make_full_record()
    talks, _exchange, outcome = record["talks"], record["exchange"], record["outcome"]
    Event.objects.filter(pk=talks.pk).update(
        start_date=datetime.date(2025, 5, 1),
        end_date=datetime.date(2025, 5, 17),
        date_precision=Event.Precision.MONTH,
        period_position=Event.PeriodPosition.LATE,
        start_time=datetime.time(13, 35),
        duration=datetime.timedelta(hours=1, minutes=55),
        duration_note="just under two hours",
        venue="Dolmabahçe Palace",
        region="Marmara",
        source_notes="Sources disagree on the start.",
        unverified="The length\nThe venue",
    )
    coalition = make_party(
        name="Coalition", slug="coalition", kind=Party.Kind.COALITION, country=""
    )
    # A party's kind and country travel with the participations that name it as their party.
    make_participation(event=talks, party=Party.objects.get(slug="russia"), role="participant")
    person = make_person(name="Jean Observer", slug="jean-observer", party=coalition)
    make_participation(
        event=talks,
        person=person,
        party=coalition,
        side=coalition,
        role=Participation.Role.OBSERVER,
        title="Envoy",
        note="Reported once.",
    )
    outcome.note = "Disputed figure."
    outcome.save()
    outcome.rejected_by.set([coalition])
    later = make_event(
        process=record["process"], slug="later", start_date=datetime.date(2025, 6, 1)
    )
    carry_out(outcome, later, Implementation.Extent.PARTIAL)
    link = EventLink.objects.get()
    link.note = "As announced."
    link.save()
    source = make_source(
        accessed_on=datetime.date(2025, 5, 20), archive_url="https://archive.example/1"
    )
    cite(talks, source, supports="the date", position=2)
    make_outcome(event=later, kind=Outcome.Kind.STATEMENT, status=Outcome.Status.DISCUSSED)
    for event in Event.objects.all():  # positions as pages list them, from 1
        for related in (event.participations, event.outcomes, event.citations):
            for n, part in enumerate(related.all(), 1):
                type(part).objects.filter(pk=part.pk).update(position=n)
    return record


def natural(obj, field):
    """A field's value with records as their slugs (or names): comparable across databases
    whose ids differ."""
    if field.many_to_many:
        return tuple(sorted(str(getattr(o, "slug", o)) for o in getattr(obj, field.name).all()))
    value = getattr(obj, field.name)
    if field.is_relation:
        return str(getattr(value, "slug", value)) if value is not None else None
    return str(value)


def carried_values():
    """``{model: sorted rows of its carried fields}``, records named, not numbered."""
    by_model = {}
    for name in mapped_fields():
        model_name, field_name = name.split(".")
        by_model.setdefault(model_name, []).append(field_name)
    values = {}
    for model_name, names in by_model.items():
        model = apps.get_model("tracker", model_name)
        fields = [model._meta.get_field(n) for n in names if n != "id"]
        values[model_name] = sorted(
            tuple(natural(o, f) for f in fields) for o in model.objects.all()
        )
    return values


def test_every_carried_field_with_a_value_other_than_its_default_comes_back(client):
    every_field_set()
    for name in mapped_fields():
        model_name, field_name = name.split(".")
        model = apps.get_model("tracker", model_name)
        field = model._meta.get_field(field_name)
        default = None if field.many_to_many else field.get_default()
        found = [natural(o, field) for o in model.objects.all()]
        assert any(v not in (default, str(default), (), "None", "") for v in found), name
    before = carried_values()
    first = export_all(client)

    empty_the_record()
    import_texts(first)

    assert export_all(client) == first
    assert carried_values() == before
    assert set(first) == set(columns.TABLES)
