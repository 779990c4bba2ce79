"""How one value is written in a CSV cell, and read back: the cell formats of the field map.

Dates are ISO 8601 (``2025-05-16``), times ``HH:MM:SS``, durations ISO 8601
(``PT1H55M``). Text that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab, carriage return or NUL) is prefixed with an apostrophe, which
reading removes again. Reading refuses, with a message naming the value, anything the
record could not store or show: impossible dates, years outside 1000–2999, durations
too long to store, numbers too big, NUL characters.
"""

import datetime
import functools
import re
from operator import itemgetter

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_duration
from django.utils.duration import duration_iso_string
from django.utils.translation import gettext as _

from .models.validators import FIRST_YEAR, LAST_YEAR, validate_shown_date

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
_NEUTRALISED = re.compile(r"^'+[=+\-@\t\r\0]")

#: The years a date may fall in: every page, chart and feed can show them (the model
#: field validator's range, the one definition).
YEARS = (FIRST_YEAR, LAST_YEAR)
#: The longest duration every database stores (microseconds in a signed 64-bit integer).
LONGEST_DURATION = datetime.timedelta(days=106_751)
_LONGEST_NUMBER = 18  # digits: anything longer is refused before Python converts it


class CellError(ValueError):
    """A cell that cannot be read; the message says what was expected."""


def neutralise(text):
    """Make text safe to open in a spreadsheet, reversibly (see :func:`restore`).

    A cell starting with a formula character gets a leading ``'``; so does one already
    starting with apostrophes before such a character, so that import can tell the two
    apart and give back exactly what was exported.
    """
    if text.startswith(FORMULA_START) or _NEUTRALISED.match(text):
        return "'" + text
    return text


def restore(text):
    return text[1:] if text[:1] == "'" and _NEUTRALISED.match(text) else text


def one_line_ends(text):
    """Every CRLF and lone CR as LF: what spreadsheets on Windows write is read as typed."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_date(value):
    """The model's own rule for the years a date may fall in, as a cell error."""
    try:
        validate_shown_date(value)
    except ValidationError as error:
        raise CellError(f"{value.isoformat()}: {error.messages[0]}") from None
    return value


def check_duration(value):
    if abs(value) > LONGEST_DURATION:
        raise CellError(
            _("%(value)s is longer than the tracker can store (%(days)s days)")
            % {"value": duration_iso_string(value), "days": f"{LONGEST_DURATION.days:,}"}
        )
    return value


def check_text(text):
    if "\0" in text:
        raise CellError(_("contains a NUL character, which text cannot hold"))
    return text


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{2}:\d{2}(:\d{2})?")
_INTEGER = re.compile(r"\d+")


def parse_date(text):
    if not _DATE.fullmatch(text):
        raise CellError(_("%(text)r is not a date in the form YYYY-MM-DD") % {"text": text})
    try:
        value = datetime.date.fromisoformat(text)
    except ValueError as error:
        raise CellError(
            _("%(text)r is not a date: %(error)s") % {"text": text, "error": error}
        ) from None
    return check_date(value)


def parse_time(text):
    if not _TIME.fullmatch(text):
        raise CellError(_("%(text)r is not a time in the form HH:MM:SS") % {"text": text})
    try:
        return datetime.time.fromisoformat(text)
    except ValueError as error:
        raise CellError(
            _("%(text)r is not a time: %(error)s") % {"text": text, "error": error}
        ) from None


def parse_duration_text(text):
    try:
        value = parse_duration(text) if text.startswith("P") else None
    except (OverflowError, ValueError):
        value = None
        if re.fullmatch(r"P[0-9WDTHMS.,]+", text):
            raise CellError(
                _("%(text)r is longer than the tracker can store (%(days)s days)")
                % {"text": text, "days": f"{LONGEST_DURATION.days:,}"}
            ) from None
    if value is None:
        raise CellError(_("%(text)r is not an ISO 8601 duration such as PT1H55M") % {"text": text})
    return check_duration(value)


def parse_integer(text):
    if not _INTEGER.fullmatch(text):
        raise CellError(_("%(text)r is not a whole number") % {"text": text})
    if len(text.lstrip("0")) > _LONGEST_NUMBER:
        raise CellError(_("%(text)s is too big a number to store") % {"text": text})
    return int(text)


def format_value(kind, value):
    """The cell text of a Python value of the given kind (``string``, ``date``…)."""
    if value is None or value == "":
        return ""
    if kind == "date":
        return value.isoformat()
    if kind == "time":
        return value.isoformat(timespec="seconds")
    if kind == "duration":
        return duration_iso_string(value)
    if kind == "integer":
        return str(value)
    return neutralise(str(value))


def _text_cell(value):
    if value is None or value == "":
        return ""
    text = value if type(value) is str else str(value)
    return neutralise(text) if text[0] in _FIRST_CHARACTERS else text


def _integer_cell(value):
    return "" if value is None or value == "" else str(value)


def _date_cell(value):
    return "" if value is None or value == "" else value.isoformat()


_FIRST_CHARACTERS = frozenset(FORMULA_START) | {"'"}  # neutralise() decides for these
_HEAD = itemgetter(slice(0, 1))


def text_cells(places):
    """``formatter("string")`` of the values at ``places`` of a row, for all of them at
    once: a function of the row giving their texts in that order.

    An export writes a score of text fields per row, and nearly always each is text
    already, without a first character a spreadsheet would run: the first characters are
    gathered and looked at in one step (empty values, ``None``, written as ``""`` first),
    and only a row with a value that is not text (its first item is not a string, or it
    has none) or a first character :func:`neutralise` decides for is written cell by cell.
    ``tests/test_csv_shortcuts.py`` holds it to :func:`formatter`.
    """
    get = itemgetter(*places) if len(places) != 1 else lambda row: (row[places[0]],)

    def cells(row):
        values = get(row)
        if None in values:
            values = ["" if value is None else value for value in values]
        try:
            heads = "".join(map(_HEAD, values))
        except TypeError:  # a value that is not text
            return [_text_cell(value) for value in values]
        if _FIRST_CHARACTERS.isdisjoint(heads):
            return values
        return [_text_cell(value) for value in values]

    return cells


def formatter(kind):
    """``format_value`` for one kind, as a function of the value: what an export calls
    for every cell of a column, with the checks that do not depend on the value done once."""
    if kind == "string":
        return _text_cell
    if kind == "integer":
        return _integer_cell
    if kind == "date":
        return _date_cell
    return functools.partial(format_value, kind)


def parse_value(kind, text):
    """The Python value of a cell's text (``""`` or ``None`` when empty), or CellError."""
    if kind == "string":
        return check_text(restore(text))
    text = text.strip()
    if text == "":
        return None
    return PARSERS[kind](text)


PARSERS = {
    "date": parse_date,
    "time": parse_time,
    "duration": parse_duration_text,
    "integer": parse_integer,
}


def parser(kind):
    """``parse_value`` for one kind, as a function of the text: what an import calls for
    every cell of a column, with the choice of parser made once."""
    if kind == "string":
        return _text_value
    parse = PARSERS[kind]

    def value(text):
        text = text.strip()
        return None if text == "" else parse(text)

    return value


def _text_value(text):
    if "\0" in text or text[:1] == "'":
        return check_text(restore(text))
    return text


def read_as_written(cells):
    """Whether every one of ``cells`` is, as text, the value it reads as (no NUL, none
    starting with an apostrophe): a whole row checked at once, not cell by cell."""
    return joined_as_written("\n".join(cells))


def joined_as_written(joined):
    """:func:`read_as_written` for a row's cells joined by LF (a caller that joined them
    already)."""
    return "\0" not in joined and "\n'" not in joined and joined[:1] != "'"


# Lists in a cell -------------------------------------------------------------------


def join(items):
    return "; ".join(items)


def split(text):
    return [item.strip() for item in text.split(";") if item.strip()]


def party_lines(parties):
    """Parties as “Name [slug]”, one per line: readable, and enough to recreate them."""
    return "\n".join(f"{name} [{slug}]" for slug, name in parties)


def parse_party_lines(text):
    """``[(slug, name), ...]`` from :func:`party_lines` text, or :class:`CellError`."""
    return list(_party_lines(text))


@functools.lru_cache(maxsize=4096)  # the same parties come back outcome after outcome
def _party_lines(text):
    parties = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = re.fullmatch(r"\s*(.+?) \[([-a-zA-Z0-9_]+)\]\s*", line)
        if not match:
            raise CellError(_("%(line)r is not a party written as “Name [slug]”") % {"line": line})
        parties.append((match.group(2), check_text(match.group(1))))
    return tuple(parties)


# Sources travel in the events table, one per line, as “url | publisher | title |
# published | accessed | archive_url | supports”; a literal | is written \|.
SOURCE_PARTS = ("url", "publisher", "title", "published", "accessed", "archive_url", "supports")


def _escape_part(text):
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def source_line(source):
    """One source (a dict with :data:`SOURCE_PARTS`) as a line of the ``sources`` cell."""
    return source_line_of(*[source[part] for part in SOURCE_PARTS])


def source_line_of(url, publisher, title, published, accessed, archive_url, supports):
    """:func:`source_line` of the parts given in the order of :data:`SOURCE_PARTS`: what
    an export calls for every citation. The parts are joined once, and escaped one by one
    only when the line holds a backslash, a line break or a ``|`` of their own."""
    published, accessed = _date_cell(published), _date_cell(accessed)
    parts = [url, publisher, title, published, accessed, archive_url, supports]
    while parts and not parts[-1]:
        parts.pop()  # trailing empty parts are left out
    line = " | ".join(parts)
    if "\\" in line or "\n" in line or line.count("|") != len(parts) - 1:
        line = " | ".join([_escape_part(part) for part in parts])
    return line


def _source_parts(line):
    if "\\" not in line:
        return [part.strip() for part in line.split("|")]
    parts, current, chars = [], [], iter(line)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
        elif char == "|":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


def parse_source_line(line):
    """A source line as a dict of :data:`SOURCE_PARTS`, or :class:`CellError`."""
    return dict(_source_line(line))


@functools.lru_cache(maxsize=4096)  # events cite the same sources again and again
def _source_line(line):
    parts = _source_parts(line)
    if len(parts) > len(SOURCE_PARTS):
        raise CellError(
            _(
                "a source line has at most %(count)s parts separated by ' | ' (%(parts)s), "
                "found %(found)s: %(line)r"
            )
            % {
                "count": len(SOURCE_PARTS),
                "parts": " | ".join(SOURCE_PARTS),
                "found": len(parts),
                "line": line,
            }
        )
    parts += [""] * (len(SOURCE_PARTS) - len(parts))
    source = dict(zip(SOURCE_PARTS, parts, strict=True))
    for name in ("published", "accessed"):
        if source[name]:
            try:
                source[name] = parse_date(source[name])
            except CellError as error:
                raise CellError(
                    _("source %(name)s date: %(error)s") % {"name": name, "error": error}
                ) from None
        else:
            source[name] = None
    for name in SOURCE_PARTS:
        if isinstance(source[name], str):
            check_text(source[name])
    if not source["publisher"]:
        raise CellError(_("a source needs a publisher: %(line)r") % {"line": line})
    if not source["url"] and not source["title"]:
        raise CellError(_("a source without a URL needs a title: %(line)r") % {"line": line})
    return tuple(source.items())


def parse_source_lines(text):
    return [parse_source_line(line) for line in text.splitlines() if line.strip()]
