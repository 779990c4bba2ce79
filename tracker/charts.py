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
    """The colours, for the HTML legend beside a timeline (Plotly's legend gives shapes)."""
    return {"colours": [(label, colour) for _key, label, colour, _statuses in STATUS_GROUPS]}


def hover_text(row, when, place, extra=""):
    """The hover label: every editor-typed part escaped, since Plotly renders some HTML."""
    lines = [f"<b>{escape(when)}</b>", escape(row["title"])]
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
    an open marker. Traces stay few (one per kind, and per kind of approximate date);
    colours are numbers on a discrete colour scale, which Plotly checks in one pass.
    Above ``TRACKER_WEBGL_THRESHOLD`` events the traces switch to WebGL.
    """
    from django_countries import countries

    hover_extra = hover_extra or {}
    rows = list(rows)
    trace_class = go.Scattergl if len(rows) > settings.TRACKER_WEBGL_THRESHOLD else go.Scatter
    # Lane labels are editor-typed too, and Plotly renders some HTML in tick labels.
    lane_of = {r["process_title"]: escape(r["process_title"]) for r in rows}
    lanes = list(
        OrderedDict.fromkeys(
            lane_of[r["process_title"]] for r in sorted(rows, key=lambda r: r["process_position"])
        )
    )
    url_pattern = reverse("event-detail", args=["SLUG"])
    country_names, date_labels = {}, {}

    groups = OrderedDict(
        ((kind, approximate), []) for kind in KIND_SYMBOLS for approximate in (False, True)
    )
    spans = {"solid": ([], []), "dash": ([], [])}
    for row in rows:
        approximate = row["date_precision"] != Event.Precision.DAY
        groups[(row["kind"], approximate)].append(row)
        if approximate:
            first, last = approximate_span(row["start_date"], row["date_precision"])
        else:
            first, last = row["start_date"], row["end_date"]
        if last and last != first:
            xs, ys = spans["dash" if approximate else "solid"]
            xs.extend([first, last, None])
            lane = lane_of[row["process_title"]]
            ys.extend([lane, lane, None])

    def when(row):
        key = (row["start_date"], row["end_date"], row["date_precision"])
        if key not in date_labels:
            date_labels[key] = date_label(*key)
        return date_labels[key]

    def place(row):
        code = row["country"]
        if code not in country_names:
            country_names[code] = countries.name(code) if code else ""
        return ", ".join(p for p in (row["venue"], row["city"], country_names[code]) if p)

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
    colour_scale = [
        [i / (len(STATUS_GROUPS) - 1), group[2]] for i, group in enumerate(STATUS_GROUPS)
    ]
    group_index = {group[0]: i for i, group in enumerate(STATUS_GROUPS)}
    for (kind, approximate), kind_rows in groups.items():
        if not kind_rows:
            continue
        name = str(Event.Kind(kind).label)
        figure.add_trace(
            trace_class(
                x=[r["start_date"] for r in kind_rows],
                y=[lane_of[r["process_title"]] for r in kind_rows],
                mode="markers",
                name=_("%(kind)s (approximate date)") % {"kind": name} if approximate else name,
                marker={
                    "symbol": f"{KIND_SYMBOLS[kind]}-open" if approximate else KIND_SYMBOLS[kind],
                    "size": 14,
                    "color": [
                        group_index[status_group(r["main_outcome_status"])[0]] for r in kind_rows
                    ],
                    "colorscale": colour_scale,
                    "cmin": 0,
                    "cmax": len(STATUS_GROUPS) - 1,
                    "line": {"color": "#222222", "width": 1},
                },
                customdata=[
                    [
                        url_pattern.replace("SLUG", r["slug"]),
                        hover_text(r, when(r), place(r), hover_extra.get(r["pk"], "")),
                    ]
                    for r in kind_rows
                ],
                hovertemplate="%{customdata[1]}<extra></extra>",
            )
        )
    figure.update_layout(
        template="none",
        font={"family": FONT, "size": 13},
        height=height or max(300, 170 + 55 * len(lanes)),
        margin={"l": 10, "r": 10, "t": 10, "b": 70},
        hovermode="closest",
        hoverlabel={"align": "left"},
        showlegend=True,
        legend={
            "orientation": "h",
            "yanchor": "top",
            "y": -0.25,
            "yref": "paper",
            "title": {"text": _("Kind of event (click to hide or show):")},
        },
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
        margin={"l": 70, "r": 10, "t": 10, "b": 40},
        legend={"orientation": "h", "y": -0.2},
        xaxis={"type": "date", "gridcolor": "#e5e5e5"},
        yaxis={
            "title": {"text": _("agreements (cumulative)")},
            "rangemode": "tozero",
            "automargin": True,
        },
    )
    return figure.to_plotly_json()
