"""What readers and editors do, in a real browser against the live server."""

import re
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect

from tests.browser.charts import point_on_chart
from tests.factories import make_event, make_full_record, make_user
from tracker.models import Event

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_reader_opens_an_event_from_the_timeline(page):
    record = make_full_record()

    page.goto("/")
    x, y = point_on_chart(page, record["talks"].get_absolute_url())
    page.mouse.move(x, y)
    expect(page.locator(".hoverlayer")).to_contain_text("Istanbul talks")
    page.mouse.click(x, y)

    expect(page).to_have_url(re.compile(r"/events/istanbul-talks/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Istanbul talks")
    expect(page.get_by_text("Rustem Umerov")).to_be_visible()
    page.get_by_role("link", name="1,000-for-1,000 exchange").first.click()
    expect(page.get_by_text("This event carried out")).to_be_visible()


def test_reader_filters_and_gets_the_matching_csv_link(page):
    make_full_record()
    make_event(title="Leaders' phone call", kind=Event.Kind.PHONE_CALL)

    page.goto("/events/")
    expect(page.get_by_text("3 events match.")).to_be_visible()
    page.get_by_label("Kind of event").select_option("phone_call")
    page.get_by_role("button", name="Apply filters").click()

    expect(page.get_by_text("1 event matches.")).to_be_visible()
    expect(page.locator("#timeline.is-drawn")).to_be_visible()
    csv_link = page.get_by_role("link", name="Download CSV").get_attribute("href")
    # The same filters; the page's links carry them in canonical form (no empty fields).
    assert csv_link.startswith("/export/events.csv?")
    assert parse_qs(csv_link.split("?", 1)[1]) == parse_qs(page.url.split("?", 1)[1])
    assert "kind=phone_call" in csv_link
    expect(page.locator(".event-list")).to_contain_text("Leaders' phone call")
    expect(page.locator(".event-list")).not_to_contain_text("Istanbul talks")


def test_an_invalid_filter_shows_the_error_not_the_record(page):
    make_full_record()

    response = page.goto("/events/?date_after=2025-13-45")

    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("Some filters could not be understood")
    expect(page.locator(".field-errors")).to_contain_text("Enter a valid date.")
    expect(page.locator(".event-list")).to_have_count(0)


def test_hover_text_shows_editor_markup_as_text(page):
    event = make_event(title="<script>alert(1)</script> & <b>bold</b>")

    page.goto("/")
    x, y = point_on_chart(page, event.get_absolute_url())
    page.mouse.move(x, y)

    hover = page.locator(".hoverlayer")
    expect(hover).to_contain_text("<script>alert(1)</script> & <b>bold</b>")
    assert page.evaluate("() => window.alerted === undefined")


def test_without_javascript_the_table_stands_in_for_the_chart(new_context):
    make_full_record()
    context = new_context(java_script_enabled=False)
    page = context.new_page()

    page.goto("/")

    expect(page.get_by_text("The interactive timeline needs JavaScript.")).to_be_visible()
    page.get_by_text("The timeline's 2 events as a table").click()
    table = page.locator(".chart-table table")
    expect(table).to_contain_text("Istanbul talks")
    expect(table).to_contain_text("1,000-for-1,000 exchange")
    context.close()


def test_the_home_page_fits_a_phone(new_context):
    make_full_record()
    context = new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()

    page.goto("/")

    expect(page.locator("#timeline.is-drawn")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


def log_in(page, username):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(f"Welcome, {username}")).to_be_visible()


def test_editor_edits_and_publisher_publishes(page, new_context):
    make_user("olena", groups=["Editor"])
    make_user("petro", groups=["Publisher"])
    draft = make_event(title="Draft round", status=Event.Status.DRAFT)

    log_in(page, "olena")
    page.goto(f"/admin/tracker/event/{draft.pk}/change/")
    expect(page.locator("#id_status")).not_to_contain_text("published")
    page.locator("#id_title").fill("Geneva round, second day")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    public = new_context().new_page()
    assert public.goto(draft.get_absolute_url()).status == 404

    page.context.clear_cookies()
    log_in(page, "petro")
    page.goto("/admin/tracker/event/")
    page.locator(f"input[name=_selected_action][value='{draft.pk}']").check()
    page.locator("select[name=action]").select_option("publish")
    page.get_by_title("Run the selected action").click()
    expect(page.locator(".messagelist")).to_contain_text("Published 1 event.")

    assert public.goto(draft.get_absolute_url()).status == 200
    expect(public.get_by_role("heading", level=1)).to_have_text("Geneva round, second day")
    public.context.close()
