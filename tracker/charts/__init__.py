"""Plotly figures built from plain rows of the record; the page draws them from JSON.

``look`` holds the shared look (template, fonts, palette, shapes, safe text); the
timeline is built from small parts in ``timeline``; ``follow_through`` draws a process's
agreements over time.
"""

from .follow_through import follow_through_figure
from .look import STATUS_GROUPS, legend, status_group
from .timeline import Timeline, build_timeline

__all__ = [
    "STATUS_GROUPS",
    "Timeline",
    "build_timeline",
    "follow_through_figure",
    "legend",
    "status_group",
]
