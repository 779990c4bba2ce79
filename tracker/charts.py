"""Plotly figures built from plain rows of the record; the page draws them from JSON.

Editor-typed text is escaped here, before it reaches Plotly, because Plotly renders a
subset of HTML in hover labels. Colours are the Okabe–Ito palette, which readers with
the common forms of colour blindness can tell apart; shapes tell the kind of event.
"""

from collections import OrderedDict

import plotly.graph_objects as go
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .dates import approximate_span, date_label
from .models import Event, Outcome

S = Outcome.Status

#: (key, legend label, colour, statuses). The strongest outcome of an event picks its group.
STATUS_GROUPS = [
    (
        "carried_out",
        gettext_lazy("carried out"),
        "#009E73",
        {S.IMPLEMENTED, S.PARTIALLY_IMPLEMENTED},
    ),
    ("agreed", gettext_lazy("agreed"), "#0072B2", {S.AGREED}),
    ("broken", gettext_lazy("broken or lapsed"), "#D55E00", {S.BROKEN, S.LAPSED}),
    (
        "proposed",
        gettext_lazy("proposed, announced or discussed"),
        "#E69F00",
        {S.PROPOSED, S.ANNOUNCED, S.DISCUSSED},
    ),
    (
        "rejected",
        gettext_lazy("rejected, not agreed or cancelled"),
        "#CC79A7",
        {S.REJECTED, S.NOT_AGREED, S.CANCELLED},
    ),
    ("none", gettext_lazy("no outcome recorded"), "#9A9A9A", {None}),
]
GROUP_OF_STATUS = {status: group for group in STATUS_GROUPS for status in group[3]}

KIND_SYMBOLS = {
    Event.Kind.ROUND_OF_TALKS: "circle",
    Event.Kind.SUMMIT: "star",
    Event.Kind.PHONE_CALL: "diamond",
    Event.Kind.PROPOSAL: "triangle-up",
    Event.Kind.SIGNING: "square",
    Event.Kind.PRISONER_EXCHANGE: "hexagon",
    Event.Kind.CEASEFIRE: "cross",
    Event.Kind.STATEMENT: "triangle-down",
    Event.Kind.CONFERENCE: "pentagon",
    Event.Kind.OTHER: "x",
}

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"


def status_group(status):
    return GROUP_OF_STATUS.get(status, STATUS_GROUPS[-1])


def legend():
    """The encoding, for the HTML legend beside a timeline."""
    return {
        "colours": [(label, colour) for _key, label, colour, _statuses in STATUS_GROUPS],
        "shapes": [(Event.Kind(kind).label, symbol) for kind, symbol in KIND_SYMBOLS.items()],
    }


def place_label(row):
    from django_countries import countries

    parts = [row.get("venue"), row.get("city"), countries.name(row["country"]) or ""]
    return ", ".join(p for p in parts if p)


def hover_text(row, extra=""):
    lines = [
        f"<b>{escape(date_label(row['start_date'], row['end_date'], row['date_precision']))}</b>",
        escape(row["title"]),
    ]
    place = place_label(row)
    if place:
        lines.append(escape(place))
    if row["main_outcome_description"]:
        status = Outcome.Status(row["main_outcome_status"]).label
        description = row["main_outcome_description"]
        if len(description) > 120:
            description = description[:119] + "…"
        lines.append(f"{escape(status.capitalize())}: {escape(description)}")
    if extra:
        lines.append(escape(extra))
    return "<br>".join(lines)


def timeline_figure(rows, *, hover_extra=None, height=None):
    """One lane per process, one marker per event; returns the figure as a plain dict.

    ``rows`` are :meth:`EventQuerySet.for_timeline` rows. Multi-day events get a span;
    events known only to the month or year get a dashed span over the whole period and
    an open marker. Above ``TRACKER_WEBGL_THRESHOLD`` events the traces switch to WebGL.
    """
    hover_extra = hover_extra or {}
    rows = list(rows)
    trace_class = go.Scattergl if len(rows) > settings.TRACKER_WEBGL_THRESHOLD else go.Scatter
    lanes = list(
        OrderedDict.fromkeys(
            r["process_title"] for r in sorted(rows, key=lambda r: r["process_position"])
        )
    )

    by_kind = OrderedDict((kind, []) for kind in KIND_SYMBOLS)
    spans = {"solid": ([], []), "dash": ([], [])}
    for row in rows:
        by_kind[row["kind"]].append(row)
        approximate = row["date_precision"] != Event.Precision.DAY
        if approximate:
            first, last = approximate_span(row["start_date"], row["date_precision"])
        else:
            first, last = row["start_date"], row["end_date"]
        if last and last != first:
            xs, ys = spans["dash" if approximate else "solid"]
            xs.extend([first, last, None])
            ys.extend([row["process_title"], row["process_title"], None])

    figure = go.Figure()
    for style, (xs, ys) in spans.items():
        if xs:
            figure.add_trace(
                trace_class(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"color": "#555555", "width": 6 if style == "solid" else 3, "dash": style},
                    hoverinfo="skip",
                    showlegend=False,
                    name=_("duration"),
                )
            )
    for kind, kind_rows in by_kind.items():
        if not kind_rows:
            continue
        symbol = KIND_SYMBOLS[kind]
        figure.add_trace(
            trace_class(
                x=[r["start_date"] for r in kind_rows],
                y=[r["process_title"] for r in kind_rows],
                mode="markers",
                name=str(Event.Kind(kind).label),
                legendgroup="kind",
                legendgrouptitle_text=_("Kind of event"),
                marker={
                    "symbol": [
                        symbol if r["date_precision"] == Event.Precision.DAY else f"{symbol}-open"
                        for r in kind_rows
                    ],
                    "size": 14,
                    "color": [status_group(r["main_outcome_status"])[2] for r in kind_rows],
                    "line": {"color": "#222222", "width": 1},
                },
                hovertext=[hover_text(r, hover_extra.get(r["pk"], "")) for r in kind_rows],
                hoverinfo="text",
                customdata=[[reverse("event-detail", args=[r["slug"]])] for r in kind_rows],
            )
        )
    for _key, label, colour, _statuses in STATUS_GROUPS:
        figure.add_trace(
            trace_class(
                x=[None],
                y=[None],
                mode="markers",
                name=str(label),
                legendgroup="status",
                legendgrouptitle_text=_("Strongest outcome"),
                marker={"symbol": "square", "size": 12, "color": colour},
                hoverinfo="skip",
            )
        )
    figure.update_layout(
        template="none",
        font={"family": FONT, "size": 13},
        height=height or max(260, 90 + 70 * len(lanes)),
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        hovermode="closest",
        hoverlabel={"align": "left"},
        showlegend=True,
        legend={"orientation": "h", "y": -0.15, "groupclick": "toggleitem"},
        xaxis={"type": "date", "showgrid": True, "gridcolor": "#e5e5e5"},
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": list(reversed(lanes)),
            "automargin": True,
            "fixedrange": True,
        },
    )
    return figure.to_plotly_json()


def follow_through_figure(agreements):
    """Cumulative agreements, those carried out and those broken, over time.

    ``agreements`` are dicts with ``agreed_on``, ``carried_out_on`` (first date a later
    event carried it out, in full or in part, or None) and ``status``.
    """
    agreed = sorted(a["agreed_on"] for a in agreements)
    carried = sorted(a["carried_out_on"] for a in agreements if a["carried_out_on"])
    broken = sorted(a["agreed_on"] for a in agreements if a["status"] in (S.BROKEN, S.LAPSED))
    figure = go.Figure()
    series = [
        (_("agreed"), agreed, "#0072B2", "solid"),
        (_("carried out (in full or part)"), carried, "#009E73", "dash"),
        (_("broken or lapsed"), broken, "#D55E00", "dot"),
    ]
    for name, dates, colour, dash in series:
        figure.add_trace(
            go.Scatter(
                x=dates,
                y=list(range(1, len(dates) + 1)),
                mode="lines+markers",
                line={"shape": "hv", "color": colour, "dash": dash, "width": 3},
                name=name,
                hovertemplate="%{x|%Y-%m-%d}: %{y}<extra>" + escape(name) + "</extra>",
            )
        )
    figure.update_layout(
        template="none",
        font={"family": FONT, "size": 13},
        height=320,
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        legend={"orientation": "h", "y": -0.2},
        xaxis={"type": "date", "gridcolor": "#e5e5e5"},
        yaxis={"title": {"text": _("agreements (cumulative)")}, "rangemode": "tozero"},
    )
    return figure.to_plotly_json()
