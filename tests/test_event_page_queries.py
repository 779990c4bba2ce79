"""An event's page reads a fixed number of queries, however many participants, outcomes,
agreements carried out, sources, links and neighbours it shows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    carry_out,
    cite,
    link,
    make_event,
    make_outcome,
    make_participation,
    make_party,
    make_person,
    make_process,
    make_release,
    make_source,
)
from tracker.models import Outcome

pytestmark = pytest.mark.django_db

#: Uncached: the page cache's shared number and the event's cache key (5), the event
#: with its process, conflict and latest release (1), its participants, outcomes, who
#: agreed and rejected them, their sources and the events that carried them out (6), its
#: citations, the agreements it carried out and its links out and in (4), its neighbours
#: (2), and its corrections (4).
UNCACHED = 22


def grown_event(n):
    """An event with ``n`` of each part, between ``n`` earlier and later events."""
    process = make_process()
    day = datetime.date(2024, 6, 1)
    for i in range(n):
        make_event(process=process, start_date=day - datetime.timedelta(days=i + 1))
        make_event(process=process, start_date=day + datetime.timedelta(days=i + 1))
    event = make_event(process=process, start_date=day)
    for i in range(n):
        party = make_party()
        make_participation(event=event, party=party, person=make_person(party=party))
        outcome = make_outcome(event=event, status=Outcome.Status.AGREED)
        outcome.agreed_by.add(party)
        outcome.rejected_by.add(make_party())
        outcome.sources.add(make_source())
        carry_out(outcome, make_event(start_date=day + datetime.timedelta(days=30 + i)))
        earlier = make_outcome(event=make_event(start_date=day - datetime.timedelta(days=90)))
        carry_out(earlier, event)
        cite(event)
        link(event, make_event(start_date=day + datetime.timedelta(days=60 + i)))
        link(make_event(start_date=day - datetime.timedelta(days=60 + i)), event)
    make_release()
    return event


@pytest.mark.parametrize("n", [1, 6])
def test_an_event_page_runs_the_same_queries_however_much_it_shows(client, n):
    page = grown_event(n).get_absolute_url()

    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)

    assert (response.status_code, response["X-Page-Cache"]) == (200, "miss")
    assert len(queries) == UNCACHED, "\n".join(q["sql"][:120] for q in queries)
    assert response.content.decode().count('class="carried-out"') == n
