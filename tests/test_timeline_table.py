"""The timeline's table, written row by row by the ``timeline_rows`` tag: every cell as the
template would write it (escaped, the outcome's description cut at 100 characters)."""

import re

import pytest
from django.urls import reverse

from tests.factories import make_event, make_outcome, make_process
from tests.timeline_records import D
from tracker.models import Outcome

pytestmark = pytest.mark.django_db


def rows(response):
    body = response.content.decode()
    table = re.search(r'<details class="chart-table".*?<tbody>(.*?)</tbody>', body, re.S)
    return table.group(1).strip().split("\n")


def test_an_event_row_escapes_every_cell_and_cuts_the_outcome(client):
    process = make_process(slug="p-and-q", title="P & Q <talks>")
    event = make_event(
        process=process, slug="first", title='"Quoted" <b>title</b>', start_date=D(2024, 3, 5)
    )
    make_outcome(event=event, status=Outcome.Status.AGREED, description="x" * 120 + "<i>")
    make_event(process=process, slug="second", title="Plain", start_date=D(2024, 3, 9))

    found = rows(client.get(reverse("home")))

    assert found == [
        '<tr><td>5 March 2024</td><td><a href="/events/first/">&quot;Quoted&quot; '
        "&lt;b&gt;title&lt;/b&gt;</a></td><td>P &amp; Q &lt;talks&gt;</td><td>agreed: "
        + "x" * 99
        + "…</td></tr>",
        '<tr><td>9 March 2024</td><td><a href="/events/second/">Plain</a></td>'
        "<td>P &amp; Q &lt;talks&gt;</td><td>—</td></tr>",
    ]


def test_a_count_row_escapes_its_lane_and_link(client, settings):
    settings.TRACKER_TIMELINE_MARKER_LIMIT = 1
    process = make_process(slug="p-and-q", title="P & Q <talks>")
    for day in (5, 6):
        make_event(process=process, start_date=D(2024, 3, day))

    found = rows(client.get(reverse("event-list"), {"kind": "round_of_talks"}))

    conflict = process.conflict.name
    assert found == [
        f"<tr><td>{conflict}</td><td>P &amp; Q &lt;talks&gt;</td><td>week of 4 March 2024</td>"
        '<td><a href="/events/?kind=round_of_talks&amp;process=p-and-q&amp;'
        'date_after=2024-03-04&amp;date_before=2024-03-10">2 events in week of 4 March 2024'
        "</a></td></tr>"
    ]


def test_chart_data_is_written_as_json_script_writes_it():
    import datetime

    from django.utils.html import json_script

    from tracker.templatetags.tracker import chart_json

    value = {"text": "</script><b>&amp; «ü»", "day": datetime.date(2024, 3, 5), "n": [1.5, None]}
    assert chart_json(value, "chart-data") == json_script(value, "chart-data")
