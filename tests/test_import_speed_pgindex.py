"""The stored search text holds each word once within its part (PostgreSQL's trigram
index pays for every character it indexes), and search finds exactly the events it found
in the whole text. Runs on SQLite and PostgreSQL (``DATABASE_URL`` picks one)."""

import importlib

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.urls import reverse

from tests.csvfiles import edit, empty_the_record, export_all, import_texts
from tests.factories import make_event, make_participation, make_person
from tests.test_import_speed_pgload import other_connection
from tracker.models import Event, bulk_pg
from tracker.text import search_key

pytestmark = pytest.mark.django_db

words_once = importlib.import_module("tracker.migrations.0020_event_search_text_words_once")

SUMMARY = "Talks on talks, the talks of the Talks; the ceasefire talks (talks) Talks."


def whole_text(parts):
    """The search text as it was stored before: every part normalised, repeats and all."""
    return "\n".join(" ".join(map(search_key, part.split())) for part in parts if part)


def test_the_search_key_keeps_each_word_once_at_its_first_place():
    assert search_key(SUMMARY) == "talks on talks, the of talks; ceasefire (talks) talks."
    assert search_key("Ivan IVAN Iván ivan-ivan") == "ivan ivan-ivan"
    assert search_key("ΛΕΥΚΩΣΙΑ Λευκωσία λευκωσια") == "λευκωσια"


def test_an_event_stores_its_words_once_on_every_save(client):
    event = make_event(title="Talks", summary=SUMMARY, city="Istanbul")
    make_participation(event=event, person=make_person(name="Talks Talks"))
    stored = Event.objects.get(pk=event.pk).search_text
    assert (
        stored == "talks\ntalks on talks, the of talks; ceasefire (talks) talks.\nistanbul\ntalks"
    )


def _substrings(text):
    """Every word-free-of-space substring of ``text``: what a search word can be."""
    found = set()
    for word in text.split():
        for start in range(len(word)):
            for end in range(start + 1, len(word) + 1):
                found.add(word[start:end])
    return found


def test_search_finds_exactly_the_events_the_whole_text_would_give(client):
    summaries = [SUMMARY, "the the of of talks", "Ceasefire, ceasefire; talks-talks", "of"]
    events = [make_event(summary=summary, city="") for summary in summaries]
    whole = {e.slug: whole_text([e.title, e.summary, e.venue, e.city, e.region]) for e in events}
    lean = dict(
        Event.objects.filter(pk__in=[e.pk for e in events]).values_list("slug", "search_text")
    )
    assert sum(map(len, lean.values())) < sum(map(len, whole.values()))
    for word in sorted(set().union(*map(_substrings, whole.values()))):
        expected = {slug for slug, text in whole.items() if word in text}
        matched = Event.objects.filter(pk__in=[e.pk for e in events], search_text__contains=word)
        assert set(matched.values_list("slug", flat=True)) == expected, word
    page = client.get(reverse("event-list"), {"q": "TALKS Ceasefire"})
    shown = {e.slug for e in events if f"/events/{e.slug}/" in page.content.decode()}
    assert shown == {events[0].slug, events[2].slug}


def test_the_migration_rewrites_stored_texts_as_saves_now_write_them():
    event = make_event(title="Talks", summary=SUMMARY, city="Istanbul")
    make_participation(event=event, person=make_person(name="Talks Talks"))
    derived = Event.objects.get(pk=event.pk).search_text
    old = whole_text(["Talks", SUMMARY, "", "Istanbul", "", "Talks Talks"])
    Event.objects.filter(pk=event.pk).update(search_text=old)
    assert old != derived

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    words_once.words_once(apps, editor)
    assert Event.objects.get(pk=event.pk).search_text == derived
    assert Event.objects.all().refresh_derived() == 0


# The trigram index built after a large first import (tracker.models.bulk_pg): PostgreSQL
# only, with DATABASE_URL=postgres://…

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the trigram index is PostgreSQL's: run with DATABASE_URL=postgres://…",
)
TRIGRAM_INDEX = "tracker_event_search_trgm"


def trigram_index():
    """``(oid, valid, definition)`` of the trigram index: a new oid means built again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.oid, i.indisvalid, pg_get_indexdef(c.oid) FROM pg_class c "
            "JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = %s",
            [TRIGRAM_INDEX],
        )
        return cursor.fetchone()


def events_with_names(n):
    for i in range(n):
        event = make_event(title=f"Talks {i}", summary="Zqxjv talks and talks")
        make_participation(event=event, person=make_person(name=f"Ivanna Kowalczyk {i}"))


@postgresql_only
def test_a_large_import_into_an_empty_table_builds_the_trigram_index_after_it(client, monkeypatch):
    monkeypatch.setattr(bulk_pg, "LARGE_IMPORT", 3)
    events_with_names(3)
    texts = export_all(client)
    empty_the_record()
    oid, valid, definition = trigram_index()

    import_texts(texts)

    assert trigram_index()[1:] == (True, definition)
    assert trigram_index()[0] != oid
    page = client.get(reverse("event-list"), {"q": "ZQXJV kowalczyk"}).content.decode()
    assert page.count('<h2 class="event-title">') == 3


@postgresql_only
def test_the_index_stays_for_a_small_import_or_a_table_with_rows(client, monkeypatch):
    events_with_names(3)
    texts = export_all(client)
    empty_the_record()
    oid = trigram_index()[0]
    monkeypatch.setattr(bulk_pg, "LARGE_IMPORT", 3)
    import_texts({"events": edit(texts["events"], lambda row: row["title"] != "Talks 0")})
    assert (Event.objects.count(), trigram_index()[0]) == (2, oid)  # a small import
    monkeypatch.setattr(bulk_pg, "LARGE_IMPORT", 1)
    import_texts(texts)
    assert (Event.objects.count(), trigram_index()[0]) == (3, oid)  # the table had rows


@postgresql_only
def test_a_reader_holding_the_empty_table_gets_the_usual_import(client, monkeypatch):
    monkeypatch.setattr(bulk_pg, "LARGE_IMPORT", 3)
    events_with_names(3)
    texts = export_all(client)
    empty_the_record()
    oid = trigram_index()[0]
    with other_connection() as reader:
        reader.execute("SELECT count(*) FROM tracker_event").fetchone()  # holds the table
        import_texts(texts)
    assert trigram_index()[0] == oid
    assert Event.objects.count() == 3


@postgresql_only
def test_the_lock_wait_is_set_back_inside_the_transaction():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '5s'")
        Event.objects.all().delete()
        with bulk_pg.built_after_load({Event: bulk_pg.LARGE_IMPORT}):
            cursor.execute("SELECT current_setting('lock_timeout')")
            assert cursor.fetchone() == ("5s",)
        cursor.execute("SELECT current_setting('lock_timeout')")
        assert cursor.fetchone() == ("5s",)
        assert trigram_index()[1] is True
