"""The span a timeline opens on, and the buttons that change it.

A timeline opens on the span of its latest conflict: one war at a readable scale, never
one axis stretched across decades of different wars. Buttons widen it to the last year,
five years, another conflict or everything, without precise mouse work.
"""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

#: Space left on either side of the events, as a share of the span (at least a few days).
PADDING = 0.04
MIN_PADDING = datetime.timedelta(days=10)


@dataclass(frozen=True)
class Span:
    first: datetime.date
    last: datetime.date

    @property
    def days(self):
        return (self.last - self.first).days

    def padded(self):
        pad = max(MIN_PADDING, datetime.timedelta(days=round(self.days * PADDING)))
        return Span(self.first - pad, self.last + pad)

    def widened(self, other):
        return Span(min(self.first, other.first), max(self.last, other.last))

    def as_range(self):
        return [self.first.isoformat(), self.last.isoformat()]


@dataclass(frozen=True)
class RangeButton:
    label: str
    first: str = ""
    last: str = ""
    years: int = 0


def conflict_spans(spans_by_row):
    """{conflict name: Span of its events}, from (conflict, first, last) triples (one per
    event: thousands, so no Span is made until the end)."""
    firsts, lasts = {}, {}
    for conflict, first, last in spans_by_row:
        if conflict not in firsts:
            firsts[conflict], lasts[conflict] = first, last
        else:
            firsts[conflict] = min(firsts[conflict], first)
            lasts[conflict] = max(lasts[conflict], last)
    return {conflict: Span(firsts[conflict], lasts[conflict]) for conflict in firsts}


def latest(spans):
    """The conflict whose events end last (then the first by name)."""
    return min(spans, key=lambda name: (-spans[name].last.toordinal(), name))


def whole(spans):
    values = list(spans.values())
    result = values[0]
    for span in values[1:]:
        result = result.widened(span)
    return result


def initial_range(spans):
    return spans[latest(spans)].padded()


def range_buttons(spans):
    """Each conflict (when there are several), the last year and five years of the view,
    and everything."""
    everything = whole(spans).padded()
    buttons = []
    if len(spans) > 1:
        for name in sorted(spans, key=lambda n: (spans[n].first, n)):
            span = spans[name]
            years = f"{span.first.year}–{span.last.year}"
            buttons.append(
                RangeButton(
                    _("%(conflict)s (%(years)s)") % {"conflict": name, "years": years},
                    *span.padded().as_range(),
                )
            )
    for years, label in ((1, _("1 year")), (5, _("5 years"))):
        if everything.days > 366 * years:
            buttons.append(RangeButton(label, years=years))
    buttons.append(RangeButton(_("All"), *everything.as_range()))
    return buttons
