"""The negotiation record: the bottom layer, knowing nothing of views, admin or commands."""

from .accounts import Account
from .actors import Party, Person
from .base import RecordVersion
from .events import Citation, Event, EventLink, EventQuerySet
from .outcomes import Implementation, Outcome
from .participations import Participation
from .processes import Process
from .sources import Source

__all__ = [
    "Account",
    "Citation",
    "Event",
    "EventLink",
    "EventQuerySet",
    "Implementation",
    "Outcome",
    "Participation",
    "Party",
    "Person",
    "Process",
    "RecordVersion",
    "Source",
]
