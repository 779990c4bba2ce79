"""The negotiation record: the bottom layer, knowing nothing of views, admin or commands."""

from .accounts import Account
from .actors import Party, Person
from .base import RecordVersion, SlugHistory
from .conflicts import Conflict
from .events import Citation, Event, EventLink, EventQuerySet, read_page_parts
from .imports import ImportBatch, PendingImport
from .outcomes import Implementation, Outcome
from .participations import Participation
from .processes import Process
from .releases import Release, ReleaseEntry
from .sources import Source

__all__ = [
    "Account",
    "Citation",
    "Conflict",
    "Event",
    "EventLink",
    "EventQuerySet",
    "Implementation",
    "ImportBatch",
    "Outcome",
    "Participation",
    "Party",
    "PendingImport",
    "Person",
    "Process",
    "RecordVersion",
    "Release",
    "ReleaseEntry",
    "SlugHistory",
    "Source",
    "read_page_parts",
]
