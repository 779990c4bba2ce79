"""The follow-through chart of a process: agreements made, carried out and broken."""

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from .look import TEMPLATE, S, plotly_text


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
                name=plotly_text(name),
                hovertemplate="%{x|%x}: %{y}<extra>" + plotly_text(name) + "</extra>",
            )
        )
    figure.update_layout(
        template=TEMPLATE,
        height=320,
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        legend={"orientation": "h", "y": -0.2},
        xaxis={"type": "date"},
        yaxis={
            "title": {"text": plotly_text(_("agreements (cumulative)"))},
            "rangemode": "tozero",
            "showgrid": True,
            "gridcolor": "#e5e5e5",
        },
    )
    return figure.to_plotly_json()
