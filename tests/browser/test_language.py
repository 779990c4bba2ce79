"""The language switch in the header, in a real browser: a plain form, so it works with
JavaScript off, and it leaves the reader on the page they were reading."""

import pytest
from playwright.sync_api import expect

from tests.factories import make_event
from tracker.models import Event

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_switching_language_without_javascript_keeps_the_page_and_its_filters(new_context):
    make_event(title="Summit at the lake", kind=Event.Kind.SUMMIT)
    context = new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.goto("/events/?kind=summit")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert context.cookies() == []

    page.get_by_label("Language").select_option("uk")
    page.get_by_role("button", name="Change").click()

    expect(page.locator("html")).to_have_attribute("lang", "uk")
    assert page.url.endswith("/events/?kind=summit")
    expect(page.locator(".event-list")).to_contain_text("Summit at the lake")
    assert [c["name"] for c in context.cookies()] == ["django_language"]

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
