"""The follow-through chart of a process: agreements made, carried out and broken."""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from ..dates import row_date
from ..models import Outcome
from .look import TEMPLATE, plotly_text

OPEN, FILLED = "circle-open", "circle"


def _points(agreements):
    """The three series as ``[(sort date, date as read, approximate)]``, in order.

    A point stands where its event sorts (``sort_date``); the hover text gives the date
    as precise as the source, and an approximate one is drawn open. An agreement carried
    out by its own status, with no later event linked, counts at the day it was agreed.
    """
    agreed, carried, broken = [], [], []
    for a in agreements:
        when = (a["agreed_sort"], row_date(a, "agreed_"), a["agreed_precision"] != "day")
        agreed.append(when)
        done = a["carried_out_event"]
        if done:
            carried.append((done["sort_date"], row_date(done), done["date_precision"] != "day"))
        elif a["carried_out"]:
            label = _("%(date)s (no later event recorded)") % {"date": when[1]}
            carried.append((when[0], label, when[2]))
        if a["status"] in Outcome.FAILED_STATUSES:
            broken.append(when)
    return [sorted(series, key=lambda point: point[0]) for series in (agreed, carried, broken)]


def follow_through_figure(agreements):
    """Cumulative agreements, those carried out and those broken, over time.

    ``agreements`` are rows of ``OutcomeQuerySet.follow_through()``.
    """
    agreed, carried, broken = _points(agreements)
    figure = go.Figure()
    series = [
        (_("agreed"), agreed, "#0072B2", "solid"),
        (_("carried out (in full or part)"), carried, "#009E73", "dash"),
        (_("broken or lapsed"), broken, "#D55E00", "dot"),
    ]
    for name, points, colour, dash in series:
        figure.add_trace(
            go.Scatter(
                x=[p[0] for p in points],
                y=list(range(1, len(points) + 1)),
                mode="lines+markers",
                line={"shape": "hv", "color": colour, "dash": dash, "width": 3},
                marker={"symbol": [OPEN if p[2] else FILLED for p in points], "size": 9},
                name=plotly_text(name),
                customdata=[plotly_text(p[1]) for p in points],
                hovertemplate="%{customdata}: %{y}<extra>" + plotly_text(name) + "</extra>",
            )
        )
    figure.update_layout(
        template=TEMPLATE,
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        legend={"orientation": "h", "y": -0.2},
        xaxis={"type": "date"},
        yaxis={
            "title": {"text": plotly_text(_("agreements (cumulative)"))},
            "rangemode": "tozero",
            "showgrid": True,
            "gridcolor": "#e5e5e5",
        },
    )
    if any(point[2] for points in (agreed, carried, broken) for point in points):
        figure.add_annotation(
            text=plotly_text(_("Open circles: date known only to the month or year.")),
            xref="paper",
            yref="paper",
            x=0,
            y=1.0,
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
            font={"size": 11},
        )
    return figure.to_plotly_json()
