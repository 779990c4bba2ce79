"""The Ukrainian and Russian catalogues: complete, compiled, and in step with the code.

Every message the code marks for translation is in both catalogues, translated (no empty
or fuzzy entry), with the same placeholders as the English, and the committed ``.mo``
files say what the ``.po`` files say.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "tracker" / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def catalogue(language):
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(language):
    po = catalogue(language)
    missing = [e.msgid for e in po if not e.obsolete and not e.translated()]
    assert missing == [], f"{language}: {len(missing)} untranslated or fuzzy"
    for entry in po.translated_entries():
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        forms = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for form in forms:
            assert sorted(set(PLACEHOLDER.findall(form))) <= sorted(set(wanted)), entry.msgid


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_the_one_committed(language):
    po = catalogue(language)
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in mo}
    written = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in po.translated_entries()}
    written = {k: v for k, v in written.items() if k[1]}  # the header is not a message
    compiled = {k: v for k, v in compiled.items() if k[1]}
    assert compiled == written, "run `make messages` to compile the catalogues"


@pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed"
)
def test_the_catalogues_hold_every_message_the_code_marks(tmp_path):
    """Extract the messages from a copy of the code, as `make messages` does, and compare
    with the committed catalogues."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("tracker", "templates", "seeds"):
        shutil.copytree(
            Path(settings.BASE_DIR) / name,
            copy / name,
            ignore=shutil.ignore_patterns("__pycache__", "*.mo"),
        )
    shutil.copy(Path(settings.BASE_DIR) / "manage.py", copy)
    env = {"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", "PYTHONPATH": str(copy)}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "uk", "--no-obsolete", "-v", "0"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = polib.pofile(str(copy / "tracker" / "locale" / "uk" / "LC_MESSAGES" / "django.po"))
    marked = {(e.msgctxt, e.msgid) for e in fresh if not e.obsolete}
    for language in LANGUAGES:
        held = {(e.msgctxt, e.msgid) for e in catalogue(language) if not e.obsolete}
        assert marked - held == set(), f"{language}: run `make messages` and translate"
