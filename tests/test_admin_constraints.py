"""Every constraint is a form error: each unique field and each constraint of each tracker
model, driven through every admin form and inline that reaches it, gives a message next
to its field or on its row, never a database error, and writes nothing.

The rules and the forms are walked from the models' ``Meta`` and the admin registry.
Violating data is derived where it can be (a unique value copied from another row); a
check constraint needs crafted data, given below by the constraint's name, and the test
fails for a constraint it has no data for.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Q, UniqueConstraint
from django.urls import reverse

from tests.factories import (
    link,
    make_full_record,
    make_participation,
    make_person,
    make_process,
    make_source,
)
from tracker.models import Event, EventLink
from tracker.roles import RECORD_MODELS

pytestmark = pytest.mark.django_db


def link_to_itself(values, page_object):
    """Both ends of the link on the same event: the page's event, or the link's start."""
    event = page_object.pk if isinstance(page_object, Event) else values["from_event"]
    return {"from_event": event, "to_event": event}


#: Data that breaks each check constraint: changes to a row's values, by constraint name.
CRAFTED = {
    "process_ends_after_start": {"start_date": "2025-05-10", "end_date": "2025-05-01"},
    "conflict_ends_after_start": {"start_date": "2025-05-10", "end_date": "2025-05-01"},
    "event_ends_after_start": {"start_date": "2025-05-10", "end_date": "2025-05-01"},
    "event_approximate_date_starts_its_period": {
        "start_date": "2016-11-29",
        "date_precision": "month",
    },
    "party_state_has_country": {"kind": "state", "country": ""},
    "participation_names_someone": {"person": "", "party": ""},
    "outcome_quantity_has_unit": {"quantity": "5", "unit": ""},
    "source_has_url_or_title": {"url": "", "title": ""},
    "event_link_not_to_itself": link_to_itself,
}


@dataclass
class Rule:
    model: type
    name: str
    fields: list
    condition: Q | None
    message: str
    unique: bool


def rules_of(model):
    """The model's unique fields and constraints, with the message each must give."""
    for field in model._meta.fields:
        if field.unique and not field.primary_key:
            message = model().unique_error_message(model, [field.name]).messages[0]
            yield Rule(model, f"{field.name} (unique)", [field.name], None, message, True)
    for constraint in model._meta.constraints:
        unique = isinstance(constraint, UniqueConstraint)
        fields = list(constraint.fields) if unique else []
        message = str(constraint.get_violation_error_message())
        yield Rule(model, constraint.name, fields, constraint.condition, message, unique)


def condition_fields(condition):
    names = []
    for child in getattr(condition, "children", []):
        if isinstance(child, Q):
            names += condition_fields(child)
        else:
            names.append(child[0].split("__")[0])
    return names


def tracker_rules():
    """The rules of every model the editorial roles may change: the record. (Bookkeeping
    rows such as pending uploads are written by the tracker itself, never through a form.)"""
    return [
        rule
        for model in apps.get_app_config("tracker").get_models()
        if model._meta.model_name in RECORD_MODELS
        for rule in rules_of(model)
    ]


def forms_reaching(model):
    """("page", admin) for the model's own change and revert pages, ("inline", parent
    admin, inline) for every inline of it on another model's page."""
    reached = []
    if model in admin.site._registry:
        reached += [
            ("change", admin.site._registry[model]),
            ("revert", admin.site._registry[model]),
        ]
    for model_admin in admin.site._registry.values():
        for inline in model_admin.inlines:
            if inline.model is model:
                reached.append(("inline", model_admin, inline))
    return reached


def a_record_with_two_of_everything():
    record = make_full_record()
    make_process(title="Black Sea talks", slug="black-sea", conflict="Black Sea dispute")
    make_person(name="Sergiy Kyslytsya", slug="sergiy-kyslytsya")
    make_source(url="", title="Print report", publisher="Daily Paper")
    make_participation(event=record["exchange"], person=make_person(), role="delegate")
    link(record["talks"], record["exchange"], EventLink.Relation.REFERS_BACK_TO)
    return record


def encoded(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def values_of(obj, names):
    out = {}
    for name in names:
        field = obj._meta.get_field(name)
        out[name] = encoded(field.value_from_object(obj))
    return out


def error_texts(form, fields):
    """The messages shown next to ``fields`` of ``form`` and on the form (its row)."""
    errors = form.errors
    texts = [str(e) for e in errors.get(NON_FIELD_ERRORS, [])]
    for name in fields or errors:
        texts += [str(e) for e in errors.get(name, [])]
    return texts


def snapshot():
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_app_config("tracker").get_models()
    }


def test_every_check_constraint_has_crafted_data():
    checks = {rule.name for rule in tracker_rules() if not rule.unique}
    assert checks - set(CRAFTED) == set(), "add violating data for these constraints to CRAFTED"


def test_every_rule_is_reached_by_an_admin_form():
    unreached = {rule.name for rule in tracker_rules() if not forms_reaching(rule.model)}
    assert unreached == set()


@pytest.mark.parametrize("rule", tracker_rules(), ids=lambda rule: rule.name)
def test_breaking_the_rule_in_any_admin_form_is_a_message_on_the_field_or_row(
    rule, client, superuser, admin_form_data
):
    if not rule.unique and rule.name not in CRAFTED:
        pytest.fail(f"no violating data for constraint {rule.name}: add it to CRAFTED")
    a_record_with_two_of_everything()
    client.force_login(superuser)
    for reach in forms_reaching(rule.model):
        if reach[0] == "inline":
            url, data, row = inline_violation(client, admin_form_data, rule, *reach[1:])
        else:
            url, data, row = page_violation(client, admin_form_data, rule, reach[0])
        before = snapshot()
        response = client.post(url, data)
        where = f"{rule.name} through {url} ({reach[0]})"
        assert response.status_code == 200, where
        form = row(response)
        crafted = CRAFTED.get(rule.name, {})
        texts = error_texts(form, [*rule.fields, *(crafted if isinstance(crafted, dict) else [])])
        assert any(rule.message in text for text in texts), f"{where}: {form.errors}"
        assert snapshot() == before, f"{where}: refused but written"


def violating_changes(rule, values, page_object, existing=None):
    """The values that break ``rule`` on a row currently holding ``values``."""
    if rule.unique:
        names = [*rule.fields, *condition_fields(rule.condition)]
        return values_of(existing, names)
    crafted = CRAFTED[rule.name]
    return crafted(values, page_object) if callable(crafted) else crafted


def page_violation(client, admin_form_data, rule, page):
    """A change (or revert) page of one row, given another row's unique values or the
    crafted ones."""
    model = rule.model
    rows = model._default_manager.order_by("pk")
    existing = rows.filter(rule.condition or Q()).first() if rule.unique else None
    target = rows.exclude(pk=existing.pk).first() if existing else rows.first()
    name = model._meta.model_name
    if page == "change":
        url = reverse(f"admin:tracker_{name}_change", args=[target.pk])
    else:
        history = target.history.order_by("history_date").first()
        url = reverse(f"admin:tracker_{name}_simple_history", args=[target.pk, history.pk])
    data = admin_form_data(client.get(url))
    data |= violating_changes(rule, data, target, existing)
    return url, data, lambda response: response.context["adminform"].form


def inline_violation(client, admin_form_data, rule, parent_admin, inline):
    """A page with the inline: a new row repeating an existing one (for a unique rule) or
    the first row changed (for a check)."""
    model = rule.model
    fk = inline.fk_name or next(
        f.name
        for f in model._meta.fields
        if f.many_to_one and f.related_model is parent_admin.model
    )
    rows = model._default_manager.filter(rule.condition or Q()).order_by("pk")
    existing = rows.first()
    parent = getattr(existing, fk)
    url = reverse(f"admin:tracker_{parent_admin.model._meta.model_name}_change", args=[parent.pk])
    response = client.get(url)
    data = admin_form_data(response)
    formset = next(
        f.formset for f in response.context["inline_admin_formsets"] if f.opts.__class__ is inline
    )
    prefix = formset.prefix
    index = next(i for i, form in enumerate(formset.forms) if form.instance.pk == existing.pk)
    row_fields = [n for n in formset.forms[index].fields if n not in ("id", "DELETE")]
    row_values = {n: data.get(f"{prefix}-{index}-{n}", "") for n in row_fields}
    if rule.unique:
        new = int(data[f"{prefix}-TOTAL_FORMS"])
        data[f"{prefix}-TOTAL_FORMS"] = str(new + 1)
        changed = row_values | violating_changes(rule, row_values, parent, existing)
        changed["seen_event_versions"] = ""
    else:
        new = index
        changed = violating_changes(rule, row_values, parent)
    data |= {f"{prefix}-{new}-{n}": v for n, v in changed.items()}

    def row(response):
        formset = next(
            f.formset
            for f in response.context["inline_admin_formsets"]
            if f.opts.__class__ is inline
        )
        return formset.forms[new]

    return url, data, row
