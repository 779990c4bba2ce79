"""Slugs made from titles and names, with word breaks kept where a dash separated words.

Django's ``slugify`` (and the admin's ``URLify``) drop punctuation, so “Colombia–FARC
talks” became ``colombiafarc-talks``. Here every dash (Unicode category Pd: hyphen, en
and em dash, minus…) and slash becomes a hyphen first. The admin's prepopulated slug
fields apply the same rule (``tracker/static/tracker/admin/slugs.js``).
"""

import unicodedata

from django.utils.text import slugify


def _breaks_words(character):
    return character == "/" or unicodedata.category(character) == "Pd"


def slug_from(text, max_length=100):
    """A slug for ``text``: lower case ASCII words joined by hyphens, at most
    ``max_length`` characters, cut at a word break where possible."""
    spaced = "".join("-" if _breaks_words(c) else c for c in str(text))
    slug = slugify(spaced)
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:max_length]
    return slug.strip("-")
