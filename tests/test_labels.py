"""``get_<field>_display()`` answers as Django's own, in every language, for every field
with choices of every model of the tracker."""

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation


def fields_with_choices():
    for model in apps.get_app_config("tracker").get_models():
        for field in model._meta.fields:
            if field.choices and isinstance(field.choices, list | tuple):
                yield pytest.param(model, field, id=f"{model.__name__}.{field.name}")


@pytest.mark.parametrize(("model", "field"), list(fields_with_choices()))
def test_every_label_reads_as_djangos_in_every_language(model, field):
    values = [value for value, _label in field.flatchoices] + ["not-a-choice", None]
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for value in values:
                instance = model(**{field.attname: value})
                ours = getattr(instance, f"get_{field.name}_display")()
                assert ours == instance._get_FIELD_display(field), (code, value)


def test_the_labels_the_lists_show_are_looked_up_once_per_language():
    from tracker.models import Event, Outcome
    from tracker.models.labels import _display

    for method in (vars(Event)["get_kind_display"], vars(Outcome)["get_status_display"]):
        assert method.func is _display
