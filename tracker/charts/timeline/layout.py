"""The frame of a timeline: the date axis (on top, in the reader's language), the pixel
y axis of the lanes, the legend below, and what charts.js needs to keep it so."""

from django.utils.translation import gettext as _

from ..look import TEMPLATE, plotly_text
from . import lanes as lane_geometry

MARGIN = {"l": 6, "r": 6, "t": 34, "b": 60}


def timeline_layout(*, conflicts, height, initial, legend_title, meta):
    """``height`` is the plot's own height in pixels (y is counted in pixels from the
    top); ``initial`` the span it opens on; ``meta`` what charts.js reads."""
    return {
        "template": TEMPLATE,
        "height": MARGIN["t"] + height + MARGIN["b"],
        "margin": MARGIN,
        "showlegend": True,
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 0,
            "yanchor": "top",
            "yref": "paper",
            "title": {
                "text": "<br>".join(
                    plotly_text(line)
                    for line in lane_geometry.wrap(
                        legend_title, lane_geometry.line_width(lane_geometry.FONT_SIZE)
                    )
                ),
                "side": "top",
            },
        },
        "xaxis": {
            "type": "date",
            "side": "top",
            "range": initial.as_range() if initial else None,
            "ticks": "outside",
        },
        "yaxis": {
            "range": [height, 0],
            "fixedrange": True,
            "visible": False,
        },
        "annotations": lane_geometry.annotations(conflicts),
        "shapes": lane_geometry.bands(conflicts),
        "meta": {
            "plotHeight": height,
            **meta,
        },
    }


def kind_legend_title():
    return _("Kind of event (click to hide or show):")


def count_legend_title():
    return _("Events per lane and period:")
