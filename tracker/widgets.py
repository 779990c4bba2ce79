"""Form widgets shared by the public filters and the admin."""

from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe

#: Joins the strings escaped in one call; ``html.escape`` leaves it as it is.
SEPARATOR = "\x00"


def escaped(strings):
    """``[html.escape(s) for s in strings]`` in one pass over one joined string (a call
    per string was a fifth of the filter form's time); per string when one holds the
    separator."""
    joined = SEPARATOR.join(strings)
    if joined.count(SEPARATOR) != max(len(strings) - 1, 0):
        return [escape(s) for s in strings]
    return escape(joined).split(SEPARATOR) if strings else []


class LongSelect(forms.Select):
    """A select with many options (the ~250 countries, the thousands of people on a large
    record), its options written in Python in one pass over the choices: Django's
    ``Select`` builds a dict per option (``optgroups``) and walks every choice again to
    decide on ``required``, and with the choices given as a callable each walk rebuilds
    the whole list; that was a third of the event list's time at 10,000 events. Values
    and labels are escaped with the standard library's ``html.escape``; options of a
    group are written in place, and only the first option holding the value is
    selected, as ``Select`` does.

    ``options``, when given, is a callable answering the options already written by
    :meth:`written` (none selected), kept between pages by its owner; the chosen one is
    then marked in that text, and the choices are not walked at all.
    """

    def __init__(self, attrs=None, choices=(), options=None):
        super().__init__(attrs, choices)
        self.options = options

    def use_required_attribute(self, initial):
        # ``Select`` reads the first choice (the whole list, for callable choices) only
        # to decide on ``required``, which a field that is not required never writes.
        return self.is_required and super().use_required_attribute(initial)

    @staticmethod
    def written(choices):
        """The ``<option>`` elements of ``choices``, none selected."""
        texts, labels = [], []
        for group_value, group_label in choices:
            grouped = isinstance(group_label, list | tuple)
            for option_value, label in group_label if grouped else [(group_value, group_label)]:
                texts.append(str(option_value if option_value is not None else ""))
                labels.append(str(label))
        return "".join(
            f'<option value="{text}">{label}</option>'
            for text, label in zip(escaped(texts), escaped(labels), strict=True)
        )

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        options = self.options() if self.options else self.written(self.choices)
        for chosen in dict.fromkeys(self.format_value(value)):
            option = f'<option value="{escape(chosen)}">'
            marked = option[:-1] + " selected>"
            options = options.replace(option, marked, -1 if self.allow_multiple_selected else 1)
            if not self.allow_multiple_selected and marked in options:
                break
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(attrs),
            mark_safe(options),  # every value and label escaped by written()
        )
