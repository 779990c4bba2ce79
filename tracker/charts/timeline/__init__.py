"""A timeline of any span and any number of events, built from small parts: ``lanes``
(grouped under conflicts), ``spans`` (days drawn and counted), ``markers`` (one per
event, stacked), ``counts`` (per lane and period, above the marker limit), ``ranges``
(the opening span and its buttons) and ``layout``.

``build_timeline`` takes the events a page shows (a queryset) and answers with the
figure, what the table beside it lists, and the buttons above it, in two queries.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse

from . import counts as count_parts
from . import lanes as lane_parts
from . import layout as layout_parts
from . import markers as marker_parts
from . import ranges as range_parts
from .spans import reach, span_traces

EVENTS, COUNTS = "events", "counts"


@dataclass
class Timeline:
    figure: dict
    mode: str
    total: int
    buttons: list
    rows: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    period: str = ""


def build_timeline(events, *, query, hover_extra=None):
    """The timeline of ``events``: one marker per event up to
    ``TRACKER_TIMELINE_MARKER_LIMIT``, counts per lane and period above it.

    ``query`` holds the filters that select these events on the event list (dates in
    ISO form): counts link there, and charts.js asks the timeline endpoint with them
    for single events when the reader narrows the span. Two queries: the outline (lanes,
    spans and the number of events; ``Timeline.total`` serves a paginator too), then the
    events or their counts.
    """
    outline = list(events.for_timeline_outline())
    total = sum(row["events"] for row in outline)
    if total <= settings.TRACKER_TIMELINE_MARKER_LIMIT:
        rows = list(events.for_timeline()) if total else []
        return event_timeline(rows, query=query, hover_extra=hover_extra)
    return count_timeline(events, outline, total=total, query=query)


def spans_of(rows):
    """{conflict: the Span of its events}, one span per conflict and distinct dates."""
    dates = {
        (r["conflict_name"], r["start_date"], r["end_date"], r["date_precision"]) for r in rows
    }
    return range_parts.conflict_spans(
        (conflict, *reach({"start_date": s, "end_date": e, "date_precision": p}))
        for conflict, s, e, p in dates
    )


def outline_spans(outline):
    """{conflict: the Span of its events}, from ``for_timeline_outline`` rows: a group's
    first day is its first start, its last the furthest its last start or its last end
    reaches (``reach`` grows with the start date)."""
    return range_parts.conflict_spans(
        (
            row["conflict_name"],
            row["first"],
            reach(
                {
                    "start_date": row["last_start"],
                    "end_date": row["last_end"],
                    "date_precision": row["date_precision"],
                }
            )[1],
        )
        for row in outline
    )


def conflict_order(spans):
    """The latest conflict first: the one a timeline opens on."""
    return sorted(spans, key=lambda name: (-spans[name].last.toordinal(), name))


def meta(*, mode, total, query, spans, extra=None):
    return {
        "mode": mode,
        "total": total,
        "limit": settings.TRACKER_TIMELINE_MARKER_LIMIT,
        "endpoint": reverse("events-timeline"),
        "query": {key: value for key, value in query.items() if value and key != "page"},
        "extent": range_parts.whole(spans).padded().as_range() if spans else None,
        **(extra or {}),
    }


def event_timeline(rows, *, query, hover_extra=None):
    rows = marker_parts.describe(rows, hover_extra=hover_extra)
    spans = spans_of(rows)
    conflicts = lane_parts.lanes_of(rows, conflict_order(spans))
    initial = range_parts.initial_range(spans) if spans else None
    level_of, levels = marker_parts.stack(rows, initial.days if initial else 30)
    height = lane_parts.place(conflicts, levels)
    lane_of = {lane.slug: lane for conflict in conflicts for lane in conflict.lanes}

    def y_of(row):
        return lane_of[row["process_slug"]].y(level_of[row["pk"]])

    figure = {
        "data": [
            *span_traces(rows, y_of),
            *marker_parts.marker_traces(rows, y_of),
        ],
        "layout": layout_parts.timeline_layout(
            conflicts=conflicts,
            height=height,
            initial=initial,
            legend_title=layout_parts.kind_legend_title(),
            meta=meta(mode=EVENTS, total=len(rows), query=query, spans=spans),
        ),
    }
    return Timeline(
        figure=figure,
        mode=EVENTS,
        total=len(rows),
        buttons=range_parts.range_buttons(spans) if spans else [],
        rows=rows,
    )


def count_timeline(events, outline, *, total, query):
    spans = outline_spans(outline)
    conflicts = lane_parts.lanes_of(outline, conflict_order(spans))
    lane_list = [lane for conflict in conflicts for lane in conflict.lanes]
    period = count_parts.choose_period(range_parts.whole(spans), len(lane_list))
    dates = {
        name: datetime.date.fromisoformat(query[key])
        for name, key in (("after", "date_after"), ("before", "date_before"))
        if query.get(key)
    }
    lanes = {row["process_id"]: row["process_slug"] for row in outline}
    rows = events.for_timeline_counts(period, count_parts.PRECISIONS[period])
    counts = count_parts.link(
        count_parts.count_events(rows, period, lanes, lane_list, **dates), query
    )
    height = lane_parts.place(conflicts, {})
    lane_of = {lane.slug: lane for lane in lane_list}
    periods = {}
    for count in counts:
        first, last, number = periods.get(count.start, (count.start, count.end, 0))
        periods[count.start] = (first, last, number + count.events)
    figure = {
        "data": [count_parts.count_trace(counts, lambda c: lane_of[c.lane_slug].y())],
        "layout": layout_parts.timeline_layout(
            conflicts=conflicts,
            height=height,
            initial=range_parts.initial_range(spans),
            legend_title=layout_parts.count_legend_title(),
            meta=meta(
                mode=COUNTS,
                total=total,
                query=query,
                spans=spans,
                extra={
                    "periods": [
                        [first.isoformat(), last.isoformat(), number]
                        for first, last, number in periods.values()
                    ]
                },
            ),
        ),
    }
    return Timeline(
        figure=figure,
        mode=COUNTS,
        total=total,
        buttons=range_parts.range_buttons(spans),
        counts=counts,
        period=period,
    )
