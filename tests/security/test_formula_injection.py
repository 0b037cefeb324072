"""Formula injection: no text cell of any export starts with = + - @, a tab or CR unguarded.

`tests/analysis/test_exports.py` checks the ward column and the codebook's activity text.
These tests put formula text in every admin-written and panel text that reaches a file
(council name, wave title, theme names, activity wording, ward) and read back every cell
of every format, and of the console's personal-links CSV; Welsh text, emoji, commas,
quotes and newlines must come back exactly.
"""

import csv
import io

import pyreadstat
import pytest
from django.urls import reverse

from experiments.models import CouncilRole, WaveStatus
from exports import writers
from exports.models import ExportFormat
from tests.analysis.test_exports import WARDS, build_closed_wave, export_bytes
from tests.factories import (
    CouncilFactory,
    CouncilMembershipFactory,
    MemberContactFactory,
    WaveFactory,
    WaveThemeFactory,
)

PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXACT = 'Llanfair, Pwllgwyngyll ŵŷ 🏴 "dyfyniad"\nail linell'
PLANTED = {
    "council": "=Cyngor Sir Ynys Môn, 🏴",
    "wave": '+Arolwg y gwanwyn\nSpring, "wave"',
    "theme_en": "-Local environment",
    "theme_cy": "@Amgylchedd lleol",
    "activity_en": "\tPicked up litter, 🚮",
    "activity_cy": "\rCodi sbwriel\nyn y stryd",
}


# Spreadsheets that trim what they import run " =cmd()" too: what counts is the first
# character after leading spaces (and invisible characters such as a zero-width space).
INVISIBLE = "\u200b\ufeff"


def starts_a_formula(text: str) -> bool:
    after_spaces = text
    while after_spaces and (after_spaces[0].isspace() or after_spaces[0] in INVISIBLE):
        after_spaces = after_spaces[1:]
    return text.startswith(PREFIXES) or after_spaces.startswith(PREFIXES[:4])


def unguarded(cells) -> list[str]:
    """Text cells that start with a formula character (numbers like -1.5 are numbers)."""
    found = []
    for cell in cells:
        if not isinstance(cell, str) or not starts_a_formula(cell):
            continue
        try:
            float(cell)
        except ValueError:
            found.append(cell)
    return found


def guarded(text: str) -> str:
    return "'" + text if starts_a_formula(text) else text


SPACED = {
    "council": " =Cyngor Sir Ynys Môn",
    "wave": "\u00a0+Arolwg y gwanwyn",
    "theme_en": "  -Local environment",
    "theme_cy": "\u200b@Amgylchedd lleol",
    "activity_en": " \t=Picked up litter",
    "activity_cy": "\n=Codi sbwriel",
}


def plant(texts: dict):
    council = CouncilFactory(name=texts["council"])
    wave, theme, activities, _members = build_closed_wave(council)
    wave.title = texts["wave"]
    wave.save()
    theme.name_en, theme.name_cy = texts["theme_en"], texts["theme_cy"]
    theme.save()
    activities[0].text_en, activities[0].text_cy = texts["activity_en"], texts["activity_cy"]
    activities[0].save()
    return wave


@pytest.fixture
def planted_wave(db):
    return plant(PLANTED)


@pytest.fixture
def spaced_wave(db):
    """A wave whose texts start with a formula after spaces or invisible characters."""
    return plant(SPACED)


def csv_cells(data: bytes) -> list[str]:
    assert data.startswith(b"\xef\xbb\xbf")
    return [
        cell
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        for cell in row
    ]


@pytest.mark.parametrize(
    "format", [ExportFormat.CSV_TIDY, ExportFormat.CSV_WIDE, ExportFormat.CODEBOOK_CSV]
)
def test_no_text_cell_of_a_csv_export_starts_a_formula(planted_wave, format):
    # When the wave is exported
    cells = csv_cells(export_bytes([planted_wave.pk], format))

    # Then no cell starts a formula, and each ward comes back guarded or exact
    assert unguarded(cells) == []
    if format != ExportFormat.CODEBOOK_CSV:
        assert {guarded(ward) for ward in WARDS} <= set(cells)
        assert WARDS[6] in cells
        assert WARDS[7] in cells


@pytest.mark.parametrize(
    "format", [ExportFormat.CSV_TIDY, ExportFormat.CSV_WIDE, ExportFormat.CODEBOOK_CSV]
)
def test_a_formula_after_leading_spaces_is_guarded_too(spaced_wave, format):
    cells = csv_cells(export_bytes([spaced_wave.pk], format))

    assert unguarded(cells) == []
    if format == ExportFormat.CODEBOOK_CSV:
        assert {guarded(SPACED["activity_en"]), guarded(SPACED["activity_cy"])} <= set(cells)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" =cmd()", "' =cmd()"),
        ("   +1+1", "'   +1+1"),
        ("\u00a0@SUM(A1)", "'\u00a0@SUM(A1)"),
        ("\u200b-2+3", "'\u200b-2+3"),
        ("\n=1", "'\n=1"),
        ("\tTab", "'\tTab"),
        ("  Pen-y-lan", "  Pen-y-lan"),
        ("Llŷr = Lear", "Llŷr = Lear"),
        ("", ""),
        ("   ", "   "),
    ],
)
def test_the_export_cells_and_the_links_csv_share_one_guard(text, expected):
    from console.views.invitations import csv_safe
    from exports.cells import guard_text

    assert guard_text(text) == expected
    assert csv_safe(text) == expected


def test_the_codebook_csv_carries_the_planted_wording_guarded_and_exact(planted_wave):
    cells = set(csv_cells(export_bytes([planted_wave.pk], ExportFormat.CODEBOOK_CSV)))

    assert {guarded(PLANTED["activity_en"]), guarded(PLANTED["activity_cy"])} <= cells


@pytest.mark.parametrize(
    ("format", "reader"),
    [(ExportFormat.STATA, pyreadstat.read_dta), (ExportFormat.SPSS, pyreadstat.read_sav)],
)
def test_no_text_cell_or_label_of_stata_or_spss_starts_a_formula(
    planted_wave, tmp_path, format, reader
):
    # When the wave is exported and read back
    path = tmp_path / f"x.{writers.EXTENSIONS[format]}"
    path.write_bytes(export_bytes([planted_wave.pk], format))
    frame, meta = reader(str(path))

    # Then no string cell, variable label or value label starts a formula
    cells = [value for column in frame.columns for value in frame[column] if isinstance(value, str)]
    labels = list(meta.column_labels or []) + [
        label for labels in meta.variable_value_labels.values() for label in labels.values()
    ]
    assert unguarded(cells) == []
    assert unguarded(labels) == []
    # and Welsh, emoji, commas and newlines survive exactly
    assert list(frame["ward"]) == [guarded(ward) for ward in WARDS]


@pytest.mark.django_db
def test_the_console_links_csv_guards_every_cell_and_keeps_welsh_text_exact(client):
    # Given an open wave whose members' ids and names start with formula characters
    membership = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    wave = WaveFactory(council=membership.council, status=WaveStatus.OPEN)
    WaveThemeFactory(wave=wave)
    names = ['=HYPERLINK("http://x")', "+44 1234", "-5", "@SUM(A1)", "\tTab", "\rCR", EXACT]
    names += [" =cmd()", "\u00a0 +44"]
    for n, name in enumerate(names):
        MemberContactFactory(
            member__council=membership.council, member__external_id=f"{name[:2]}ID{n}", name=name
        )
    client.force_login(membership.user)

    # When the admin downloads the personal links
    response = client.post(reverse("console:links_csv", args=[wave.pk]))

    # Then no cell starts a formula, and every name comes back guarded or exact
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    cells = [cell for row in rows for cell in row]
    assert response.status_code == 200
    assert unguarded(cells) == []
    assert sorted(row[1] for row in rows[1:]) == sorted(guarded(name) for name in names)
    assert EXACT in cells


def test_a_panel_file_cell_with_a_formula_after_spaces_is_a_problem():
    from panel.imports import check_panel_file

    content = (
        "external_id,email,name,ward\n"
        "P1,p1@example.org, =cmd(),North\n"
        "P2,p2@example.org,Siân,\u00a0\u00a0@SUM(A1)\n"
        "P3,p3@example.org,  Ffion,  Pen-y-lan\n"
    ).encode()

    report = check_panel_file(content, filename="panel.csv")

    assert [(p.row, p.column, p.message) for p in report.problems] == [
        (2, "name", "The cell starts with “=”, which a spreadsheet may run as a formula."),
        (3, "ward", "The cell starts with “@”, which a spreadsheet may run as a formula."),
    ]
    assert [row["external_id"] for row in report.rows] == ["P3"]
