import datetime
import functools
import hashlib
from operator import itemgetter

from django.core.exceptions import EmptyResultSet, FullResultSet, ValidationError
from django.core.validators import MinValueValidator
from django.db import connections, models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Trunc
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from ..text import search_key
from . import periods
from .base import Record, RecordQuerySet
from .bulk import update_values
from .labels import quick_labels
from .validators import validate_shown_date

#: The order of events everywhere: by the day they sort on (their own day, or where the
#: editor placed them in their month or year), then by time, NULL times first on every
#: database.
PRECISION_MESSAGE = _(
    "A date known only to the month is entered as the 1st of that month "
    "(e.g. 2016-11-01 for November 2016), and one known only to the year as "
    "1 January of that year."
)
CHRONOLOGICAL = ["sort_date", F("start_time").asc(nulls_first=True), "start_date", "pk"]


def _earlier_sql(a, b):
    """SQL true when the event ``a`` comes before ``b`` in :data:`CHRONOLOGICAL` order
    (sort date, time with NULL first, start date, id): ``_earlier_than`` in SQL. ``a``
    and ``b`` are templates, each giving an event's column from the column's name."""
    day, time, start, pk = (
        (a.format(name), b.format(name)) for name in ("sort_date", "start_time", "start_date", "id")
    )
    return (
        f"({day[0]} < {day[1]} OR {day[0]} = {day[1]} AND ("
        f"{time[1]} IS NOT NULL AND ({time[0]} IS NULL OR {time[0]} < {time[1]})"
        f" OR ({time[0]} = {time[1]} OR {time[0]} IS NULL AND {time[1]} IS NULL)"
        f" AND ({start[0]} < {start[1]} OR {start[0]} = {start[1]} AND {pk[0]} < {pk[1]})))"
    )


@functools.lru_cache(maxsize=16)
def page_versions_sql(quote, shown):
    """The one statement of :meth:`EventQuerySet.page_versions`: rows ``(part, id,
    version)``, part 0 the event called by the first parameter among the events where
    ``shown`` holds (SQL on the events table, its parameters given three times after the
    slug), 1 and 2 the events before and after it in its process among those, 3 the
    events linked to it or to its agreements, whatever their status.

    The found event's values reach the other parts as scalar subqueries, which the
    planner treats as parameters: each neighbour is then found on an index from the
    event's process and date, as a query given those values would be."""
    from .outcomes import Implementation, Outcome

    event, link = quote(Event._meta.db_table), quote(EventLink._meta.db_table)
    outcome, implementation = (quote(m._meta.db_table) for m in (Outcome, Implementation))
    here, found = f"{event}.{{}}", "(SELECT {} FROM e)"
    columns = "id, version, process_id, sort_date, start_time, start_date"
    neighbour = (
        f"SELECT id, version FROM {event} WHERE process_id = (SELECT process_id FROM e)"
        " AND id <> (SELECT id FROM e) AND ({shown}) AND sort_date {bound}"
        " (SELECT sort_date FROM e) AND {order} ORDER BY {sort} LIMIT 1"
    )
    before = neighbour.format(
        shown=shown,
        bound="<=",
        order=_earlier_sql(here, found),
        sort="sort_date DESC, start_time DESC NULLS LAST, start_date DESC, id DESC",
    )
    after = neighbour.format(
        shown=shown,
        bound=">=",
        order=_earlier_sql(found, here),
        sort="sort_date, start_time NULLS FIRST, start_date, id",
    )
    linked = (
        f"SELECT to_event_id FROM {link} WHERE from_event_id = (SELECT id FROM e)"
        f" UNION SELECT from_event_id FROM {link} WHERE to_event_id = (SELECT id FROM e)"
        f" UNION SELECT i.event_id FROM {implementation} i JOIN {outcome} o"
        f" ON o.id = i.outcome_id WHERE o.event_id = (SELECT id FROM e)"
        f" UNION SELECT o.event_id FROM {implementation} i JOIN {outcome} o"
        f" ON o.id = i.outcome_id WHERE i.event_id = (SELECT id FROM e)"
    )
    return (
        f"WITH e AS (SELECT {columns} FROM {event} WHERE {event}.slug = %s AND ({shown}))"
        " SELECT 0, id, version FROM e"
        f" UNION ALL SELECT 1, id, version FROM ({before}) AS before_it"
        f" UNION ALL SELECT 2, id, version FROM ({after}) AS after_it"
        f" UNION ALL SELECT 3, id, version FROM {event} WHERE id IN ({linked})"
    )


class EventQuerySet(RecordQuerySet):
    def published(self):
        """The one rule for what the public sees: published events only."""
        return self.filter(status=Event.Status.PUBLISHED)

    def chronological(self):
        return self.order_by(*CHRONOLOGICAL)

    def with_latest_release(self):
        """Annotate ``latest_release``: the version of the latest release (not withdrawn)
        holding each event, or None; a subquery, so no query more."""
        from .releases import ReleaseEntry

        return self.annotate(latest_release=ReleaseEntry.latest_version_holding(OuterRef("pk")))

    def before(self, event):
        """The events that come before ``event`` in :meth:`chronological` order, in it."""
        return self.chronological().filter(self._earlier_than(event))

    def after(self, event):
        """The events that come after ``event`` in :meth:`chronological` order, in it."""
        return self.chronological().exclude(self._earlier_than(event)).exclude(pk=event.pk)

    @staticmethod
    def _earlier_than(event):
        """Earlier in the order (sort date, time with NULL first, start date, id)."""
        time = event.start_time
        if time is None:
            same_time = Q(start_time__isnull=True)
            earlier_time = Q(pk__in=[])
        else:
            same_time = Q(start_time=time)
            earlier_time = Q(start_time__isnull=True) | Q(start_time__lt=time)
        same_start = Q(start_date=event.start_date)
        return (
            Q(sort_date__lt=event.sort_date)
            | Q(sort_date=event.sort_date) & earlier_time
            | Q(sort_date=event.sort_date)
            & same_time
            & (Q(start_date__lt=event.start_date) | same_start & Q(pk__lt=event.pk))
        )

    def refresh_derived(self):
        """Recompute what these events derive from their fields and their participants
        (the sort date and the search text) and store it where it changed. Called by
        ``Event.after_change``, so by every write path; returns how many were changed.

        Read as plain rows, a query for the events and one per 500 of them for their
        participants' names, then one short update per changed event, sent at once."""
        from .participations import Participation

        manager = self.model._base_manager.db_manager(self.db)
        fields = ["pk", *Event.DERIVED_FROM, "sort_date", "search_text"]
        rows = list(manager.filter(pk__in=self.values("pk")).values_list(*fields))
        changed = []
        for start in range(0, len(rows), 500):  # SQLite slows down on long IN lists
            chunk = rows[start : start + 500]
            participants = {}
            for event_id, *names in (
                Participation.objects.using(self.db)
                .filter(event_id__in=[row[0] for row in chunk])
                .values_list("event_id", "person__name", "party__name", "title")
            ):
                participants.setdefault(event_id, []).append(names)
            for pk, *values, sort_date, search_text in chunk:
                derived = Event.derived_values(
                    dict(zip(Event.DERIVED_FROM, values, strict=True)),
                    Event.participant_names(participants.get(pk, [])),
                )
                if derived != (sort_date, search_text):
                    changed.append((pk, *derived))
        update_values(self.model, ["sort_date", "search_text"], changed, using=manager.db)
        return len(changed)

    def with_main_outcome(self):
        """Annotate the strongest outcome's status and description (one subquery each)."""
        from .outcomes import Outcome

        strongest = (
            Outcome.objects.filter(event=OuterRef("pk"))
            .annotate(strength=Outcome.strength_expression())
            .order_by("-strength", "position", "pk")
        )
        return self.annotate(
            main_outcome_status=Subquery(strongest.values("status")[:1]),
            main_outcome_description=Subquery(strongest.values("description")[:1]),
        )

    @staticmethod
    def timeline_lane_fields():
        """What a timeline knows of an event's lane and of the conflict that groups the
        lanes, read here and nowhere else."""
        return {
            "process_title": F("process__title"),
            "process_slug": F("process__slug"),
            "process_position": F("process__position"),
            "conflict_name": F("process__conflict__name"),
        }

    def for_timeline(self):
        """The fields a timeline chart draws, as plain rows in one query."""
        return (
            self.with_main_outcome()
            .chronological()
            .values(
                "pk",
                "slug",
                "title",
                "kind",
                "start_date",
                "end_date",
                "date_precision",
                "sort_date",
                "city",
                "country",
                "venue",
                "main_outcome_status",
                "main_outcome_description",
                **self.timeline_lane_fields(),
            )
        )

    def for_timeline_outline(self):
        """What a timeline needs before it draws anything, as plain rows in one query: per
        lane (process) and date precision, the number of events, their first start and
        their last start and end (a few rows per lane, whatever the number of events)."""
        return (
            self.order_by()
            .values("process_id", "date_precision", **self.timeline_lane_fields())
            .annotate(
                events=Count("pk"),
                first=Min("start_date"),
                last_start=Max("start_date"),
                last_end=Max("end_date"),
            )
        )

    def for_timeline_counts(self, period, precisions):
        """The events counted per lane (``process_id``) and ``period`` (a ``Trunc`` kind:
        week, month, quarter, year), as plain rows in one query. An event that falls in
        one period (its date precise to one of ``precisions``, its end in the period of its
        start), as most do, is counted by the database: ``within`` is true and
        ``start_date`` is the period's first day. Others keep their own dates, counted
        alike together (``events``), for the caller to spread over the periods they reach."""
        # Cast: PostgreSQL truncates a date to a timestamp, which a CASE keeps.
        first = Cast(Trunc("start_date", period), models.DateField())
        last = Cast(Trunc("end_date", period), models.DateField())
        within = Q(date_precision__in=precisions) & (
            Q(end_date__isnull=True) | Q(end_date__lte=F("start_date")) | Exact(last, first)
        )

        def where_within(then, otherwise):
            return Case(When(within, then=then), default=otherwise)

        return (
            self.order_by()
            .values(
                "process_id",
                within=where_within(Value(True), Value(False)),
                start=where_within(first, F("start_date")),
                end=where_within(Value(None, models.DateField()), F("end_date")),
                precision=where_within(Value(""), F("date_precision")),
            )
            .annotate(events=Count("pk"))
        )

    def for_listing(self):
        """The event list: each event's process and every outcome (strongest first), in a
        fixed number of queries."""
        from .outcomes import Outcome

        outcomes = (
            Outcome.objects.annotate(strength=Outcome.strength_expression())
            .only("event_id", "status", "description", "position")
            .order_by("-strength", "position", "pk")
        )
        return (
            self.select_related("process")
            .prefetch_related(Prefetch("outcomes", queryset=outcomes))
            .chronological()
        )

    def with_parts(self, *, include_drafts=False):
        """An event's participants, outcomes (with who agreed or rejected them, their
        sources and the events that carried them out) and citations, prefetched.

        Events that carried out an outcome are limited to published ones unless
        ``include_drafts``, so that nothing public ever names a draft.
        """
        from .outcomes import Implementation

        shown = Q() if include_drafts else shown_to_the_public("event_id")
        return self._own_parts(
            "agreed_by",
            "rejected_by",
            "sources",
            Prefetch(
                "implementations",
                queryset=Implementation.objects.filter(shown)
                .select_related("event")
                .order_by("event__sort_date", "event__start_date", "event_id"),
            ),
        )

    def _own_parts(self, *outcome_lookups):
        """Participants, outcomes (with ``outcome_lookups``) and citations, prefetched."""
        from .outcomes import Outcome
        from .participations import Participation

        # Within one event, the parts' default orders (which begin with the event's date
        # and id, a join each) come down to these.
        return self.select_related("process__conflict").prefetch_related(
            Prefetch(
                "participations",
                queryset=Participation.objects.select_related("person", "party", "side").order_by(
                    "position", "pk"
                ),
            ),
            Prefetch(
                "outcomes",
                queryset=Outcome.objects.order_by("position", "pk").prefetch_related(
                    *outcome_lookups
                ),
            ),
            Prefetch("citations", queryset=Citation.objects.select_related("source")),
        )

    def for_detail(self):
        """Event pages: each event's participants, outcomes (with their sources) and
        citations. Call :func:`read_page_parts` on the events found for the rest."""
        return self._own_parts("sources")

    def versions_digest(self):
        """One digest of these events' ids and versions: it changes whenever one of them
        is written (its version moves, as it does when its parts change), leaves this
        queryset or joins it. What a list narrowed to part of the record is cached by
        (``tracker.views.event_list_versions``)."""
        rows = self.order_by("pk").values_list("pk", "version")
        return hashlib.sha256(repr(list(rows)).encode()).hexdigest()

    def page_versions(self, slug):
        """What the page of the event called ``slug`` (in this queryset) shows of the
        events, as ``[(id, version), …]``: the event itself, the events before and after
        it in its process (as :meth:`before` and :meth:`after` find them here), and every
        event linked to it or to its agreements, whatever their status (publishing one
        changes the page). Empty when no event here is called ``slug``.

        With ``RecordVersion.shared`` (everything else a page shows), this is what an
        event's page is cached by: any change to what the page shows changes it, and
        a save of any other event does not. It is read on every request for a cached
        event page, so it is one statement (:func:`page_versions_sql`), each part on an
        index; tests/test_page_cache.py holds it to :meth:`before`, :meth:`after` and the
        links for every event of the seeds and of a second record.
        """
        query = self.query
        joined = len(query.alias_map) > 1 or query.extra or query.extra_tables
        if joined or query.is_sliced or query.combinator:
            raise ValueError("page_versions reads events filtered by their own columns only")
        compiler = self.query.get_compiler(self.db)
        try:
            shown, params = compiler.compile(self.query.where)
        except FullResultSet:
            shown, params = "1 = 1", []
        except EmptyResultSet:
            return []
        sql = page_versions_sql(connections[self.db].ops.quote_name, shown)
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, [slug, *params, *params, *params])
            rows = cursor.fetchall()
        if not rows:
            return []
        own = sorted((row for row in rows if row[0] < 3), key=itemgetter(0))
        linked = sorted((pk, version) for part, pk, version in rows if part == 3)
        return [(pk, version) for _part, pk, version in own] + linked

    def for_export(self, *, include_drafts=False):
        """Everything the four CSV tables write, in export order, prefetched chunk by
        chunk when iterated: the event's parts and its links to other events (to
        published ones only, unless ``include_drafts``)."""
        shown = Q() if include_drafts else shown_to_the_public("to_event_id")
        links = (
            EventLink.objects.filter(shown)
            .select_related("to_event")
            .order_by(
                "to_event__sort_date", "to_event__start_date", "to_event_id", "relation", "pk"
            )
        )
        return (
            self.with_parts(include_drafts=include_drafts)
            .prefetch_related(Prefetch("links_out", queryset=links))
            .chronological()
        )

    def summary(self):
        """Headline counts for these events: events, rounds of talks, agreements
        (``Outcome.AGREEMENT_STATUSES``), and agreements carried out, in full or in part,
        by a published event or by their own status (implemented)."""
        from .outcomes import Implementation, Outcome

        counts = self.aggregate(
            events=Count("pk"),
            rounds=Count("pk", filter=Q(kind=Event.Kind.ROUND_OF_TALKS)),
        )
        agreements = Outcome.objects.filter(event__in=self.values("pk")).agreements()
        counts |= agreements.aggregate(
            agreements=Count("pk", distinct=True),
            carried_out=Count(
                "pk",
                distinct=True,
                filter=Outcome.objects.carried_out_q(
                    Implementation.objects.filter(shown_to_the_public("event_id"))
                ),
            ),
        )
        return counts


def read_page_parts(events, *, include_drafts=False):
    """What the pages of ``events`` (fetched by :meth:`EventQuerySet.for_detail`) show
    beyond their own parts, in three queries however many they are and show, where
    prefetches took seven:

    - ``outcome.agreeing`` and ``outcome.rejecting``: see :func:`read_stances`;
    - ``event.links_to`` and ``event.links_from``: its links out and in, each in the
      other event's date order;
    - ``event.carried_out``: the agreements it carried out (implementations, each with
      ``outcome.event``), in the order they were recorded;
    - ``outcome.carried_out_by``: the implementations of each of its outcomes (each with
      ``event``), in the carrying events' order.

    The other events are published ones only, unless ``include_drafts``: nothing public
    names a draft, even through a link. Each row is read once, by the ids of its two
    ends (an index scan on each), with whether each end is shown as the database answers
    :func:`shown_to_the_public`.
    """
    from .outcomes import Implementation, read_stances

    def shown(field):
        return Value(True) if include_drafts else shown_to_the_public(field)

    events = list(events)
    ids = [event.pk for event in events]
    outcomes = read_stances(o for event in events for o in event.outcomes.all())
    links = list(
        EventLink.objects.filter(Q(from_event_id__in=ids) | Q(to_event_id__in=ids))
        .select_related("from_event", "to_event")
        .annotate(from_shown=shown("from_event_id"), to_shown=shown("to_event_id"))
        .order_by("pk")
    )
    implementations = list(
        Implementation.objects.filter(
            Q(event_id__in=ids) | Q(outcome_id__in=[outcome.pk for outcome in outcomes])
        )
        .select_related("event", "outcome__event")
        .annotate(event_shown=shown("event_id"), agreement_shown=shown("outcome__event_id"))
        .order_by("pk")
    )
    for event in events:
        event.links_to = sorted(
            (link for link in links if link.from_event_id == event.pk and link.to_shown),
            key=lambda link: (link.to_event.start_date, link.pk),
        )
        event.links_from = sorted(
            (link for link in links if link.to_event_id == event.pk and link.from_shown),
            key=lambda link: (link.from_event.start_date, link.pk),
        )
        event.carried_out = [
            done for done in implementations if done.event_id == event.pk and done.agreement_shown
        ]
    for outcome in outcomes:
        outcome.carried_out_by = sorted(
            (
                done
                for done in implementations
                if done.outcome_id == outcome.pk and done.event_shown
            ),
            key=lambda done: (done.event.sort_date, done.event.start_date, done.event_id),
        )
    return events


def shown_to_the_public(field):
    """A condition for a related row: the event its ``field`` points to is published.

    Written as EXISTS on ``published()``, which databases plan well inside prefetches.
    """
    return Exists(Event.objects.published().filter(pk=OuterRef(field)))


@quick_labels
class Event(Record):
    """Something that happened in a negotiation: a round of talks, a call, a signing..."""

    class Kind(models.TextChoices):
        ROUND_OF_TALKS = "round_of_talks", _("round of talks")
        SUMMIT = "summit", _("summit")
        PHONE_CALL = "phone_call", _("phone call")
        PROPOSAL = "proposal", _("proposal")
        SIGNING = "signing", _("signing")
        PRISONER_EXCHANGE = "prisoner_exchange", _("prisoner exchange")
        CEASEFIRE = "ceasefire", _("ceasefire")
        STATEMENT = "statement", _("statement")
        CONFERENCE = "conference", _("conference")
        OTHER = "other", _("other")

    class Precision(models.TextChoices):
        DAY = "day", _("exact day")
        MONTH = "month", _("month only")
        YEAR = "year", _("year only")

    class PeriodPosition(models.TextChoices):
        EARLY = periods.EARLY, _("early in the month or year")
        MIDDLE = periods.MIDDLE, _("in the middle of the month or year")
        LATE = periods.LATE, _("late in the month or year")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        REVIEW = "review", _("in review")
        PUBLISHED = "published", _("published")

    process = models.ForeignKey(
        "Process", verbose_name=_("process"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(
        _("slug"),
        max_length=120,
        unique=True,
        help_text=_("Part of the public address; keep it stable once published."),
    )
    start_date = models.DateField(_("start date"), validators=[validate_shown_date])
    end_date = models.DateField(
        _("end date"),
        null=True,
        blank=True,
        validators=[validate_shown_date],
        help_text=_("Only for events over several days."),
    )
    date_precision = models.CharField(
        _("date precision"),
        max_length=10,
        choices=Precision.choices,
        default=Precision.DAY,
        help_text=_(
            "How exactly the date is known. For “May 2025” enter 2025-05-01 and choose "
            "“month only”; pages then show the date as approximate."
        ),
    )
    period_position = models.CharField(
        _("place in its month or year"),
        max_length=10,
        choices=PeriodPosition.choices,
        default=PeriodPosition.MIDDLE,
        help_text=_(
            "For a date known only to the month or year: whether the event came early, in "
            "the middle or late in it, so that lists, previous/next and charts place it "
            "among dated events (e.g. “late” puts “November 2016” after 24 November). "
            "Ignored for an exact day."
        ),
    )
    sort_date = models.DateField(
        _("sort date"),
        editable=False,
        db_index=True,
        validators=[validate_shown_date],
        help_text=_("Derived from the date, its precision and its place in its period."),
    )
    search_text = models.TextField(
        _("search text"),
        editable=False,
        blank=True,
        default="",
        help_text=_(
            "Derived: title, summary, place and participants' names and titles, "
            "case-folded and without accents."
        ),
    )
    start_time = models.TimeField(_("start time (local)"), null=True, blank=True)
    duration = models.DurationField(
        _("duration"),
        null=True,
        blank=True,
        validators=[MinValueValidator(datetime.timedelta(0))],
        help_text=_("E.g. 1:55:00 for just under two hours."),
    )
    duration_note = models.CharField(
        _("duration as reported"),
        max_length=300,
        blank=True,
        help_text=_("How sources describe the length, e.g. “just under two hours”."),
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    country = CountryField(_("country"), blank=True)
    summary = models.TextField(_("summary"), blank=True)
    source_notes = models.TextField(
        _("where sources disagree"),
        blank=True,
        help_text=_("Disputed or conflicting facts, each with the sources that give them."),
    )
    unverified = models.TextField(
        _("not verified"),
        blank=True,
        help_text=_("Points no source could confirm, one per line. Shown to readers as such."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(_("first published"), null=True, blank=True)

    #: The fields the derived ones are computed from (besides participants' names).
    DERIVED_FROM = [
        "start_date",
        "date_precision",
        "period_position",
        "title",
        "summary",
        "venue",
        "city",
        "region",
    ]
    #: What the tracker derives and stores; never edited, exported or kept in history.
    DERIVED = ["sort_date", "search_text"]
    PRECISION_MESSAGE = PRECISION_MESSAGE

    history = HistoricalRecords(excluded_fields=DERIVED)
    objects = EventQuerySet.as_manager()

    #: Every write to an event or to one of its parts moves the version of each event
    #: it touches (tests/test_import_write_paths.py walks the write paths), so a
    #: write confined to them leaves ``RecordVersion.shared`` as it is.
    kept_by_event_versions = True

    class Meta:
        ordering = CHRONOLOGICAL
        verbose_name = _("event")
        verbose_name_plural = _("events")
        permissions = [("publish_event", _("Can publish and unpublish events"))]
        indexes = [
            models.Index(fields=["status", "start_date"]),
            models.Index(fields=["status", "sort_date"], name="tracker_eve_status_sort_idx"),
            # An event's neighbours in its process, looked for on every event page.
            models.Index(fields=["process", "sort_date"], name="tracker_eve_process_sort_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="event_ends_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(date_precision="day")
                | Q(date_precision="month", start_date__day=1)
                | Q(date_precision="year", start_date__day=1, start_date__month=1),
                name="event_approximate_date_starts_its_period",
                violation_error_message=PRECISION_MESSAGE,
            ),
        ]

    def __str__(self):
        return f"{self.start_date.isoformat()} {self.title}"

    def get_absolute_url(self):
        return reverse("event-detail", kwargs={"slug": self.slug})

    def clean(self):
        """The precision rule beside the date field (the constraint backs it)."""
        super().clean()
        if not self.start_date:
            return
        try:
            validate_shown_date(self.start_date)
        except ValidationError:
            return  # one problem with a date at a time: the range comes first
        if self.start_date != periods.period_start(self.start_date, self.date_precision):
            raise ValidationError(
                {"start_date": self.PRECISION_MESSAGE}, code="approximate_date_not_first"
            )

    def derive(self, *, participant_names=None):
        """Set the derived fields from this instance's own fields and, when given, its
        participants' names and titles (else the search text keeps them as stored)."""
        values = {name: getattr(self, name) for name in self.DERIVED_FROM}
        self.sort_date, search_text = self.derived_values(values, participant_names)
        if participant_names is not None:
            self.search_text = search_text

    @staticmethod
    def derived_values(values, participant_names):
        """``(sort date, search text)`` from the fields ``DERIVED_FROM`` (``{name:
        value}``) and the participants' names and titles (None: no search text)."""
        sort_date = periods.sort_date(
            values["start_date"], values["date_precision"], values["period_position"]
        )
        if participant_names is None:
            return sort_date, None
        own = [values[name] for name in ("title", "summary", "venue", "city", "region")]
        search_text = "\n".join(search_key(part) for part in (*own, *participant_names) if part)
        return sort_date, search_text

    @staticmethod
    def participant_names(participants):
        """What the search text keeps of an event's participants: each one's person's
        name, party's name and title, where given, in their order (position, then id).
        ``participants``: ``(person's name, party's name, title)`` for each."""
        return [name for names in participants for name in names if name]

    def written_with(self, participations):
        """Tell a new event the participations a bulk write creates right after it, in
        their order: its search text names them from its first write
        (:meth:`prepare_write`), so that no update of the event follows theirs."""
        self._written_with = list(participations)

    def prepare_write(self):
        """The sort date, and a new event's search text from its own fields and the
        participations it is written with (:meth:`written_with`; others follow in
        :meth:`after_change`). Those it names are marked ``derived_by_event``: the bulk
        writers leave them out of ``Participation.after_change``, which would read the
        event back to find nothing to change."""
        if not self.start_date:
            return
        if not self._state.adding:
            self.derive()
            return
        participations = getattr(self, "_written_with", [])
        names = []
        for participation in participations:
            person, party = participation.person, participation.party
            names.append((person and person.name, party and party.name, participation.title))
        self.derive(participant_names=self.participant_names(names))
        for participation in participations:
            participation.derived_by_event = True

    @classmethod
    def after_change(cls, ids, *, created=False):
        """The sort date and the search text follow every change of these events.

        Events just created derived both as they were written (:meth:`prepare_write`):
        no participation can name an event before it exists, and those written after
        it refresh it through ``Participation.after_change``."""
        if created:
            return
        ids = list(ids)
        for start in range(0, len(ids), 500):  # SQLite slows down on long IN lists
            cls.objects.filter(pk__in=ids[start : start + 500]).refresh_derived()

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    @property
    def is_approximate(self):
        return self.date_precision != self.Precision.DAY

    def surely_before(self, other):
        """Whether this event started before ``other`` whatever day within their months or
        years they took place: “November 2016” is not surely before 24 November 2016."""
        return periods.latest_day(self.start_date, self.date_precision) < periods.earliest_day(
            other.start_date, other.date_precision
        )

    @property
    def place_parts(self):
        """Venue, city, region and country name, as far as they are known."""
        return [p for p in (self.venue, self.city, self.region, self.country.name) if p]

    @property
    def unverified_points(self):
        return [line.strip() for line in self.unverified.splitlines() if line.strip()]

    def publish(self, *, by=None, when=None):
        """Make the event public. ``published_at`` keeps the first publication time."""
        self.status = self.Status.PUBLISHED
        self.published_at = self.published_at or when or timezone.now()
        if by:  # else who changed it stays as it is (an import publishes thousands)
            self.changed_by = by

    def unpublish(self, *, by=None):
        self.status = self.Status.DRAFT
        if by:
            self.changed_by = by


class Citation(models.Model):
    """A source backing an event, with what it supports."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="citations"
    )
    source = models.ForeignKey(
        "Source", verbose_name=_("source"), on_delete=models.PROTECT, related_name="citations"
    )
    supports = models.CharField(
        _("supports"),
        max_length=500,
        blank=True,
        help_text=_("Which facts this source backs, if not the whole event."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    #: A part of events: see ``Event.kept_by_event_versions``.
    kept_by_event_versions = True

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "source"],
                name="citation_once_per_event",
                violation_error_message=_("This source is already cited for this event."),
            ),
        ]

    def __str__(self):
        return str(self.source)


@quick_labels
class EventLink(models.Model):
    """One event following, answering or building on another.

    Read a link as “<from event> <relation> <to event>”, e.g. “round 2 follows round 1”;
    the other event shows the inverse wording (“followed by”). Carrying out an agreement
    is not a link but an :class:`Implementation` of the outcome.
    """

    class Relation(models.TextChoices):
        FOLLOWS = "follows", _("follows")
        RESPONDS_TO = "responds_to", _("responds to")
        RESULTS_FROM = "results_from", _("results from")
        CONTINUES = "continues", _("continues")
        REVISES = "revises", _("revises")
        ENDS = "ends", _("ends")
        BUILDS_ON = "builds_on", _("builds on")
        REFERS_BACK_TO = "refers_back_to", _("refers back to")
        ATTEMPTS_TO_REVIVE = "attempts_to_revive", _("attempts to revive")
        ON_THE_EVE_OF = "on_the_eve_of", _("took place on the eve of")
        FIRST_SINCE = "first_since", _("is the first of its kind since")

    INVERSE_LABELS = {
        Relation.FOLLOWS: _("followed by"),
        Relation.RESPONDS_TO: _("answered by"),
        Relation.RESULTS_FROM: _("led to"),
        Relation.CONTINUES: _("continued by"),
        Relation.REVISES: _("revised by"),
        Relation.ENDS: _("ended by"),
        Relation.BUILDS_ON: _("built on by"),
        Relation.REFERS_BACK_TO: _("referred back to by"),
        Relation.ATTEMPTS_TO_REVIVE: _("revival attempted by"),
        Relation.ON_THE_EVE_OF: _("preceded on its eve by"),
        Relation.FIRST_SINCE: _("the last of its kind before"),
    }

    from_event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="links_out"
    )
    relation = models.CharField(_("relation"), max_length=30, choices=Relation.choices)
    to_event = models.ForeignKey(
        Event, verbose_name=_("other event"), on_delete=models.CASCADE, related_name="links_in"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    history = HistoricalRecords()

    #: A part of events: see ``Event.kept_by_event_versions``.
    kept_by_event_versions = True

    class Meta:
        ordering = ["from_event__start_date", "to_event__start_date", "pk"]
        verbose_name = _("link between events")
        verbose_name_plural = _("links between events")
        constraints = [
            models.UniqueConstraint(
                fields=["from_event", "relation", "to_event"],
                name="event_link_once",
                violation_error_message=_("These events are already linked this way."),
            ),
            models.CheckConstraint(
                condition=~Q(from_event=F("to_event")),
                name="event_link_not_to_itself",
                violation_error_message=_("An event cannot be linked to itself."),
            ),
        ]

    def __str__(self):
        return f"{self.from_event.title} {self.get_relation_display()} {self.to_event.title}"

    @property
    def inverse_label(self):
        return self.INVERSE_LABELS[self.relation]
