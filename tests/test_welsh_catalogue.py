"""The Welsh catalogue covers every translatable string in the code, not only those in it."""

import ast
import gettext
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

# The same directories `makemessages` is told to skip in README.md; `locale` is copied, not linked.
SKIPPED = {".git", ".venv", "var", "bench", "tests", "locale", "node_modules", "__pycache__"}

needs_gettext = pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
    reason="GNU gettext (xgettext, msgmerge) is not installed: run bin/ensure-gettext",
)


def _unquote(line: str) -> str:
    return ast.literal_eval(line)


def _entries(po: str) -> list[dict]:
    """Parse the active (not obsolete) entries of a .po file into their fields and flags."""
    entries = []
    for block in po.strip().split("\n\n"):
        fields: dict[str, str] = {}
        flags: set[str] = set()
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith('"') and current:
                fields[current] += _unquote(line)
            elif line.startswith(("msgctxt ", "msgid ", "msgid_plural ", "msgstr")):
                key, _, value = line.partition(" ")
                current = key
                fields[key] = _unquote(value)
            else:
                current = None
        if fields.get("msgid"):
            entries.append({"fields": fields, "flags": flags})
    return entries


def _gaps(po: str) -> list[str]:
    """Name each entry that is fuzzy or has an empty translation (in any plural form)."""
    gaps = []
    for entry in _entries(po):
        fields = entry["fields"]
        translations = [value for key, value in fields.items() if key.startswith("msgstr")]
        if "fuzzy" in entry["flags"] or not translations or "" in translations:
            gaps.append(fields["msgid"])
    return gaps


def _catalogue(base: Path) -> str:
    return (base / "locale" / "cy" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")


def test_the_committed_welsh_catalogue_has_no_untranslated_or_fuzzy_entry():
    po = _catalogue(Path(settings.BASE_DIR))

    assert len(_entries(po)) > 500
    assert _gaps(po) == []


def test_the_parser_finds_an_empty_plural_form_a_wrapped_gap_and_a_fuzzy_entry():
    # given a small catalogue with one good entry and three kinds of gap
    po = "\n\n".join(
        [
            'msgid ""\nmsgstr ""\n"Language: cy\\n"',
            'msgid "Yes"\nmsgstr "Ie"',
            'msgid "%(n)s member"\nmsgid_plural "%(n)s members"\n'
            'msgstr[0] "%(n)s aelod"\nmsgstr[1] "%(n)s aelod"\n'
            'msgstr[2] ""\nmsgstr[3] "%(n)s aelod"',
            'msgid ""\n"A long "\n"message"\nmsgstr ""',
            '#, fuzzy, python-format\nmsgid "Page %(n)s"\nmsgstr "Adran %(n)s"',
            '#~ msgid "Gone"\n#~ msgstr ""',
        ]
    )

    assert _gaps(po) == ["%(n)s member", "A long message", "Page %(n)s"]


@needs_gettext
def test_every_translatable_string_in_the_code_is_translated_into_welsh(tmp_path, settings):
    # given a copy of the tree whose locale directory is a throwaway copy of the real one
    base = Path(settings.BASE_DIR)
    tree = tmp_path / "tree"
    tree.mkdir()
    for child in base.iterdir():
        if child.name not in SKIPPED and not child.name.startswith("."):
            (tree / child.name).symlink_to(child)
    shutil.copytree(base / "locale", tree / "locale")
    settings.LOCALE_PATHS = [tree / "locale"]
    committed = _catalogue(base)

    # when makemessages gathers the strings of the code into the copy
    cwd = os.getcwd()
    os.chdir(tree)
    try:
        call_command(
            "makemessages",
            locale=["cy"],
            symlinks=True,
            ignore_patterns=sorted(SKIPPED - {"locale"}),
            verbosity=0,
        )
    finally:
        os.chdir(cwd)

    # then every message the code uses has a Welsh translation, and the real catalogue is untouched
    assert _gaps(_catalogue(tree)) == []
    assert len(_entries(_catalogue(tree))) > 500
    assert _catalogue(base) == committed


@needs_gettext
def test_the_committed_compiled_catalogue_matches_its_source(tmp_path):
    # given the committed .po and .mo
    messages = Path(settings.BASE_DIR, "locale", "cy", "LC_MESSAGES")

    # when the .po is compiled afresh
    subprocess.run(
        ["msgfmt", "--check-format", "-o", tmp_path / "django.mo", messages / "django.po"],
        check=True,
    )

    # then it holds the same messages as the committed .mo (compilemessages was run)
    def catalogue(mo: Path) -> dict:
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)._catalog

    assert catalogue(tmp_path / "django.mo") == catalogue(messages / "django.mo")
