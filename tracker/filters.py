"""The one definition of “which events”: the list, every chart and the CSV use it."""

import functools
import hashlib
from itertools import pairwise

import django_filters
from django import forms
from django.db.models import CharField, Q, Value
from django.http import QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import Conflict, Event, Outcome, Participation, Party, Person, Process
from .page_cache import per_record_version
from .text import search_key
from .widgets import LongSelect

MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 10


def names_of(**fields):
    """One query for the ``(field name, name, pk, value)`` of every choice of these model
    choice fields (``name=field``), by field, then name."""
    parts = [
        field.queryset.order_by()
        .annotate(field=Value(field_name, output_field=CharField()))
        .values_list("field", "name", "pk", field.to_field_name)
        for field_name, field in fields.items()
    ]
    return parts[0].union(*parts[1:], all=True).order_by("field", "name", "pk")


def grouped_names(query):
    """``{field name: [(value, name), …]}`` from :func:`names_of`'s query. A name that
    two records of a field share (two people called “Ana Dubois”) is followed by each
    one's slug, so that a reader can tell them apart in the select."""
    grouped = {}
    for field_name, name, _pk, value in query:
        grouped.setdefault(field_name, []).append((value, name))
    for pairs in grouped.values():
        names = [name for _value, name in pairs]  # in order of name: equal ones meet
        shared = {name for name, next_name in pairwise(names) if name == next_name}
        if shared:
            pairs[:] = [(v, f"{n} ({v})" if n in shared else n) for v, n in pairs]
    return grouped


#: {language: the country select's options, written}
COUNTRY_OPTIONS = {}


def country_options(choices):
    """The country select's options (``choices``, the field's own) in the active
    language: translated, sorted and written once per language and process, not once
    per page (they were a quarter of the filter form's time)."""
    language = get_language()
    if language not in COUNTRY_OPTIONS:
        COUNTRY_OPTIONS[language] = LongSelect.written(choices)
    return COUNTRY_OPTIONS[language]


def record_options(fields):
    """``{field name: its options, written}`` for the conflict, process, party and person
    selects (``fields``), in two queries: the parties' and people's slugs and names
    (without a model instance each), and the public processes with their conflicts (a
    conflict is public exactly when one of its processes is)."""
    names = grouped_names(names_of(party=fields["party"], person=fields["person"]))
    processes = list(fields["process"].queryset.select_related("conflict"))
    conflicts = {p.conflict.slug: p.conflict for p in processes}
    choices = {
        "party": names.get("party", []),
        "person": names.get("person", []),
        "process": [(p.slug, str(p)) for p in processes],
        "conflict": [
            (c.slug, str(c)) for c in sorted(conflicts.values(), key=lambda c: (c.name, c.pk))
        ],
    }
    return {
        name: LongSelect.written([("", fields[name].empty_label), *pairs])
        for name, pairs in choices.items()
    }


class EventFilterForm(forms.Form):
    #: The selects whose options come from the record, kept for its version.
    RECORD_SELECTS = ("conflict", "process", "party", "person")

    def __init__(self, *args, **kwargs):
        """Every select (countries, people, parties…) writes its options in Python:
        rendered one template each, they were a third of the event list's time."""
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if type(field.widget) is forms.Select:
                field.widget = LongSelect(attrs=field.widget.attrs, choices=field.widget.choices)
        if all(name in self.fields for name in self.RECORD_SELECTS):
            self._options_kept_for_the_record()
        if "country" in self.fields:
            widget = self.fields["country"].widget
            widget.options = functools.partial(country_options, widget.choices)

    def _options_kept_for_the_record(self):
        """The conflict, process, party and person selects (thousands of options on a
        large record) as :func:`record_options` writes them, kept for the record version
        and the language (:meth:`kept_options`): every list page draws the same ones,
        so they are read and written once per write, not once per page (reading them
        took a query more, and unpickling and writing the people alone a tenth of the
        event list's time at 10,000 events). Read when a select is drawn, never for a
        CSV or a feed; a chosen value is still checked against each field's own
        queryset."""
        kept = []

        def options_of(name):
            if not kept:
                kept.append(self.kept_options())
            return kept[0][name]

        for name in self.RECORD_SELECTS:
            self.fields[name].widget.options = functools.partial(options_of, name)

    def kept_options(self):
        """:func:`record_options` for this form's selects, kept for the record version
        and the language (``per_record_version``)."""
        fields = {name: self.fields[name] for name in self.RECORD_SELECTS}
        key = f"event filter options\n{get_language()}"
        return per_record_version(key, lambda: record_options(fields))

    def clean_q(self):
        words = self.cleaned_data["q"].split()
        if len(words) > MAX_SEARCH_WORDS:
            raise forms.ValidationError(
                _("Search for at most %(max)d words."), params={"max": MAX_SEARCH_WORDS}
            )
        return self.cleaned_data["q"]

    def clean(self):
        cleaned_data = super().clean()
        after, before = cleaned_data.get("date_after"), cleaned_data.get("date_before")
        if after and before and after > before:
            self.add_error("date_before", _("“Until” must not be before “From”."))
        return cleaned_data


class EventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=MAX_SEARCH_LENGTH,
        help_text=_("Words in the title, summary, place or participants' names."),
    )
    date_after = django_filters.DateFilter(
        label=_("From"),
        method="on_or_after",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("YYYY-MM-DD"),
    )
    date_before = django_filters.DateFilter(
        label=_("Until"),
        method="on_or_before",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("YYYY-MM-DD"),
    )
    conflict = django_filters.ModelChoiceFilter(
        label=_("Conflict"),
        field_name="process__conflict",
        queryset=Conflict.objects.public(),
        to_field_name="slug",
        empty_label=_("Any conflict"),
    )
    process = django_filters.ModelChoiceFilter(
        label=_("Process"),
        queryset=Process.objects.public(),
        to_field_name="slug",
        empty_label=_("Any process"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind of event"), choices=Event.Kind.choices, empty_label=_("Any kind")
    )
    party = django_filters.ModelChoiceFilter(
        label=_("Party"),
        queryset=Party.objects.public(),
        to_field_name="slug",
        method="by_participation",
        empty_label=_("Any party"),
    )
    person = django_filters.ModelChoiceFilter(
        label=_("Person"),
        queryset=Person.objects.public(),
        to_field_name="slug",
        method="by_participation",
        empty_label=_("Anyone"),
    )
    role = django_filters.ChoiceFilter(
        label=_("Role"),
        choices=Participation.Role.choices,
        method="by_participation",
        empty_label=_("Any role"),
    )
    outcome_status = django_filters.ChoiceFilter(
        label=_("Outcome"),
        choices=Outcome.Status.choices,
        method="by_outcome_status",
        empty_label=_("Any outcome"),
    )
    country = django_filters.ChoiceFilter(
        label=_("Country (location)"),
        choices=countries,
        empty_label=_("Any country"),
    )

    class Meta:
        model = Event
        form = EventFilterForm
        fields = [
            "q",
            "date_after",
            "date_before",
            "conflict",
            "process",
            "kind",
            "party",
            "person",
            "role",
            "outcome_status",
            "country",
        ]

    def filter_queryset(self, queryset):
        """Party, person and role describe one participation together: “Umerov as head of
        delegation”, not “Umerov was there and someone was head of delegation”."""
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        conditions = Q()
        if data.get("party"):
            conditions &= Participation.objects.involving_q(data["party"])
        if data.get("person"):
            conditions &= Q(person=data["person"])
        if data.get("role"):
            conditions &= Q(role=data["role"])
        if conditions:
            queryset = queryset.filter(
                pk__in=Participation.objects.filter(conditions).values("event_id")
            )
        return queryset

    def by_participation(self, queryset, name, value: Party | Person | str):
        return queryset  # applied together in filter_queryset

    def search(self, queryset, name, value):
        """Every word, normalised as the stored ``search_text`` is (``text.search_key``:
        case-folded, accents removed), occurs in it; the order is left as it was."""
        for word in search_key(value).split():
            queryset = queryset.filter(search_text__contains=word)
        return queryset

    def on_or_after(self, queryset, name, value):
        """Events with a day on or after ``value``; an approximate date counts by the whole
        month or year it stands for."""
        return queryset.filter(
            Q(start_date__gte=value)
            | Q(end_date__gte=value)
            | Q(date_precision=Event.Precision.MONTH, start_date__gte=value.replace(day=1))
            | Q(date_precision=Event.Precision.YEAR, start_date__year__gte=value.year)
        )

    def on_or_before(self, queryset, name, value):
        return queryset.filter(start_date__lte=value)

    def by_outcome_status(self, queryset, name, value):
        return queryset.filter(pk__in=Outcome.objects.filter(status=value).values("event_id"))

    @property
    def active(self):
        """The filters the reader set, for a summary above the results."""
        if not self.is_bound or not self.is_valid():
            return []
        return [
            (self.form[name].label, value)
            for name, value in self.form.cleaned_data.items()
            if value not in (None, "")
        ]


def record_options_digest():
    """A digest of the record's selects' options (:meth:`EventFilterForm.kept_options`),
    kept like them for the record version and the language. The options follow every
    published event (a person is listed once they took part in one): a page cached by
    narrower versions than the record's must still follow them."""

    def digest():
        options = EventFilter(QueryDict()).form.kept_options()
        return hashlib.sha256(repr(sorted(options.items())).encode()).hexdigest()

    return per_record_version(f"event filter options digest\n{get_language()}", digest)


def filter_events(params, queryset=None):
    """The public events matching a query string; an invalid query matches nothing.

    Returns ``(filterset, events)``; callers answer 400 when ``filterset.is_valid()`` is
    false, so that a mistyped filter never shows the unfiltered record.
    """
    base = Event.objects.published() if queryset is None else queryset
    filterset = EventFilter(params, queryset=base)
    return filterset, filterset.qs if filterset.is_valid() else base.none()


def error_text(filterset):
    """Filter errors as plain text, one “parameter: message” per line."""
    return "\n".join(
        f"{name}: {message}"
        for name, messages in filterset.form.errors.items()
        for message in messages
    )


class IndexFilter(django_filters.FilterSet):
    """The browse indexes of processes, parties and people, narrowed to a conflict:
    those that took part in its published events, as :class:`EventFilter` chooses them."""

    conflict = django_filters.ModelChoiceFilter(
        label=_("Conflict"),
        queryset=Conflict.objects.public(),
        to_field_name="slug",
        method="in_conflict",
        empty_label=_("Any conflict"),
    )

    def in_conflict(self, queryset, name, value: Conflict):
        _filterset, events = filter_events({"conflict": value.slug})
        return queryset.filter(pk__in=self.ids_in(events))

    @staticmethod
    def ids_in(events):
        raise NotImplementedError


class ProcessIndexFilter(IndexFilter):
    class Meta:
        model = Process
        fields = ["conflict"]

    @staticmethod
    def ids_in(events):
        return events.values("process_id")


class PartyIndexFilter(IndexFilter):
    class Meta:
        model = Party
        fields = ["conflict"]

    @staticmethod
    def ids_in(events):
        return Party.objects.public_in(events).values("pk")


class PersonIndexFilter(IndexFilter):
    class Meta:
        model = Person
        fields = ["conflict"]

    @staticmethod
    def ids_in(events):
        return Participation.objects.filter(event__in=events).values("person_id")
