"""Form widgets shared by the public filters and the admin."""

from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class LongSelect(forms.Select):
    """A select with many options (the ~250 countries, the thousands of people on a large
    record), its options written in Python: rendered one template each, they took a third
    of the time the event page takes; escaped with the standard library's ``html.escape``
    (Django's ``format_html`` per option was still a third of the event list's time at
    10,000 events)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = "".join(
            '<option value="{}"{}>{}</option>'.format(
                escape(str(option["value"] if option["value"] is not None else "")),
                " selected" if option["selected"] else "",
                escape(str(option["label"])),
            )
            for _group, group_options, _index in widget["optgroups"]
            for option in group_options
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe(options),  # every value and label escaped above
        )
