"""The event list's filter form: its long selects are written by ``LongSelect`` from plain
choices, and must read exactly as Django's own ``Select`` writes them."""

import re

import pytest
from django import forms
from django.utils import translation

from tests.factories import make_event, make_participation, make_person
from tracker.widgets import LongSelect, escaped

AWKWARD = [
    ("", "Anyone"),
    ("a-b", 'Tom & "Jerry" <b>'),
    ("o'neil", "O'Neil"),
    ("nul", "with \x00 inside"),
    ("plain", "Plain"),
]


@pytest.mark.parametrize("value", [None, "", "a-b", "nul", "missing"])
def test_a_long_select_reads_as_djangos_select(value):
    ours = LongSelect(choices=AWKWARD).render("person", value)
    django = forms.Select(choices=AWKWARD).render("person", value)
    assert ours == re.sub(r">\s+<", "><", django)


def test_escaping_in_one_pass_gives_what_one_call_per_string_gives():
    from html import escape

    strings = [label for _value, label in AWKWARD]
    assert escaped(strings) == [escape(s) for s in strings]
    assert escaped([s for s in strings if "\x00" not in s]) == [
        escape(s) for s in strings if "\x00" not in s
    ]
    assert escaped([]) == []


@pytest.mark.django_db
def test_the_people_select_marks_the_chosen_person(client):
    person = make_person(name="Ada <Lovelace>", slug="ada")
    make_participation(event=make_event(), person=person)
    page = client.get("/events/?person=ada").content.decode()
    assert '<option value="ada" selected>Ada &lt;Lovelace&gt;</option>' in page


@pytest.mark.django_db
def test_people_of_the_same_name_are_told_apart_by_their_slugs(client):
    for slug in ("ana-dubois", "ana-dubois-2"):
        person = make_person(name="Ana Dubois", slug=slug)
        make_participation(event=make_event(), person=person)
    make_participation(event=make_event(), person=make_person(name="Ada", slug="ada"))
    page = client.get("/events/?person=ana-dubois-2").content.decode()
    select = re.search(r'<select name="person"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'<option value="([^"]+)"( selected)?>([^<]*)</option>', select) == [
        ("ada", "", "Ada"),
        ("ana-dubois", "", "Ana Dubois (ana-dubois)"),
        ("ana-dubois-2", " selected", "Ana Dubois (ana-dubois-2)"),
    ]


@pytest.mark.django_db
def test_the_country_select_speaks_the_readers_language(client):
    make_event()
    names = {}
    for language in ("en", "uk", "en"):
        with translation.override(language):
            page = client.get("/events/?country=DE", HTTP_ACCEPT_LANGUAGE=language)
        body = page.content.decode()
        names.setdefault(language, set()).add(
            re.search(r'<option value="DE" selected>([^<]*)</option>', body).group(1)
        )
    assert names["en"] == {"Germany"}
    assert names["uk"] != names["en"]
    assert len(names["uk"]) == 1


@pytest.mark.parametrize("value", [None, "", "a-b", "nul", "missing"])
def test_a_select_drawn_from_kept_options_reads_as_one_drawn_from_its_choices(value):
    written = LongSelect.written(AWKWARD)
    kept = LongSelect(options=lambda: written).render("person", value)
    assert kept == LongSelect(choices=AWKWARD).render("person", value)


def test_a_multiple_select_drawn_from_kept_options_marks_every_chosen_value():
    choices = [*AWKWARD, ("a-b", "Again")]
    written = LongSelect.written(choices)
    ours = LongSelect(options=lambda: written)
    ours.allow_multiple_selected = True
    django = forms.SelectMultiple(choices=choices).render("people", ["a-b", "plain"])
    assert ours.render("people", ["a-b", "plain"]) == re.sub(r">\s+<", "><", django)


@pytest.mark.django_db
def test_a_list_page_not_yet_kept_reads_the_kept_options_and_no_list_of_names(
    client, django_assert_num_queries
):
    """After the first list page at a record version, another (other filters, another
    page) reads every select's options from the cache: the record version (once: the
    page, its filters and the kept options are keyed by the same), the timeline, the
    page's events and their outcomes; no people, parties, processes or conflicts."""
    make_participation(event=make_event(), person=make_person(name="Ada", slug="ada"))
    client.get("/events/")
    with django_assert_num_queries(5) as queries:
        response = client.get("/events/?kind=round_of_talks")
    assert response["X-Page-Cache"] == "miss"
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    for table in ("tracker_person", "tracker_party", "tracker_conflict"):
        assert f'FROM "{table}"' not in tables
    assert '<option value="ada">Ada</option>' in response.content.decode()
