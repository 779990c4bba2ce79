"""The admin in a real browser: the participations inline fits beside the sidebar, slugs
keep word breaks at dashes, and dates at both ends of the range draw on the timeline."""

import datetime

import pytest
from playwright.sync_api import expect

from tests.factories import make_event, make_participation, make_party, make_person, make_user
from tracker.models import Event, Participation
from tracker.slugs import slug_from

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(f"Welcome, {username}")).to_be_visible()


def test_the_participations_inline_fits_1280_pixels_with_the_sidebar_open(page):
    make_user("olena", groups=["Editor"])
    event = make_event(title="Round of talks with five delegations")
    for n in range(5):
        party = make_party(name=f"Democratic Republic of Somewhere {n}")
        make_participation(
            event=event,
            person=make_person(name=f"Somebody With A Long Name {n}", party=party),
            party=party,
            side=party,
            role=Participation.Role.HEAD_OF_DELEGATION,
            title="Minister of Foreign Affairs of Somewhere",
            note="attendance reported by one source only",
            position=n + 1,
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "olena")

    page.goto(f"/admin/tracker/event/{event.pk}/change/")

    expect(page.locator("#nav-sidebar")).to_be_visible()
    expect(page.locator("#participations-group tbody tr.has_original")).to_have_count(5)
    sizes = page.evaluate(
        """() => {
          const group = document.querySelector('#participations-group');
          const boxes = [...group.querySelectorAll('tr.has_original .select2-container')];
          return {
            page: document.documentElement.scrollWidth,
            window: window.innerWidth,
            group: group.scrollWidth,
            groupShown: group.clientWidth,
            narrowestBox: Math.min(...boxes.map((b) => b.getBoundingClientRect().width)),
            boxes: boxes.length,
          };
        }"""
    )
    assert sizes["page"] <= sizes["window"] == 1280, sizes
    assert sizes["group"] <= sizes["groupShown"], sizes
    assert sizes["boxes"] == 15  # person, party and side on each of the five rows
    assert sizes["narrowestBox"] >= 90, sizes


def test_the_prepopulated_slug_keeps_word_breaks_at_dashes(page):
    make_user("olena", groups=["Editor"])
    log_in(page, "olena")
    title = "Colombia–FARC talks — second round"

    page.goto("/admin/tracker/event/add/")
    page.locator("#id_title").fill(title)
    page.locator("#id_title").press("Tab")

    expect(page.locator("#id_slug")).to_have_value(slug_from(title))
    assert slug_from(title) == "colombia-farc-talks-second-round"


def test_the_first_and_last_years_draw_on_the_timeline(page):
    for year, month in ((1000, 1), (2999, 12)):
        for precision in (Event.Precision.MONTH, Event.Precision.YEAR):
            make_event(
                title=f"Talks {year} {precision}",
                # A year-precision date is 1 January (the precision rule).
                start_date=datetime.date(year, month if precision == "month" else 1, 1),
                date_precision=precision,
            )

    page.goto("/")

    expect(page.locator("#timeline.is-drawn")).to_be_visible()
    drawn = page.evaluate(
        """() => document.getElementById('timeline')._fullData
              .filter((t) => t.mode === 'markers')
              .reduce((n, t) => n + t.x.length, 0)"""
    )
    assert drawn == 4
