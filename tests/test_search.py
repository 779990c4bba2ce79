"""Search that means the same on SQLite and PostgreSQL: every word of ``q``, case-folded and
without accents, is a substring of the event's stored search text; results keep the
chronological order; a renamed person or party is found by the new name on every write
path. The same cases run on both databases (``DATABASE_URL`` picks one)."""

import datetime
import re

import pytest
from django.urls import reverse

from tests.csvfiles import edit, export_all, import_texts
from tests.factories import make_event, make_participation, make_party, make_person
from tracker.models import Event, Person
from tracker.text import search_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_conflict(load_record):
    return load_record("second_conflict")


def found(client, q):
    """The slugs the event list shows for ``q``, in its order (read from the page, which
    may come from the page cache)."""
    response = client.get(reverse("event-list"), {"q": q})
    assert response.status_code == 200, q
    body = response.content.decode()
    listing = (
        body.split('<ol class="event-list"', 1)[1].split("</ol>", 1)[0]
        if ('<ol class="event-list"' in body)
        else ""
    )
    return re.findall(r'<h2 class="event-title"><a href="/events/([^/]+)/">', listing)


def test_the_normaliser_folds_case_accents_and_the_turkish_i():
    assert search_key("Bogotá") == search_key("BOGOTA") == "bogota"
    assert search_key("Iván Márquez") == "ivan marquez"
    assert search_key("Λευκωσία") == search_key("ΛΕΥΚΩΣΙΑ") == "λευκωσια"
    assert search_key("Мінськ") == search_key("МІНСЬК") == "мінськ"
    assert search_key("Akıncı") == search_key("AKINCI") == search_key("Akinci") == "akinci"
    assert search_key("İhlas") == search_key("ihlas") == "ihlas"


@pytest.mark.parametrize(
    ("as_written", "also"),
    [
        ("Bogotá", ["Bogota", "BOGOTÁ", "bogota", "BOGOTA"]),
        ("Márquez", ["Marquez", "MARQUEZ", "márquez"]),
        ("Λευκωσία", ["λευκωσία", "ΛΕΥΚΩΣΙΑ", "Λευκωσια"]),
        ("Akıncı", ["Akinci", "AKINCI", "akıncı", "AKıNCı"]),
        ("Özdil", ["özdil", "OZDIL", "Ozdil"]),
    ],
)
def test_latin_greek_and_turkish_with_or_without_accents_in_any_case(
    second_conflict, client, as_written, also
):
    expected = found(client, as_written)
    assert expected, as_written
    for q in also:
        assert found(client, q) == expected, q


def test_bogota_and_marquez_find_what_their_accented_forms_find(second_conflict, client):
    assert len(found(client, "Bogota")) >= 2
    assert len(found(client, "Marquez")) >= 2


def test_cyrillic_in_any_case_and_turkish_dotted_capital_i(client):
    minsk = make_event(slug="minsk", title="Мінськ-2: Комплекс заходів", city="Minsk")
    make_participation(event=minsk, person=make_person(name="Леонід Кучма", slug="kuchma"))
    istanbul = make_event(slug="istanbul", title="İstanbul görüşmesi", summary="Dolmabahçe")

    for q in ("мінськ", "МІНСЬК", "Мінськ", "КУЧМА", "кучма"):
        assert found(client, q) == ["minsk"], q
    for q in ("istanbul", "İSTANBUL", "ISTANBUL", "görüşmesi", "gorusmesi", "dolmabahce"):
        assert found(client, q) == ["istanbul"], q
    assert istanbul.pk


def test_partial_words_and_every_word_must_match(second_conflict, client):
    assert found(client, "Bogo") == found(client, "Bogotá")
    assert found(client, "arque") == found(client, "Márquez")
    both = found(client, "Márquez Havana")
    assert both
    assert set(both) <= set(found(client, "Márquez")) & set(found(client, "Havana"))
    assert found(client, "Márquez nonexistentword") == []


def test_results_keep_the_chronological_order(second_conflict, client):
    slugs = found(client, "a")
    assert len(slugs) > 5
    assert slugs == list(
        Event.objects.published()
        .filter(slug__in=slugs)
        .chronological()
        .values_list("slug", flat=True)
    )


def test_ten_words_at_most_and_a_400_beyond(client):
    make_event(title="one two three four five six seven eight nine ten")
    ten = "one two three four five six seven eight nine ten"
    assert client.get(reverse("event-list"), {"q": ten}).status_code == 200
    response = client.get(reverse("event-list"), {"q": ten + " eleven"})
    assert response.status_code == 400
    assert "Search for at most 10 words." in response.content.decode()


def test_title_summary_place_and_participants_title_are_searched(client):
    event = make_event(
        title="Talks", summary="Quiet progress.", venue="Palais", city="Genève", region="Léman"
    )
    make_participation(
        event=event,
        person=make_person(name="Jean Arnault", slug="arnault"),
        party=make_party(name="United Nations", slug="un"),
        title="Special Envoy",
    )
    for q in ("talks", "quiet", "palais", "geneve", "leman", "arnault", "nations", "envoy"):
        assert found(client, q) == [event.slug], q


# A renamed person or party is found by the new name, on every write path -----------------


@pytest.fixture
def umerov(client):
    event = make_event(slug="istanbul-talks", start_date=datetime.date(2025, 5, 16))
    person = make_person(name="Rustem Umerov", slug="rustem-umerov")
    make_participation(event=event, person=person, party=make_party(name="Ukraine"))
    assert found(client, "Umerov") == ["istanbul-talks"]
    return person


def test_a_person_renamed_in_the_admin_is_found_by_the_new_name(
    client, superuser, admin_form_data, umerov
):
    client.force_login(superuser)
    url = reverse("admin:tracker_person_change", args=[umerov.pk])
    data = admin_form_data(client.get(url))
    assert client.post(url, data | {"name": "Rustam Ömerov"}).status_code == 302
    client.logout()

    assert found(client, "Omerov") == ["istanbul-talks"]
    assert found(client, "RUSTAM ömerov") == ["istanbul-talks"]
    assert found(client, "Umerov") == []


def test_a_party_renamed_in_the_admin_is_found_by_the_new_name(
    client, superuser, admin_form_data, umerov
):
    client.force_login(superuser)
    party = umerov.participations.get().party
    url = reverse("admin:tracker_party_change", args=[party.pk])
    data = admin_form_data(client.get(url))
    assert client.post(url, data | {"name": "Україна"}).status_code == 302
    client.logout()

    assert found(client, "УКРАЇНА") == ["istanbul-talks"]
    assert found(client, "Ukraine") == []


def test_a_person_renamed_by_a_save_is_found_in_the_same_transaction(client, umerov):
    from django.db import transaction

    with transaction.atomic():
        umerov.name = "Rustem Omerov"
        umerov.mark_changed(by=None, reason="Renamed")
        umerov.save()
        assert Event.objects.filter(search_text__contains="omerov").count() == 1
    assert found(client, "Omerov") == ["istanbul-talks"]
    assert found(client, "Umerov") == []


def test_a_participant_added_in_an_import_is_found(client, umerov):
    texts = export_all(client)
    rename = edit(
        texts["participations"],
        lambda row: row.update(title="Minister of Defence"),
    )
    import_texts({"participations": rename})
    assert found(client, "Minister Defence") == ["istanbul-talks"]
    person = Person.objects.get(slug="rustem-umerov")
    assert person.name == "Rustem Umerov"


def test_an_event_edited_in_an_import_is_found_by_its_new_title(client, umerov):
    texts = export_all(client)
    import_texts(
        {"events": edit(texts["events"], lambda row: row.update(title="Переговори у Стамбулі"))}
    )
    assert found(client, "переговори") == ["istanbul-talks"]
    assert found(client, "СТАМБУЛІ") == ["istanbul-talks"]
