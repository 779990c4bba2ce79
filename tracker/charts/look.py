"""The shared look of every figure: one Plotly template, the fonts, the palette, the
shapes of the kinds of event, and how editor-typed text is made safe for Plotly.

Colours are the Okabe–Ito palette, which readers with the common forms of colour
blindness can tell apart; shapes tell the kind of event.
"""

from django.utils.translation import gettext_lazy

from ..models import Event, Outcome

S = Outcome.Status

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"
FONT_SIZE = 13
TEXT = "#222222"
MUTED = "#555555"
GRID = "#e5e5e5"
LANE_BAND = "#f4f5f7"
COUNT_COLOUR = "#3d5a80"

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
GROUP_INDEX = {group[0]: i for i, group in enumerate(STATUS_GROUPS)}
#: Marker colours are numbers on this discrete scale, which Plotly checks in one pass.
STATUS_COLOUR_SCALE = [
    [i / (len(STATUS_GROUPS) - 1), group[2]] for i, group in enumerate(STATUS_GROUPS)
]

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

#: The layout every figure starts from (Plotly's own “none” template, plus ours).
TEMPLATE = {
    "layout": {
        "font": {"family": FONT, "size": FONT_SIZE, "color": TEXT},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hovermode": "closest",
        "hoverlabel": {"align": "left", "font": {"family": FONT, "size": FONT_SIZE}},
        "xaxis": {"showgrid": True, "gridcolor": GRID, "zeroline": False, "automargin": True},
        "yaxis": {"showgrid": False, "zeroline": False, "automargin": True},
        "legend": {"font": {"size": FONT_SIZE - 1}},
    }
}


def scatter(**attributes):
    """A Plotly scatter trace (SVG; never WebGL), as the plain dict the page draws.

    Figures are built as plain dicts in Plotly's JSON schema rather than through
    ``plotly.graph_objects``, whose checks cost more than the whole figure at 1,500
    events; ``tests/test_charts.py`` passes every kind of figure through those checks.
    """
    return {"type": "scatter", **attributes}


def status_group(status):
    return GROUP_OF_STATUS.get(status, STATUS_GROUPS[-1])


def status_colour_index(status):
    return GROUP_INDEX[status_group(status)[0]]


def legend():
    """The colours, for the HTML legend beside a timeline (Plotly's legend gives shapes)."""
    return {"colours": [(label, colour) for _key, label, colour, _statuses in STATUS_GROUPS]}


def plotly_text(text):
    """Text shown by Plotly exactly as typed, with any markup in it inert.

    Plotly reads its labels as a small HTML dialect: it splits them on ``<…>`` tags and
    decodes only ``&amp; &lt; &gt; &nbsp; &mu; &times; &plusmn; &deg;`` and numeric
    references, once, into text nodes. So escaping ``&``, ``<`` and ``>`` is exactly
    enough: quotes and apostrophes stay as typed (``&quot;`` would be shown literally).
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
