"""The POST data an admin page would send back unchanged: for tests, and for the backup
drill that edits a database through the real admin."""

import datetime

from django.utils.duration import duration_string


def _encode(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, datetime.timedelta):
        return duration_string(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return str(value)


def _form_fields(form, data):
    for name in form.fields:
        bound = form[name]
        value = _encode(bound.value())
        if value == "" and getattr(form.fields[name].widget, "input_type", "") == "checkbox":
            continue
        data[bound.html_name] = value


def admin_form_data(response):
    """The form of an admin change page as it would be posted unchanged, inlines included.

    Needs the test environment (``response.context``): pytest-django sets it up; elsewhere
    call ``django.test.utils.setup_test_environment()`` first.
    """
    data = {}
    _form_fields(response.context["adminform"].form, data)
    inlines = response.context.get("inline_admin_formsets", [])
    for inline in inlines:
        formset = inline.formset
        _form_fields(formset.management_form, data)
        for form in formset.forms:
            _form_fields(form, data)
    return data
