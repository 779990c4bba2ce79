"""No lost edits through any page: every pair of admin pages that touch the same event
refuses a stale save.

The pages are collected from the admin registry, not listed by hand: each registered
ModelAdmin's change page (its own form), each of its inlines, and its history revert
page, for every object of a record in which every inline has a row. A page “touches” an
event when it changes the event, one of its parts, or a row that points at it; which
events a page touches is worked out here from the rows' foreign keys, independently of
the code under test.
"""

from dataclasses import dataclass, field

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import make_full_record
from tracker.models import Event

pytestmark = pytest.mark.django_db

REFUSED = "Your changes were not saved, so theirs are not lost"


@dataclass
class Page:
    """One way of saving through the admin: where, with what data, touching which events."""

    name: str
    url: str
    data: dict = field(repr=False)
    touches: set


def events_of(obj):
    """The events a row belongs to: itself for an event; otherwise the events its foreign
    keys point at, directly or through a row that belongs to an event (an outcome)."""
    if isinstance(obj, Event):
        return {obj.pk}
    found = set()
    for fk in (f for f in obj._meta.concrete_fields if f.many_to_one):
        target = getattr(obj, fk.name)
        if isinstance(target, Event):
            found.add(target.pk)
        elif target is not None:
            found |= {
                getattr(target, hop.name).pk
                for hop in target._meta.concrete_fields
                if hop.many_to_one and hop.related_model is Event
            }
    return found


def changed_row(data, form):
    """``data`` with one value of the inline row ``form`` changed, whatever the row is:
    a text gets words added, else a choice becomes another one, else a number grows."""
    skip = {"DELETE", "id", "seen_event_versions", form.fields.get("id") and "id"}
    candidates = [
        (name, f)
        for name, f in form.fields.items()
        if name not in skip
        and not f.widget.is_hidden
        and not isinstance(f, forms.ModelChoiceField | forms.ModelMultipleChoiceField)
    ]
    ordered = sorted(
        candidates,
        key=lambda item: [
            isinstance(item[1], forms.CharField),
            isinstance(item[1], forms.ChoiceField),
            isinstance(item[1], forms.IntegerField),
        ],
        reverse=True,
    )
    name, formfield = ordered[0]
    key = form[name].html_name
    if isinstance(formfield, forms.CharField):
        return data | {key: f"{data.get(key, '')} (edited)"}
    if isinstance(formfield, forms.ChoiceField):
        other = next(v for v, _label in formfield.choices if v and str(v) != data.get(key))
        return data | {key: str(other)}
    return data | {key: str(int(data.get(key) or 0) + 1)}


def writing_pages(client, admin_form_data, user):
    """Every page of the admin that writes, for every object of the record, with the
    events it touches."""
    request = RequestFactory().get("/")
    request.user = user
    pages = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "tracker":
            continue
        name = model._meta.model_name
        for obj in model_admin.get_queryset(request).order_by("pk"):
            url = reverse(f"admin:tracker_{name}_change", args=[quote(obj.pk)])
            response = client.get(url)
            if response.status_code != 200 or "adminform" not in response.context:
                continue
            data = admin_form_data(response)
            pages.append(Page(f"{name} {obj.pk}: change page", url, data, events_of(obj)))
            for inline in response.context["inline_admin_formsets"]:
                rows = inline.formset.initial_forms
                if rows:
                    row = rows[0]
                    touches = events_of(obj) | events_of(row.instance)
                    title = f"{name} {obj.pk}: inline {inline.formset.prefix}"
                    pages.append(Page(title, url, changed_row(data, row), touches))
            oldest = obj.history.order_by("history_date", "history_id").first()
            if oldest is not None:
                revert = reverse(f"admin:tracker_{name}_simple_history", args=[obj.pk, oldest.pk])
                data = admin_form_data(client.get(revert))
                pages.append(Page(f"{name} {obj.pk}: revert page", revert, data, events_of(obj)))
    return pages


def every_inline_has_a_row():
    """The record the pages are opened on: every inline of every admin shows a row
    (an event with participants, outcomes and citations; another that carried out one
    of its outcomes and links to it)."""
    return make_full_record()


def snapshot():
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_app_config("tracker").get_models()
    }


def versions():
    return dict(Event.objects.values_list("pk", "version"))


def test_every_inline_of_the_admin_shows_a_row_of_the_record(client, superuser, admin_form_data):
    every_inline_has_a_row()
    client.force_login(superuser)
    request = RequestFactory().get("/")
    request.user = superuser
    inlines = {
        (model._meta.model_name, inline.get_formset(request).get_default_prefix())
        for model, model_admin in admin.site._registry.items()
        for inline in model_admin.get_inline_instances(request)
    }
    pages = writing_pages(client, admin_form_data, superuser)
    covered = {
        (page.name.split()[0], page.name.split(": inline ")[1])
        for page in pages
        if ": inline " in page.name
    }
    assert len(inlines) >= 7
    assert inlines <= covered, f"inlines with no row in the record: {inlines - covered}"


def distinct(pages):
    """One page of each kind (model, page, inline) per set of events touched: a second
    participation's page proves nothing the first does not."""
    kept = {}
    for page in pages:
        kind = page.name.split(" ", 2)[0], page.name.split(": ", 1)[1]
        kept.setdefault((kind, frozenset(page.touches)), page)
    return list(kept.values())


#: The walk below is cut into this many tests, so that pytest-xdist runs them on both
#: workers at once: each builds the same record and opens the same pages, and runs its
#: share of the pairs (every pair is in exactly one share).
SHARES = 2


def shares_of(plan, count):
    """``plan`` ([(first, seconds)]) dealt into ``count`` shares of about as many pairs
    each, the largest first, always to the share with the fewest pairs so far."""
    shares = [[] for _ in range(count)]
    for step in sorted(plan, key=lambda step: -len(step[1])):
        min(shares, key=lambda share: sum(len(s) for _f, s in share)).append(step)
    return shares


@pytest.mark.parametrize("share", range(SHARES))
def test_every_pair_of_pages_touching_an_event_refuses_a_stale_save(
    client, superuser, admin_form_data, share
):
    """Each pair once, and each page against itself. In a pair, the page that touches
    fewer events is saved first, so that a page touching two events (a link, a “carried
    out” row) must notice each of them moving on its own."""
    every_inline_has_a_row()
    client.force_login(superuser)
    pages = distinct(p for p in writing_pages(client, admin_form_data, superuser) if p.touches)
    assert len(pages) >= 15, [page.name for page in pages]
    order = {page.name: (len(page.touches), i) for i, page in enumerate(pages)}
    plan = [
        (
            first,
            [
                page
                for page in pages
                if page.touches & first.touches and order[first.name] <= order[page.name]
            ],
        )
        for first in pages
    ]
    assert sum(len(seconds) for _first, seconds in plan) >= 100
    shares = shares_of(plan, SHARES)
    assert sorted(first.name for share in shares for first, _s in share) == sorted(order)
    problems = []
    for first, seconds in shares[share]:
        problems += stale_saves_are_refused(client, first, seconds)
    assert not problems, "\n".join(problems)


def stale_saves_are_refused(client, first, seconds):
    """All pages opened; ``first`` saved; then each of ``seconds`` must be refused, with a
    message and nothing written. Everything is rolled back afterwards.

    The tables are compared once, after the last refusal: a refused save that wrote
    anything (a row, a history entry, a version) leaves them different, since no later
    refused save could write it back."""
    problems = []
    with transaction.atomic():
        before = versions()
        saved = client.post(first.url, first.data)
        moved = {pk for pk, version in versions().items() if version != before.get(pk)}
        if saved.status_code != 302:
            problems.append(f"{first.name}: not saved ({saved.status_code})")
        elif moved != first.touches:
            problems.append(f"{first.name}: moved events {moved}, touches {first.touches}")
        else:
            state = snapshot()
            for second in seconds:
                stale = client.post(second.url, second.data)
                if stale.status_code != 200 or REFUSED not in stale.content.decode():
                    problems.append(
                        f"{first.name}, then {second.name}: not refused ({stale.status_code})"
                    )
            if snapshot() != state:
                names = ", ".join(second.name for second in seconds)
                problems.append(f"{first.name}, then one of {names}: refused, but wrote")
        transaction.set_rollback(True)
    return problems
