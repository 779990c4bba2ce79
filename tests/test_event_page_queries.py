"""An event's page reads a fixed number of queries, however many participants, outcomes,
agreements carried out, sources, links and neighbours it shows."""

import datetime
import re

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
    make_user,
)
from tracker.models import Event, Outcome

pytestmark = pytest.mark.django_db

#: Uncached: the page cache's shared number and the event's cache key (2), the event
#: with its process, conflict and latest release (1), its participants, outcomes, their
#: sources and its citations (4), who agreed to and rejected its outcomes (1), its links
#: out and in (1), the agreements it carried out and the events that carried out its
#: own (1), its neighbours (2), and its corrections (2).
UNCACHED = 14


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


def section_text(body, title_id):
    """The visible words of the page's section headed by ``title_id``, one space apart."""
    start = body.index(f'id="{title_id}"')
    section = body[start : body.index("</section>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", section.split(">", 1)[1]).split())


def connected_event():
    """An event whose outcome was agreed, rejected and carried out, that carried out
    agreements and is linked both ways; every part written out of order, and one of each
    kind of connection to a draft."""
    day = datetime.date(2024, 6, 1)
    process = make_process()
    event = make_event(process=process, title="Talks", start_date=day)
    outcome = make_outcome(event=event, description="Swap prisoners.")
    outcome.agreed_by.add(make_party(name="Zeta"), make_party(name="Alpha"))
    outcome.rejected_by.add(make_party(name="Mid"))
    for title, days, status in (
        ("Second swap", 20, Event.Status.PUBLISHED),
        ("First swap", 10, Event.Status.PUBLISHED),
        ("Draft swap", 15, Event.Status.DRAFT),
    ):
        carry_out(
            outcome,
            make_event(title=title, start_date=day + datetime.timedelta(days=days), status=status),
        )
    for title, status in (
        ("Ceasefire", Event.Status.PUBLISHED),
        ("Draft truce", Event.Status.DRAFT),
    ):
        earlier = make_event(
            title=f"{title} talks", start_date=day - datetime.timedelta(days=30), status=status
        )
        carry_out(make_outcome(event=earlier, description=f"{title}."), event)
    for title, days, status in (
        ("Later round", 9, Event.Status.PUBLISHED),
        ("Next round", 3, Event.Status.PUBLISHED),
        ("Draft round", 5, Event.Status.DRAFT),
    ):
        link(
            event,
            make_event(title=title, start_date=day + datetime.timedelta(days=days), status=status),
        )
    for title, status in (
        ("Opening", Event.Status.PUBLISHED),
        ("Draft opening", Event.Status.DRAFT),
    ):
        link(
            make_event(title=title, start_date=day - datetime.timedelta(days=60), status=status),
            event,
        )
    return event


def test_an_event_page_shows_what_connects_it_in_order_and_no_draft(client):
    event = connected_event()

    body = client.get(event.get_absolute_url()).content.decode()

    assert section_text(body, "outcomes-title") == (
        "Outcomes agreed agreement Swap prisoners. Agreed by: Alpha , Zeta Rejected by: Mid"
        " Carried out: First swap (11 June 2024); Carried out: Second swap (21 June 2024)"
        " This event carried out Ceasefire. — agreed at Ceasefire talks (2 May 2024)"
    )
    assert section_text(body, "links-title") == (
        "Related events Follows: Next round (4 June 2024) Follows: Later round (10 June 2024)"
        " Followed by: Opening (2 April 2024)"
    )


def test_staff_previewing_an_event_see_its_connections_to_drafts(client):
    event = connected_event()
    client.force_login(make_user(groups=["Editor"]))

    body = client.get(event.get_absolute_url()).content.decode()

    outcomes, links = section_text(body, "outcomes-title"), section_text(body, "links-title")
    assert "Carried out: Draft swap (16 June 2024); Carried out: Second swap" in outcomes
    assert "Draft truce. — agreed at Draft truce talks (2 May 2024)" in outcomes
    assert "Follows: Draft round (6 June 2024) Follows: Later round" in links
    assert "Followed by: Draft opening (2 April 2024)" in links
