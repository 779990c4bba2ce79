"""Field validators shared by the record's models, so that every write path inherits them.

Forms, the CSV import and the seed loader all validate fields before saving; a validator
on the model field is therefore the one place a rule about a single value lives.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

#: The years the tracker's pages, charts and feeds can show (Plotly and the date labels
#: handle these; a date in 9999 overflowed when a month-long span was drawn).
FIRST_YEAR = 1000
LAST_YEAR = 2999


def validate_shown_date(value):
    """Refuse a date the tracker cannot show, naming the years it can."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Enter a date from the year %(first)s to the year %(last)s."),
            code="date_out_of_range",
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )
