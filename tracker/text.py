"""How the tracker compares names: one rule, for import look-alikes now and search later.

Names are stored exactly as written (“Iván Márquez”, “Russia–Ukraine war”); only the
comparison forgets case, accents and punctuation, so that “ivan marquez” and
“Russia-Ukraine War” are recognised as the same name written differently.
"""

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
