"""Lanes: one per process, grouped under the heading of their conflict, each named in
full above its markers.

The y axis counts pixels from the top of the plot (charts.js keeps the plot exactly
``height`` pixels tall), so that names, stacked markers and gaps keep their sizes at
any width. Names are wrapped for the narrowest phone; charts.js re-wraps them for the
width it has, within the lines reserved here.
"""

from dataclasses import dataclass, field

from ..look import FONT_SIZE, LANE_BAND, MUTED, TEXT, plotly_text

HEADING = 30  # a conflict's heading
LABEL_LINE = 17  # one line of a lane's name
LEVEL = 18  # one row of markers
LANE_GAP = 10  # below each lane
TOP = 4
#: Characters of a 13 px name per line on a 320 px phone; charts.js re-wraps names for
#: the width it has.
NARROWEST_LINE = 34


@dataclass
class Lane:
    slug: str
    title: str
    conflict: str
    position: int
    levels: int = 1
    label_bottom: float = 0
    top: float = 0
    bottom: float = 0

    @property
    def label_lines(self):
        return wrap(self.title, line_width(FONT_SIZE))

    def y(self, level=0):
        """The height of a marker on ``level`` (0 is the first row under the name)."""
        return self.label_bottom + LEVEL / 2 + level * LEVEL


@dataclass
class Conflict:
    name: str
    lanes: list = field(default_factory=list)
    heading_bottom: float = 0


def line_width(size):
    """Characters per line on the narrowest phone, for text of ``size`` pixels."""
    return NARROWEST_LINE * FONT_SIZE // size


def wrap(text, width):
    """Lines of at most ``width`` characters, broken between words (a longer word
    stands alone on its line)."""
    lines, line = [], ""
    for word in str(text).split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else [""]


def lanes_of(rows, conflict_order):
    """Conflicts in ``conflict_order``, each with its lanes in process order."""
    lanes = {}
    for row in rows:
        if row["process_slug"] not in lanes:
            lanes[row["process_slug"]] = Lane(
                slug=row["process_slug"],
                title=row["process_title"],
                conflict=row["conflict_name"],
                position=row["process_position"],
            )
    conflicts = {name: Conflict(name) for name in conflict_order}
    for lane in sorted(lanes.values(), key=lambda lane: (lane.position, lane.title)):
        conflicts[lane.conflict].lanes.append(lane)
    return list(conflicts.values())


def place(conflicts, levels):
    """Give every heading and lane its height; ``levels`` is {lane slug: rows of
    markers}. Returns the plot's height in pixels."""
    y = TOP
    for conflict in conflicts:
        y += HEADING + LABEL_LINE * (len(wrap(conflict.name, line_width(FONT_SIZE + 2))) - 1)
        conflict.heading_bottom = y - 8
        for lane in conflict.lanes:
            lane.levels = levels.get(lane.slug, 1)
            lane.top = y
            y += LABEL_LINE * len(lane.label_lines) + 2
            lane.label_bottom = y
            y += LEVEL * lane.levels
            lane.bottom = y
            y += LANE_GAP
    return y


def annotations(conflicts):
    """Conflict headings and lane names, left-aligned at the plot's left edge."""
    notes = []
    for conflict in conflicts:
        notes.append(
            label(
                conflict.name,
                conflict.heading_bottom,
                name="conflict-heading",
                size=FONT_SIZE + 2,
                weight="bold",
            )
        )
        for lane in conflict.lanes:
            notes.append(
                label(
                    lane.title, lane.label_bottom, name="lane-label", size=FONT_SIZE, colour=MUTED
                )
            )
    return notes


def label(text, bottom, *, name, size, weight="normal", colour=TEXT):
    """A name wrapped for the narrowest phone; charts.js re-wraps every annotation that
    has a ``name`` for the width it has."""
    lines = wrap(text, line_width(size))
    return {
        "text": "<br>".join(plotly_text(line) for line in lines),
        "xref": "paper",
        "x": 0,
        "xanchor": "left",
        "yref": "y",
        "y": bottom,
        "yanchor": "bottom",
        "align": "left",
        "showarrow": False,
        "font": {"size": size, "weight": weight, "color": colour},
        "name": name,
    }


def bands(conflicts):
    """A light band behind each lane's markers."""
    return [
        {
            "type": "rect",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": lane.label_bottom,
            "y1": lane.bottom,
            "fillcolor": LANE_BAND,
            "line": {"width": 0},
            "layer": "below",
        }
        for conflict in conflicts
        for lane in conflict.lanes
    ]
