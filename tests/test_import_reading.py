"""The dry run's reading of stored rows gives what Django's own ways give: ``Among`` finds
the rows ``__in`` finds, in one query however many values; ``instances`` builds the
rows ``from_db`` builds, records included."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_event, make_participation, make_party, make_person, make_source
from tracker.imports.among import Among
from tracker.imports.stored import instances
from tracker.models import Event, Participation, Party, Person

pytestmark = pytest.mark.django_db

SLUGS = ["plain", "o'neill", 'say-"no"', "a,b", "{braces}", "sö-ünicode", "back\\slash"]


def _fields(obj):
    return {name: value for name, value in obj.__dict__.items() if name != "_state"}


def test_among_finds_the_rows_in_finds_whatever_the_slugs_hold():
    for slug in SLUGS:
        make_event(slug=slug)
    make_event(slug="left-out")
    wanted = [*SLUGS, "not-stored"]

    among = Event.objects.filter(Among("slug", wanted)).values_list("slug", flat=True)
    usual = Event.objects.filter(slug__in=wanted).values_list("slug", flat=True)

    assert sorted(among) == sorted(usual) == sorted(SLUGS)


def test_among_finds_rows_by_a_foreign_key_in_one_query_past_sqlites_parameter_limit():
    """40,000 ids would be more placeholders than SQLite takes in one statement (32,766);
    as one parameter they go in one query."""
    rows = [make_participation() for _ in range(3)]
    ids = [rows[0].event_id, rows[2].event_id, *range(10**6, 10**6 + 40_000)]

    with CaptureQueriesContext(connection) as queries:
        found = set(
            Participation.objects.filter(Among("event_id", ids)).values_list("pk", flat=True)
        )

    assert found == {rows[0].pk, rows[2].pk}
    assert len(queries) == 1


def test_among_nothing_finds_nothing():
    make_event()
    assert list(Event.objects.filter(Among("slug", []))) == []
    assert list(Event.objects.filter(Among("pk", set()))) == []


@pytest.mark.parametrize(
    "make", [make_event, make_person, make_party, make_source, make_participation]
)
def test_a_stored_row_is_the_row_from_db_builds(make):
    """Records included (events, people, parties, sources): their ``from_db``
    remembers the slug as read (to tell a rename), and so does ``instances``."""
    made = [make() for _ in range(2)]
    model = type(made[0])
    queryset = model.objects.filter(pk__in=[obj.pk for obj in made]).order_by("pk")

    usual, ours = list(queryset), list(instances(queryset))

    assert [_fields(obj) for obj in ours] == [_fields(obj) for obj in usual]
    assert [(o._state.adding, o._state.db) for o in ours] == [(False, "default")] * 2
    if model in (Event, Person, Party):
        assert [obj._loaded_slug for obj in ours] == [obj.slug for obj in made]
