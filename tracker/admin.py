"""The editors' admin: configuration first, a few hooks for versions, publishing and CSV.

Every page that writes the record derives from ``admin_writes.WritesAdmin``; every inline
of rows that belong to events from ``admin_writes.EventRowsInline`` (see ``forms`` for
how a page refuses stale saves and which events it touches).
"""

from urllib.parse import urlsplit

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries.fields import CountryField

from . import (
    admin_accounts,  # noqa: F401 (registers the accounts page)
    admin_releases,  # noqa: F401 (registers the releases)
)
from .admin_imports import ImportAdminMixin
from .admin_writes import (
    EventRowsInline,
    WritesAdmin,
    record_touched,
    with_version_field,
)
from .columns import EVENTS
from .csv_export import csv_lines, file_name
from .forms import (
    VERSIONS,
    CitationFormSet,
    ConflictCheckForm,
    EventForm,
    EventPartForm,
    EventPartsFormSet,
    EventRowForm,
    IncomingLinkForm,
    ParticipationForm,
    ParticipationFormSet,
    ParticipationPageForm,
    event_ids_of_rows,
)
from .models import (
    Citation,
    Conflict,
    Event,
    EventLink,
    Implementation,
    Outcome,
    Participation,
    Party,
    Person,
    Process,
    RecordVersion,
    Source,
)
from .widgets import LongSelect

admin.site.site_header = _("Peace negotiation tracker")
admin.site.site_title = _("Tracker admin")
admin.site.index_title = _("The negotiation record")

RECORD_FIELDS = ["created_at", "updated_at", "changed_by", "version"]


def changed_labels(form):
    """The names of the fields a form changed, as editors read them, for a history reason."""
    opts = form._meta.model._meta
    names = []
    for name in form.changed_data:
        try:
            names.append(str(opts.get_field(name).verbose_name))
        except FieldDoesNotExist:
            names.append(str(form.fields[name].label or name))
    return names


def change_reason(form, formsets=(), change=True):
    """“Changed in the admin: title, summary, participations”."""
    if not change:
        return _("Added in the admin")
    parts = [
        str(formset.model._meta.verbose_name_plural)
        for formset in formsets
        if formset.has_changed()
    ]
    changed = [*changed_labels(form), *parts]
    return _("Changed in the admin: %(fields)s") % {"fields": ", ".join(changed) or _("no field")}


class RecordAdmin(WritesAdmin):
    """Every curated record: history, who changed it, and refusal of conflicting edits."""

    form = ConflictCheckForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    class Media:
        js = ["tracker/admin/slugs.js"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *RECORD_FIELDS]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if isinstance(db_field, CountryField):
            kwargs.setdefault("widget", LongSelect)
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return with_version_field(super().get_fieldsets(request, obj), "seen_version")

    def save_model(self, request, obj, form, change):
        obj.mark_changed(
            by=request.user,
            reason=change_reason(form, change=change),
            from_version=form.cleaned_data.get("seen_version"),
        )
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        RecordVersion.bump(self.model)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        RecordVersion.bump(self.model)
        super().delete_queryset(request, queryset)


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = model_admin.get_queryset(request).dates("start_date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(start_date__year=int(self.value()))
        return queryset


@admin.register(Conflict)
class ConflictAdmin(RecordAdmin):
    list_display = ["name", "status", "start_date", "end_date"]
    list_filter = ["status"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "status", "description", "countries"]}),
        (_("Dates"), {"fields": ["start_date", "end_date"]}),
        (_("Record"), {"fields": RECORD_FIELDS, "classes": ["collapse"]}),
    ]


@admin.register(Process)
class ProcessAdmin(RecordAdmin):
    list_display = ["title", "conflict", "status", "start_date", "end_date", "position"]
    list_filter = ["status", "conflict"]
    list_select_related = ["conflict"]
    search_fields = ["title", "description", "conflict__name"]
    autocomplete_fields = ["conflict"]
    prepopulated_fields = {"slug": ["title"]}
    fieldsets = [
        (None, {"fields": ["title", "slug", "conflict", "status", "description"]}),
        (_("Dates and order"), {"fields": ["start_date", "end_date", "position"]}),
        (_("Record"), {"fields": RECORD_FIELDS, "classes": ["collapse"]}),
    ]


@admin.register(Party)
class PartyAdmin(RecordAdmin):
    list_display = ["name", "kind", "country", "wikidata_id"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "wikidata_id"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "country", "wikidata_id"]}),
        (_("Record"), {"fields": RECORD_FIELDS, "classes": ["collapse"]}),
    ]


@admin.register(Person)
class PersonAdmin(RecordAdmin):
    list_display = ["name", "party", "wikidata_id"]
    list_filter = ["party"]
    list_select_related = ["party"]
    search_fields = ["name", "slug", "wikidata_id", "participations__title"]
    autocomplete_fields = ["party"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "party", "wikidata_id"]}),
        (_("Record"), {"fields": RECORD_FIELDS, "classes": ["collapse"]}),
    ]


@admin.register(Source)
class SourceAdmin(RecordAdmin):
    list_display = ["publisher", "title", "published_on", "url"]
    list_filter = ["publisher"]
    search_fields = ["url", "title", "publisher"]
    date_hierarchy = "published_on"
    fieldsets = [
        (None, {"fields": ["url", "title", "publisher", "published_on"]}),
        (_("Access"), {"fields": ["accessed_on", "archive_url"]}),
        (_("Record"), {"fields": RECORD_FIELDS, "classes": ["collapse"]}),
    ]


class ParticipationInline(EventRowsInline, admin.TabularInline):
    model = Participation
    form = ParticipationForm
    formset = ParticipationFormSet
    autocomplete_fields = ["person", "party", "side"]
    fields = ["person", "party", "role", "side", "title", "note", "position"]
    classes = ["participations-inline"]

    class Media:
        css = {"all": ["tracker/admin/inlines.css"]}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Only an “add” button beside the person and the party (the side is one of the
        parties): with change, delete and view buttons too, the table does not fit beside
        the navigation sidebar."""
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None)
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget.can_change_related = widget.can_delete_related = False
            widget.can_view_related = False
            widget.can_add_related = widget.can_add_related and db_field.name != "side"
        return formfield


class OutcomeInline(EventRowsInline, admin.StackedInline):
    model = Outcome
    form = EventRowForm
    formset = EventPartsFormSet
    autocomplete_fields = ["agreed_by", "rejected_by", "sources"]
    fields = [
        ("kind", "status", "position"),
        "description",
        ("quantity", "unit"),
        ("agreed_by", "rejected_by"),
        "note",
        "sources",
    ]
    show_change_link = True


class ImplementationInline(EventRowsInline, admin.TabularInline):
    model = Implementation
    form = EventRowForm
    formset = EventPartsFormSet
    fk_name = "event"
    autocomplete_fields = ["outcome"]
    fields = ["outcome", "extent"]
    verbose_name = _("agreement this event carries out")
    verbose_name_plural = _("agreements this event carries out")


class CitationInline(EventRowsInline, admin.TabularInline):
    model = Citation
    form = EventRowForm
    formset = CitationFormSet
    min_num = 0
    autocomplete_fields = ["source"]
    fields = ["source", "supports", "position"]


class EventLinkInline(EventRowsInline, admin.TabularInline):
    """Links entered from the event they start from: “this event follows …”."""

    model = EventLink
    form = EventRowForm
    formset = EventPartsFormSet
    fk_name = "from_event"
    autocomplete_fields = ["to_event"]
    fields = ["relation", "to_event", "note"]
    verbose_name = _("link to another event")
    verbose_name_plural = _("links to other events (this event follows, answers… them)")


class IncomingLinkInline(EventRowsInline, admin.TabularInline):
    """Links entered from the event they point to, in its words: “this event is answered
    by …”, “followed by …”."""

    model = EventLink
    form = IncomingLinkForm
    formset = EventPartsFormSet
    fk_name = "to_event"
    autocomplete_fields = ["from_event"]
    fields = ["relation", "from_event", "note"]
    verbose_name = _("link from another event")
    verbose_name_plural = _("links from other events (this event is followed, answered… by them)")


def linked_events(event_ids):
    """The other events that links and “carried out” rows connect to these events."""
    links = EventLink.objects.filter(Q(from_event__in=event_ids) | Q(to_event__in=event_ids))
    carried = Implementation.objects.filter(
        Q(event__in=event_ids) | Q(outcome__event__in=event_ids)
    )
    pairs = [
        *links.values_list("from_event", "to_event"),
        *carried.values_list("event", "outcome__event"),
    ]
    return {pk for pair in pairs for pk in pair} - set(event_ids)


def event_being_edited(request):
    """The id of the event whose change page sent this request (an autocomplete), if any."""
    try:
        match = resolve(urlsplit(request.headers.get("referer", "")).path)
    except Resolver404:
        return None
    object_id = unquote(match.kwargs.get("object_id", ""))
    if match.url_name == "tracker_event_change" and object_id.isdigit():
        return int(object_id)
    return None


@admin.register(Event)
class EventAdmin(ImportAdminMixin, RecordAdmin):
    form = EventForm
    list_display = ["start_date", "title", "process", "kind", "status", "updated_at"]
    list_display_links = ["start_date", "title"]
    list_filter = ["status", "process", "kind", YearFilter, "date_precision"]
    list_select_related = ["process"]
    search_fields = ["title", "slug", "summary", "venue", "city", "region"]
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["process"]
    inlines = [
        ParticipationInline,
        OutcomeInline,
        ImplementationInline,
        EventLinkInline,
        IncomingLinkInline,
        CitationInline,
    ]
    actions = ["publish", "unpublish", "export_csv"]
    fieldsets = [
        (None, {"fields": ["process", "kind", "title", "slug", "status", "published_at"]}),
        (
            _("When"),
            {
                "fields": [
                    ("start_date", "end_date", "date_precision", "period_position"),
                    ("start_time", "duration"),
                    "duration_note",
                ]
            },
        ),
        (_("Where"), {"fields": ["venue", "city", "region", "country"]}),
        (_("What happened"), {"fields": ["summary", "source_notes", "unverified"]}),
        (_("Record"), {"fields": RECORD_FIELDS, "classes": ["collapse"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "published_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.can_publish = self.has_publish_permission(request)
        return form

    def has_publish_permission(self, request):
        return request.user.has_perm("tracker.publish_event")

    def save_model(self, request, obj, form, change):
        if obj.status == Event.Status.PUBLISHED:
            obj.publish(by=request.user)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Parts saved with the event: the other events they belong to move on too (an
        incoming link, the agreement this event carried out), and the event's history
        says which parts changed."""
        super().save_related(request, form, formsets, change)
        event = form.instance
        touched = set().union(*(getattr(f, "touched_events", ()) for f in formsets))
        reason = _("Changed through the event “%(event)s”") % {"event": event.title}
        record_touched(events=touched - {event.pk}, by=request.user, reason=reason)
        if any(formset.has_changed() for formset in formsets):
            event.history.filter(pk=event.history.latest().pk).update(
                history_change_reason=change_reason(form, formsets, change)
            )

    def delete_model(self, request, obj):
        others = linked_events([obj.pk])
        super().delete_model(request, obj)
        record_touched(events=others, by=request.user, reason=_("A linked event was deleted"))

    def delete_queryset(self, request, queryset):
        others = linked_events(list(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)
        record_touched(events=others, by=request.user, reason=_("A linked event was deleted"))

    def get_search_results(self, request, queryset, search_term):
        """In a link's autocomplete, never offer the event being edited (an event cannot
        be linked to itself)."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.GET.get("model_name") == EventLink._meta.model_name:
            editing = event_being_edited(request)
            if editing is not None:
                queryset = queryset.exclude(pk=editing)
        return queryset, may_have_duplicates

    @admin.action(permissions=["publish"], description=_("Publish selected events"))
    def publish(self, request, queryset):
        self._set_publication(request, queryset, publish=True)

    @admin.action(permissions=["publish"], description=_("Return selected events to draft"))
    def unpublish(self, request, queryset):
        self._set_publication(request, queryset, publish=False)

    @admin.action(description=_("Export selected as CSV"))
    def export_csv(self, request, queryset):
        """The selected events, drafts included, in the public events.csv format."""
        base_url = request.build_absolute_uri("/").rstrip("/")
        name = file_name(EVENTS, timezone.localdate())
        return StreamingHttpResponse(
            csv_lines(EVENTS, queryset, base_url=base_url, include_drafts=True),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @transaction.atomic
    def _set_publication(self, request, queryset, *, publish):
        target = Event.Status.PUBLISHED if publish else Event.Status.DRAFT
        changed = 0
        for event in queryset.select_for_update().exclude(status=target):
            if publish:
                event.publish(by=request.user)
            else:
                event.unpublish(by=request.user)
            event.mark_changed(
                by=request.user, reason=_("Published") if publish else _("Returned to draft")
            )
            event.save()
            changed += 1
        if publish:
            message = ngettext("Published %d event.", "Published %d events.", changed)
        else:
            message = ngettext(
                "Returned %d event to draft.", "Returned %d events to draft.", changed
            )
        self.message_user(request, message % changed, messages.SUCCESS)


class EventPartAdmin(WritesAdmin):
    """A part of an event edited on its own page: saving it counts as a change to the
    events it belongs to (both events, for a link or a “carried out” row), before and
    after the change.

    So their versions move on (an event form open elsewhere will not overwrite it) and
    the seed loader knows that a person has edited them.
    """

    form = EventPartForm

    def get_fieldsets(self, request, obj=None):
        return with_version_field(super().get_fieldsets(request, obj), VERSIONS)

    def touch_events(self, request, event_ids):
        reason = _("Changed through its %(part)s") % {"part": self.model._meta.verbose_name}
        record_touched(events=event_ids, by=request.user, reason=reason)

    def save_model(self, request, obj, form, change):
        obj._change_reason = change_reason(form, change=change)
        super().save_model(request, obj, form, change)
        self.touch_events(request, form.touched_events)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        touched = set().union(*(getattr(f, "touched_events", ()) for f in formsets))
        self.touch_events(request, touched - form.touched_events)

    def delete_model(self, request, obj):
        event_ids = event_ids_of_rows(self.model, [obj.pk])
        super().delete_model(request, obj)
        self.touch_events(request, event_ids)

    def delete_queryset(self, request, queryset):
        event_ids = event_ids_of_rows(self.model, list(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)
        self.touch_events(request, event_ids)


class ImplementationOfOutcomeInline(EventRowsInline, admin.TabularInline):
    model = Implementation
    form = EventRowForm
    formset = EventPartsFormSet
    fk_name = "outcome"
    autocomplete_fields = ["event"]
    fields = ["event", "extent"]
    verbose_name = _("event that carried it out")
    verbose_name_plural = _("events that carried it out")


@admin.register(Outcome)
class OutcomeAdmin(EventPartAdmin):
    list_display = ["description", "event", "kind", "status", "quantity", "unit"]
    list_filter = ["status", "kind", "event__process"]
    list_select_related = ["event"]
    search_fields = ["description", "note", "event__title"]
    autocomplete_fields = ["event", "agreed_by", "rejected_by", "sources"]
    inlines = [ImplementationOfOutcomeInline]


@admin.register(Participation)
class ParticipationAdmin(EventPartAdmin):
    form = ParticipationPageForm
    list_display = ["event", "person", "party", "role", "side", "title"]
    list_filter = ["role", "side", "event__process"]
    list_select_related = ["event", "person", "party", "side"]
    search_fields = ["person__name", "party__name", "title", "event__title"]
    autocomplete_fields = ["event", "person", "party", "side"]


@admin.register(EventLink)
class EventLinkAdmin(EventPartAdmin):
    list_display = ["from_event", "relation", "to_event"]
    list_filter = ["relation"]
    list_select_related = ["from_event", "to_event"]
    search_fields = ["from_event__title", "to_event__title", "note"]
    autocomplete_fields = ["from_event", "to_event"]
