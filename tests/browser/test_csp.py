"""The Content-Security-Policy holds in a real Chromium: the listener that counts
violations is first shown to catch a page calling ``eval()``, then the admin's pages, walked
from its registry, record none (the public pages are walked by the accessibility test)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.browser import csp
from tests.browser.test_admin_layout import log_in
from tests.factories import make_full_record, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


EVAL_SCRIPT = (
    "try { window.evaluated = eval('6 * 7'); } catch (error) { window.evaluated = error.name; }"
)


def test_the_listener_catches_a_page_that_calls_eval(new_context):
    """A script of the site's own origin (so the policy lets it load) that calls eval():
    the policy stops the eval, and the listener records it. (Playwright's own
    ``page.evaluate`` runs outside the policy, so the page itself must make the call.)"""
    page = new_context().new_page()
    csp.listen(page)
    page.route(
        "**/static/tracker/calls-eval.js",
        lambda route: route.fulfill(body=EVAL_SCRIPT, content_type="text/javascript"),
    )
    page.goto("/")
    assert csp.violations(page) == []
    page.add_script_tag(url="/static/tracker/calls-eval.js")
    assert page.evaluate("() => window.evaluated") == "EvalError"
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert csp.violations(page) == ["script-src blocked eval at /"]


def admin_pages():
    """The index, and each registered model's list, add form and one change form."""
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        pages.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    return pages


def test_every_admin_page_keeps_the_policy(page):
    make_full_record()
    make_user("root", is_superuser=True, is_staff=True)
    csp.listen(page)
    log_in(page, "root")
    found, statuses = [], {}
    for url in admin_pages():
        response = page.goto(url)
        statuses[url] = response.status
        assert "script-src 'self';" in response.headers["content-security-policy"] + ";", url
        found += csp.violations(page)
    assert found == []
    # Every page opened; an add form the admin does not offer (history, imports) is a 403.
    assert set(statuses.values()) <= {200, 403}, statuses
    assert list(statuses.values()).count(200) > 2 * len(admin.site._registry)
