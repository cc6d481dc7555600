"""Every shipped language is complete: no missing, fuzzy or stale entry, and the compiled .mo matches."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

PACKAGE = Path(settings.BASE_DIR)
LOCALES = {"es": "es", "ru": "ru", "fr": "fr", "zh-hans": "zh_Hans", "ar": "ar"}


def _po(locale: str) -> polib.POFile:
    return polib.pofile(str(PACKAGE / "locale" / locale / "LC_MESSAGES" / "django.po"))


def test_it_ships_a_catalogue_for_every_language_but_the_source():
    assert {code for code, _name in settings.LANGUAGES} - {"en"} == set(LOCALES)


@pytest.mark.parametrize("locale", sorted(LOCALES.values()))
def test_it_has_no_missing_or_fuzzy_entry(locale):
    po = _po(locale)
    missing = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not missing, f"{locale}: untranslated: {missing[:10]}"
    assert not fuzzy, f"{locale}: fuzzy: {fuzzy[:10]}"
    for entry in po:
        if entry.msgid_plural:
            assert all(value.strip() for value in entry.msgstr_plural.values()), f"{locale}: {entry.msgid}"


@pytest.mark.parametrize("locale", sorted(LOCALES.values()))
def test_it_keeps_placeholders_and_compiles_cleanly(locale):
    path = PACKAGE / "locale" / locale / "LC_MESSAGES" / "django.po"
    result = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("locale", sorted(LOCALES.values()))
def test_it_has_an_up_to_date_compiled_catalogue(locale):
    po = _po(locale)
    mo = polib.mofile(str(PACKAGE / "locale" / locale / "LC_MESSAGES" / "django.mo"))
    compiled = {(entry.msgctxt, entry.msgid): (entry.msgstr, entry.msgstr_plural) for entry in mo}
    for entry in po.translated_entries():
        got = compiled.get((entry.msgctxt, entry.msgid))
        assert got is not None, f"{locale}: {entry.msgid!r} is not compiled: run `make messages`"
        assert got[0] == entry.msgstr or got[1] == entry.msgstr_plural, f"{locale}: {entry.msgid!r} is stale"


def test_it_has_every_source_string_in_the_catalogues(tmp_path):
    """Extract the strings afresh from a copy of the code; a new string missing from the .po files fails here."""
    copy = tmp_path / "sombrilla"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "ru",
            "--no-obsolete",
            "--no-location",
            "--ignore=*/tests/*",
            "--ignore=conftest.py",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "sombrilla.settings",
            "SOMBRILLA_DEMO": "1",
            "SOMBRILLA_ENV_FILE": "/dev/null",
            "PYTHONPATH": str(tmp_path),
            "SOMBRILLA_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    fresh = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / "locale/ru/LC_MESSAGES/django.po"))}
    shipped = {(e.msgctxt, e.msgid) for e in _po("ru")}
    assert fresh - shipped == set(), f"strings not in the catalogues (run `make messages`): {fresh - shipped}"
    assert shipped - fresh == set(), f"stale strings in the catalogues (run `make messages`): {shipped - fresh}"
