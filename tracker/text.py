"""How the tracker compares names: one rule, for import look-alikes now and search later.

Names are stored exactly as written (“Iván Márquez”, “Russia–Ukraine war”); only the
comparison forgets case, accents and punctuation, so that “ivan marquez” and
“Russia-Ukraine War” are recognised as the same name written differently.
"""

import functools
import unicodedata

_DASHES = {"Pd"}  # every dash: hyphen, en dash, em dash, minus-like punctuation dashes
_PUNCTUATION = {"Pc", "Pe", "Pf", "Pi", "Po", "Ps", "Sk", "Sm", "So"}


def name_key(text):
    """``text`` case-folded, without accents, punctuation or dashes, words single-spaced.

    Accents are removed by decomposing (NFKD) and dropping the combining marks, so the
    rule holds for every script: “Αναστασιάδης” and “Αναστασιαδης” compare equal. Dashes
    and spaces separate words; other punctuation is dropped (“O'Neill” = “ONeill”).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    kept = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        category = unicodedata.category(char)
        if category in _DASHES or char.isspace():
            kept.append(" ")
        elif category not in _PUNCTUATION:
            kept.append(char)
    return " ".join("".join(kept).casefold().split())


@functools.lru_cache(maxsize=1 << 16)  # names repeat across thousands of events
def search_key(text):
    """``text`` as search compares it: case-folded, accents removed (NFKD, combining marks
    dropped), words single-spaced, each word once (at its first place); punctuation is
    kept.

    A word met again adds nothing to a search: the words searched for hold no space, so
    each is found inside one word of the text or not at all. Dropping repeats makes the
    events' stored search text (``Event.derived_values``) a third shorter on the demo
    record, and PostgreSQL's trigram index (``tracker_event_search_trgm``) pays for every
    character of every row it indexes, on every write of an event.

    The same rule on every database, for the stored text and for the words searched for,
    so that “Bogota” finds “Bogotá”, “λευκωσία” finds “Λευκωσία” and “MARQUEZ” finds
    “Márquez”. Turkish dotted and dotless i are one letter here: “İ” decomposes to “i”
    plus a dot that is dropped, and the dotless “ı” is mapped to “i”, so “Akinci”,
    “Akıncı” and “AKINCI” all find “Akıncı”.
    """
    if text.isascii():  # nothing to decompose, no marks, no dotless i
        return " ".join(dict.fromkeys(text.lower().split()))
    folded = unicodedata.normalize("NFKD", text.casefold())
    if folded and max(folded) > "\uffff":
        kept = "".join(char for char in folded if not unicodedata.combining(char))
    else:
        kept = folded.translate(_marks())
    return " ".join(dict.fromkeys(kept.replace("ı", "i").split()))


@functools.cache
def _marks():
    """Every combining mark of the Basic Multilingual Plane, to delete with ``translate``
    (marks beyond it are dropped one character at a time)."""
    return dict.fromkeys(c for c in range(0x10000) if unicodedata.combining(chr(c)))
