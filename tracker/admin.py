"""The editors' admin: configuration first, a few hooks for versions, publishing and CSV."""

from django.contrib import admin, messages
from django.db import models, transaction
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from .admin_imports import ImportAdminMixin
from .columns import EVENTS
from .csv_export import csv_lines, file_name
from .forms import (
    CitationFormSet,
    ConflictCheckForm,
    EventForm,
    EventPartForm,
    ParticipationFormSet,
)
from .models import (
    Citation,
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

admin.site.site_header = _("Peace negotiation tracker")
admin.site.site_title = _("Tracker admin")
admin.site.index_title = _("The negotiation record")

RECORD_FIELDS = ["created_at", "updated_at", "changed_by", "version"]


class RecordAdmin(SimpleHistoryAdmin):
    """Every curated record: history, who changed it, and refusal of conflicting edits."""

    form = ConflictCheckForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *RECORD_FIELDS]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(name, dict(options)) for name, options in super().get_fieldsets(request, obj)]
        if not any("seen_version" in options["fields"] for _name, options in fieldsets):
            name, options = fieldsets[0]
            options["fields"] = [*options["fields"], "seen_version"]
        return fieldsets

    def save_model(self, request, obj, form, change):
        if change:
            reason = _("Changed in the admin: %(fields)s") % {
                "fields": ", ".join(form.changed_data) or _("no field")
            }
        else:
            reason = _("Added in the admin")
        obj.mark_changed(
            by=request.user, reason=reason, from_version=form.cleaned_data.get("seen_version")
        )
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        RecordVersion.bump()
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        RecordVersion.bump()
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


@admin.register(Process)
class ProcessAdmin(RecordAdmin):
    list_display = ["title", "conflict", "status", "start_date", "end_date", "position"]
    list_filter = ["status", "conflict"]
    search_fields = ["title", "description", "conflict"]
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


class ParticipationInline(admin.TabularInline):
    model = Participation
    formset = ParticipationFormSet
    extra = 0
    autocomplete_fields = ["person", "party", "side"]
    fields = ["person", "party", "role", "side", "title", "note", "position"]


class OutcomeInline(admin.StackedInline):
    model = Outcome
    extra = 0
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


class ImplementationInline(admin.TabularInline):
    model = Implementation
    fk_name = "event"
    extra = 0
    autocomplete_fields = ["outcome"]
    verbose_name = _("agreement this event carries out")
    verbose_name_plural = _("agreements this event carries out")


class CitationInline(admin.TabularInline):
    model = Citation
    formset = CitationFormSet
    extra = 0
    min_num = 0
    autocomplete_fields = ["source"]
    fields = ["source", "supports", "position"]


class EventLinkInline(admin.TabularInline):
    model = EventLink
    fk_name = "from_event"
    extra = 0
    autocomplete_fields = ["to_event"]
    fields = ["relation", "to_event", "note"]


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
        CitationInline,
    ]
    actions = ["publish", "unpublish", "export_csv"]
    fieldsets = [
        (None, {"fields": ["process", "kind", "title", "slug", "status", "published_at"]}),
        (
            _("When"),
            {
                "fields": [
                    ("start_date", "end_date", "date_precision"),
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

    @admin.action(permissions=["publish"], description=_("Publish selected events"))
    def publish(self, request, queryset):
        self._set_publication(request, queryset, publish=True)

    @admin.action(permissions=["publish"], description=_("Return selected events to draft"))
    def unpublish(self, request, queryset):
        self._set_publication(request, queryset, publish=False)

    @admin.action(description=_("Export selected as CSV"))
    def export_csv(self, request, queryset):
        """The selected events, drafts included, in the public events.csv format."""
        events = queryset.for_export(include_drafts=True)
        base_url = request.build_absolute_uri("/").rstrip("/")
        name = file_name(EVENTS, timezone.localdate())
        return StreamingHttpResponse(
            csv_lines(EVENTS, events, base_url=base_url),
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


class EventPartAdmin(SimpleHistoryAdmin):
    """A part of an event edited on its own page: saving it counts as a change to the event.

    So the event's version moves on (an event form open elsewhere will not overwrite it)
    and the seed loader knows that a person has edited the event.
    """

    event_field = "event"
    form = EventPartForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.event_field = self.event_field
        return form

    def touch_events(self, request, event_ids):
        reason = _("Changed through its %(part)s") % {"part": self.model._meta.verbose_name}
        Event.objects.filter(pk__in=event_ids).record_change(by=request.user, reason=reason)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.touch_events(request, [getattr(obj, f"{self.event_field}_id")])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self.touch_events(request, [getattr(obj, f"{self.event_field}_id")])

    def delete_queryset(self, request, queryset):
        event_ids = list(queryset.values_list(self.event_field, flat=True))
        super().delete_queryset(request, queryset)
        self.touch_events(request, event_ids)


class ImplementationOfOutcomeInline(admin.TabularInline):
    model = Implementation
    fk_name = "outcome"
    extra = 0
    autocomplete_fields = ["event"]
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
    list_display = ["event", "person", "party", "role", "side", "title"]
    list_filter = ["role", "side", "event__process"]
    list_select_related = ["event", "person", "party", "side"]
    search_fields = ["person__name", "party__name", "title", "event__title"]
    autocomplete_fields = ["event", "person", "party", "side"]


@admin.register(EventLink)
class EventLinkAdmin(EventPartAdmin):
    event_field = "from_event"
    list_display = ["from_event", "relation", "to_event"]
    list_filter = ["relation"]
    list_select_related = ["from_event", "to_event"]
    search_fields = ["from_event__title", "to_event__title", "note"]
    autocomplete_fields = ["from_event", "to_event"]
