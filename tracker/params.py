"""Which query parameters a public page takes, and the one form of a query it answers.

A page takes the fields of its FilterSet (read from the FilterSet itself, so a filter
added there is taken everywhere that FilterSet is), the extras it declares (``page``,
``bom``…) and the tracking parameters links pick up on the way (``TRACKING``, which
pages ignore). Anything else, a name in brackets (``kind[]``) or a single-valued
parameter given twice is a problem, named, and the page answers 400: a mistyped filter
never shows the whole record.

The canonical query is what the page is keyed and rendered by: tracking parameters
dropped, empty values dropped, filter values parsed and written back in one form
(``date_after=2025-5-1`` → ``2025-05-01``), names sorted.
"""

import datetime
import fnmatch
from dataclasses import dataclass, field
from functools import cache

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _

#: Parameters that links carry for analytics and that no page reads: accepted anywhere,
#: dropped before the page sees the query (README, "Strict query parameters").
TRACKING = (
    "utm_*",
    "fbclid",
    "gclid",
    "gbraid",
    "wbraid",
    "dclid",
    "msclkid",
    "yclid",
    "twclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
)


def is_tracking(name):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in TRACKING)


@dataclass(frozen=True)
class Taken:
    """One parameter a page takes: its filter's form field (None for an extra), and
    whether it may be given more than once."""

    name: str
    field: forms.Field | None = None
    many: bool = False


@cache
def filter_parameters(filterset_class):
    """``{name: Taken}`` for every query parameter a FilterSet's form reads: one per
    field, or one per part of a field whose widget has several (``date_after``…)."""
    taken = {}
    for name, form_field in filterset_class().form.fields.items():
        widget = form_field.widget
        many = getattr(widget, "allow_multiple_selected", False)
        if isinstance(widget, forms.MultiWidget):
            for suffix in widget.widgets_names:
                taken[f"{name}{suffix}"] = Taken(f"{name}{suffix}", None, many)
        else:
            taken[name] = Taken(name, form_field, many)
    return taken


@dataclass(frozen=True)
class Parameters:
    """What a public page declares: its FilterSet and its extras."""

    filters: type | None = None
    extras: tuple[str, ...] = ()
    taken: dict = field(init=False, compare=False, repr=False)

    def __post_init__(self):
        taken = dict(filter_parameters(self.filters)) if self.filters else {}
        taken |= {name: Taken(name) for name in self.extras}
        object.__setattr__(self, "taken", taken)

    def problems(self, query):
        """``[(parameter, message)]``: what is wrong with the names in ``query``."""
        found = []
        for name in query:
            if is_tracking(name):
                continue
            if "[" in name or "]" in name:
                bare = name.split("[", 1)[0]
                found.append(
                    (
                        name,
                        _("names take no brackets: write %(bare)s=… once per value.")
                        % {"bare": bare},
                    )
                )
            elif name not in self.taken:
                found.append((name, self.unknown_message()))
            elif len(query.getlist(name)) > 1 and not self.taken[name].many:
                found.append(
                    (
                        name,
                        _("given %(count)d times; give it once.")
                        % {"count": len(query.getlist(name))},
                    )
                )
        return found

    def filters_given(self, query):
        """Whether ``query`` gives any filter a value (extras and tracking parameters
        are not filters)."""
        extras = set(self.extras)
        return any(
            name in self.taken
            and name not in extras
            and any(v.strip() for v in query.getlist(name))
            for name in query
        )

    def unknown_message(self):
        if not self.taken:
            return _("unknown parameter: this page takes none.")
        return _("unknown parameter: this page takes %(names)s.") % {
            "names": ", ".join(sorted(self.taken))
        }

    def canonical(self, query, cleaned=None):
        """The query as the page answers it: tracking parameters and empty values
        dropped, names sorted, and filter values written back from ``cleaned`` (the
        FilterSet form's cleaned data) when the filters are valid."""
        canonical = QueryDict(mutable=True)
        for name in sorted(query):
            if is_tracking(name):
                continue
            taken = self.taken.get(name)
            if cleaned is not None and taken is not None and taken.field is not None:
                values = as_text(cleaned.get(name), taken.field)
            else:
                values = [value.strip() for value in query.getlist(name)]
            values = [value for value in values if value != ""]
            if values:
                canonical.setlist(name, sorted(values) if len(values) > 1 else values)
        canonical._mutable = False
        return canonical


def as_text(value, form_field):
    """A cleaned form value written back as query text (a list: multi-valued fields)."""
    if value is None:
        return []
    if isinstance(value, list | tuple | set | frozenset) or hasattr(value, "model"):
        return [text for item in value for text in as_text(item, form_field)]
    if isinstance(value, datetime.date | datetime.datetime):
        return [value.isoformat()]
    if hasattr(value, "_meta"):  # a model instance: by the field the filter looks it up by
        return [str(getattr(value, getattr(form_field, "to_field_name", None) or "pk"))]
    return [str(value)]
