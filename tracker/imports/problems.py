"""What an import refuses, said by file, line and column."""

import contextlib
import contextvars
from dataclasses import dataclass

from django.utils.translation import get_language, gettext, ngettext, override

_PHRASES = {}
_LANGUAGE = contextvars.ContextVar("import_language", default=None)


def translated(message):
    """``gettext(message)``, looked up once per language: a plan says the same few
    phrases for every one of thousands of rows. (Imported as ``_``, so that
    ``makemessages`` finds the phrases.)"""
    language = _LANGUAGE.get() or get_language()
    try:
        return _PHRASES[language, message]
    except KeyError:
        with override(language):
            _PHRASES[language, message] = text = gettext(message)
        return text


_ = translated


@contextlib.contextmanager
def one_language():
    """Within it, :func:`translated` speaks the language active on entering, without
    asking Django again: asking costs more than the phrase's lookup, and an import asks
    for a phrase for every row it names. Nothing in an import switches languages."""
    token = _LANGUAGE.set(get_language())
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


#: Problems listed in full; the rest are counted.
SHOWN = 200


@dataclass
class Problem:
    """One problem: where it is and what is wrong.

    ``confirm`` names the confirmation that would accept it instead (``"renames"`` for a
    changed name of an existing record, ``"new"`` for a likely duplicate); problems
    without one must be fixed in the files.
    """

    file: str
    line: int | None = None
    column: str | None = None
    message: str = ""
    where: str | None = None
    confirm: str | None = None

    def __str__(self):
        parts = [self.file]
        if self.line:
            parts.append(_("line %(line)s") % {"line": self.line})
        if self.where:
            parts.append(self.where)
        if self.column:
            parts.append(_("column %(column)s") % {"column": self.column})
        return f"{', '.join(parts)}: {self.message}"


class ImportRefused(Exception):
    """The files have problems; nothing was written."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems[:SHOWN]))

    @property
    def confirmable(self):
        """The confirmations that would lift every problem, if that is all it takes."""
        needed = {p.confirm for p in self.problems}
        return set() if None in needed else needed


def listing(problems, limit=SHOWN):
    """The first ``limit`` problems as lines, then how many more there are."""
    lines = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        more = len(problems) - limit
        lines.append(
            ngettext(
                "… and %(more)s more problem (%(total)s in all).",
                "… and %(more)s more problems (%(total)s in all).",
                more,
            )
            % {"more": more, "total": len(problems)}
        )
    return lines
