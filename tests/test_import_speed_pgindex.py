"""The stored search text holds each word once within its part (PostgreSQL's trigram
index pays for every character it indexes), and search finds exactly the events it found
in the whole text. Runs on SQLite and PostgreSQL (``DATABASE_URL`` picks one)."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from tests.factories import make_event, make_participation, make_person
from tracker.models import Event
from tracker.text import search_key, search_text

pytestmark = pytest.mark.django_db

words_once = importlib.import_module("tracker.migrations.0020_event_search_text_words_once")

SUMMARY = "Talks on talks, the talks of the Talks; the ceasefire talks (talks) Talks."


def whole_text(parts):
    """The search text as it was stored before: every part's search key, whole."""
    return "\n".join(search_key(part) for part in parts if part)


def test_each_word_is_kept_once_within_its_part_and_parts_keep_their_lines():
    parts = ["Istanbul talks", SUMMARY, "", "Istanbul", "Talks Talks"]
    assert search_text(parts) == (
        "istanbul talks\ntalks on talks, the of talks; ceasefire (talks) talks.\nistanbul\ntalks"
    )


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

    from django.db import connection

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    words_once.words_once(apps, editor)
    assert Event.objects.get(pk=event.pk).search_text == derived
    assert Event.objects.all().refresh_derived() == 0
