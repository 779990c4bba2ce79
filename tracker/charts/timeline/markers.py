"""One marker per event, in its lane, stacked so that events on the same or nearby
days stay apart and each can be pointed at and clicked."""

import datetime
from collections import OrderedDict

from django.urls import reverse
from django.utils.translation import gettext as _

from ...dates import date_label
from ...models import Event, Outcome
from ..look import KIND_SYMBOLS, STATUS_COLOUR_SCALE, STATUS_GROUPS, plotly_text, scatter
from ..look import status_colour_index as colour_index
from .spans import drawn_span, is_approximate

MARKER_SIZE = 12
#: The plot width, in pixels, that stacking assumes when it decides which events would
#: touch at the span a timeline opens on.
NOMINAL_PLOT_WIDTH = 900
#: Rows of markers in one lane at most; past it, an event takes the row that frees
#: first, so that it overlaps its neighbour least.
MAX_LEVELS = 12


def stack(rows, initial_days):
    """{pk: row} and {lane slug: rows used}: each event on the lowest row of its lane
    where nothing drawn within a marker's width at the opening span comes before it."""
    gap = datetime.timedelta(days=initial_days * (MARKER_SIZE + 4) / NOMINAL_PLOT_WIDTH)
    free_from = {}  # lane slug -> [first day each row is free again]
    level_of = {}
    ordered = sorted(rows, key=lambda r: (drawn_span(r)[0], r["pk"]))
    for row in ordered:
        first, last = drawn_span(row)
        rows_of_lane = free_from.setdefault(row["process_slug"], [])
        level = next((i for i, free in enumerate(rows_of_lane) if free <= first), None)
        if level is None and len(rows_of_lane) < MAX_LEVELS:
            level = len(rows_of_lane)
            rows_of_lane.append(first)
        elif level is None:
            level = min(range(MAX_LEVELS), key=lambda i: rows_of_lane[i])
        rows_of_lane[level] = max(last, first) + gap
        level_of[row["pk"]] = level
    return level_of, {slug: len(levels) for slug, levels in free_from.items()}


class HoverText:
    """The hover label of each event; dates and country names are looked up once."""

    def __init__(self, hover_extra=None):
        from django_countries import countries

        self.countries = countries
        self.extra = hover_extra or {}
        self.dates = {}
        self.country_names = {}

    def when(self, row):
        key = (row["start_date"], row["end_date"], row["date_precision"])
        if key not in self.dates:
            self.dates[key] = date_label(*key)
        return self.dates[key]

    def place(self, row):
        code = row["country"]
        if code not in self.country_names:
            self.country_names[code] = self.countries.name(code) if code else ""
        return ", ".join(p for p in (row["venue"], row["city"], self.country_names[code]) if p)

    def __call__(self, row):
        lines = [f"<b>{plotly_text(self.when(row))}</b>", plotly_text(row["title"])]
        place = self.place(row)
        if place:
            lines.append(plotly_text(place))
        if row["main_outcome_description"]:
            status = Outcome.Status(row["main_outcome_status"]).label
            description = row["main_outcome_description"]
            if len(description) > 120:
                description = description[:119] + "…"
            lines.append(f"{plotly_text(status.capitalize())}: {plotly_text(description)}")
        if self.extra.get(row["pk"]):
            lines.append(plotly_text(self.extra[row["pk"]]))
        return "<br>".join(lines)


def describe(rows, *, hover_extra=None):
    """Give each row its address, its date as read, and its hover label, for the
    markers and for the table that lists them."""
    url_pattern = reverse("event-detail", args=["SLUG"])
    hover = HoverText(hover_extra)
    for row in rows:
        row["url"] = url_pattern.replace("SLUG", row["slug"])
        row["when"] = hover.when(row)
        row["hover"] = hover(row)
    return rows


def marker_traces(rows, y_of):
    """One trace per kind of event and kind of date (exact or approximate), so that the
    legend names the shapes; colours are the strongest outcome. ``rows`` are
    ``describe``d."""
    groups = OrderedDict(
        ((kind, approximate), []) for kind in KIND_SYMBOLS for approximate in (False, True)
    )
    for row in rows:
        groups[(row["kind"], is_approximate(row))].append(row)
    traces = []
    for (kind, approximate), kind_rows in groups.items():
        if not kind_rows:
            continue
        name = str(Event.Kind(kind).label)
        if approximate:
            name = _("%(kind)s (approximate date)") % {"kind": name}
        traces.append(
            scatter(
                x=[r["sort_date"] for r in kind_rows],
                y=[y_of(r) for r in kind_rows],
                mode="markers",
                name=plotly_text(name),
                marker={
                    "symbol": f"{KIND_SYMBOLS[kind]}-open" if approximate else KIND_SYMBOLS[kind],
                    "size": MARKER_SIZE,
                    "color": [colour_index(r["main_outcome_status"]) for r in kind_rows],
                    "colorscale": STATUS_COLOUR_SCALE,
                    "cmin": 0,
                    "cmax": len(STATUS_GROUPS) - 1,
                    "line": {"color": "#222222", "width": 1},
                },
                customdata=[[r["url"], r["hover"]] for r in kind_rows],
                hovertemplate="%{customdata[1]}<extra></extra>",
            )
        )
    return traces
