"""Hostile panel and response files: every limit is checked before the file is unpacked or
padded, so a small upload cannot take the web process's memory or time."""

import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.tokens import issue_token
from experiments.models import CouncilRole, ResponseUpload, WaveStatus
from experiments.response_imports import check_response_file
from panel.imports import check_panel_file
from panel.models import PanelUpload
from tests.factories import CouncilMembershipFactory, WaveFactory
from tests.security.spreadsheets import (
    deflate_bomb,
    far_column_workbook,
    understated_bomb,
    workbook_with_sheet,
)

ROOT = Path(__file__).resolve().parents[2]
HEADER = "external_id,email,name,preferred_language,ward,age_band,gender,household_key\n"


def messages(report):
    return [p.message for p in report.problems]


def measured_check(tmp_path, content: bytes, filename: str) -> dict:
    """Check a file in a process of its own; return its outcome, time and peak memory."""
    path = tmp_path / filename
    path.write_bytes(content)
    finished = subprocess.run(
        [sys.executable, "-m", "tests.security.measure_import", str(path), filename],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "surveyplatform.settings"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return json.loads(finished.stdout.strip().splitlines()[-1])


def xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class UnreadableUpload(SimpleUploadedFile):
    """An upload that fails the test if anything reads it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the oversized upload was read")

    def chunks(self, *args, **kwargs):
        raise AssertionError("the oversized upload was read")

    def __iter__(self):
        raise AssertionError("the oversized upload was read")


# --- Workbooks that unpack or pad to far more than their size ------------------------------


def test_a_90_kb_workbook_with_one_cell_per_row_in_column_xfd_is_refused_in_little_memory(
    tmp_path,
):
    # Given a 90 KB workbook of 17,500 rows, each with one cell in the last column (XFD)
    content = far_column_workbook(17_500)
    assert 80_000 < len(content) < 100_000

    # When it is checked in a process of its own
    outcome = measured_check(tmp_path, content, "panel.xlsx")

    # Then it is refused, naming the column, within a few seconds and a few megabytes
    assert outcome.get("problems") == [
        "Row 2 has a cell in column 16384; at most 500 columns are read."
    ], outcome
    assert outcome["peak_increase_mb"] < 50, outcome
    assert outcome["seconds"] < 10, outcome


def test_a_400_kb_deflate_bomb_is_refused_before_it_is_unpacked(tmp_path):
    # Given a 415 KB workbook whose worksheet unpacks to 400 MB
    content = deflate_bomb(400 * 1024 * 1024)
    assert len(content) < 450_000

    outcome = measured_check(tmp_path, content, "panel.xlsx")

    unpacked = sum(part.file_size for part in zipfile.ZipFile(io.BytesIO(content)).infolist())
    assert unpacked > 400_000_000
    assert outcome.get("problems") == [
        f"The workbook unpacks to {unpacked} bytes; at most 52428800 bytes are read."
    ], outcome
    assert outcome["peak_increase_mb"] < 50, outcome
    assert outcome["seconds"] < 10, outcome


def test_a_bomb_whose_zip_headers_understate_its_size_is_refused_as_unreadable(tmp_path):
    # Given a bomb of 30 MB whose headers claim its worksheet is 1,000 bytes
    content = understated_bomb(30 * 1024 * 1024)

    outcome = measured_check(tmp_path, content, "panel.xlsx")

    # Then no more than the claimed size is unpacked, and the workbook is refused
    assert len(outcome.get("problems", [])) == 1, outcome
    assert outcome["problems"][0].startswith("The file is not a readable XLSX workbook"), outcome
    assert outcome["peak_increase_mb"] < 50, outcome


# --- Rows, columns and cells --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("limits", "rows", "expected"),
    [
        (
            {"IMPORT_MAX_ROWS": 3},
            [["external_id", "email"]] + [[f"P{n}", f"p{n}@example.org"] for n in range(4)],
            "The file has more than 3 rows; split it into files of at most 3 rows.",
        ),
        (
            {"IMPORT_MAX_COLUMNS": 3},
            [["external_id", "email"], ["P1", "p1@example.org", "", "x"]],
            "Row 2 has a cell in column 4; at most 3 columns are read.",
        ),
        (
            {"IMPORT_MAX_CELLS": 7},
            [["external_id", "email", "name"]]
            + [[f"P{n}", "p@example.org", "A"] for n in range(2)],
            "The file has more than 7 cells; split it into smaller files.",
        ),
    ],
)
def test_rows_columns_and_cells_over_the_limits_are_refused(settings, kind, limits, rows, expected):
    for name, value in limits.items():
        setattr(settings, name, value)
    if kind == "csv":
        content = "".join(",".join(row) + "\n" for row in rows).encode()
    else:
        content = xlsx(rows)

    report = check_panel_file(content, filename=f"panel.{kind}")

    assert messages(report) == [expected]
    assert report.rows == []


def test_a_row_number_far_below_the_last_allowed_row_is_refused_without_padding():
    # Given a workbook whose second row is numbered 1,048,576, the last row of a sheet
    content = workbook_with_sheet(
        [
            '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
            'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>external_id</t></is></c></row>'
            '<row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData></worksheet>'
        ]
    )

    report = check_panel_file(content, filename="panel.xlsx")

    assert messages(report) == [
        "The file has more than 200000 rows; split it into files of at most 200000 rows."
    ]


def test_a_csv_cell_longer_than_the_csv_reader_takes_is_a_problem_not_an_error():
    content = (HEADER + "P1,p1@example.org," + "A" * 200_000 + ",en,,,,\n").encode()

    report = check_panel_file(content, filename="panel.csv")

    assert messages(report) == [
        "Line 2 cannot be read as CSV: field larger than field limit (131072)."
    ]


def test_a_workbook_reads_like_openpyxl_reads_it():
    # Given a workbook with shared and inline text, numbers, a date, a formula and gaps
    rows = [
        ["external_id", "email", "name", "ward", "age_band"],
        [1001, "a@example.org", "Siân", None, 3.5],
        [],
        ["P3", "c@example.org", "=1+1", datetime(2026, 3, 1, 9, 30), True],  # noqa: DTZ001 (cells are naive)
    ]
    content = xlsx(rows)
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    expected = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]

    from panel.imports import _read_table

    table, problem = _read_table(content, "panel.xlsx")

    # Then every cell is the text of what openpyxl reads, trailing empty cells left out
    assert problem is None
    as_text = [
        ["" if v is None else str(int(v) if isinstance(v, float) and v.is_integer() else v)]
        for row in expected
        for v in row
    ]
    assert [cell for row in table for cell in row + [""] * (5 - len(row))] == [
        text for (text,) in as_text
    ]
    assert table[1][:3] == ["1001", "a@example.org", "Siân"]
    assert table[3][2:] == ["=1+1", "2026-03-01 09:30:00", "True"]


# --- An oversized upload is never read ------------------------------------------------------


def test_an_oversized_upload_is_refused_without_being_read(settings):
    settings.PANEL_IMPORT_MAX_BYTES = 100
    upload = UnreadableUpload("panel.csv", b"x" * 101, content_type="text/csv")

    report = check_panel_file(upload, filename=upload.name)

    assert messages(report) == ["The file is 101 bytes; the largest accepted is 100 bytes."]


@pytest.mark.django_db
def test_an_oversized_response_file_is_refused_without_being_read(settings):
    settings.PANEL_IMPORT_MAX_BYTES = 100
    wave = WaveFactory(status=WaveStatus.OPEN)
    upload = UnreadableUpload("answers.csv", b"x" * 101, content_type="text/csv")

    report = check_response_file(wave, content=upload, filename=upload.name)

    assert messages(report) == ["The file is 101 bytes; the largest accepted is 100 bytes."]


@pytest.fixture
def oversized_upload(settings, monkeypatch):
    """Make every upload over 100 bytes fail the test if a view reads it."""
    from django.core.files.uploadedfile import InMemoryUploadedFile, TemporaryUploadedFile

    settings.PANEL_IMPORT_MAX_BYTES = 100

    def guarded(original):
        def read(self, *args, **kwargs):
            assert self.size <= 100, "the oversized upload was read"
            return original(self, *args, **kwargs)

        return read

    for cls in (InMemoryUploadedFile, TemporaryUploadedFile):
        monkeypatch.setattr(cls, "read", guarded(cls.read))
    upload = io.BytesIO((HEADER + "P1,p1@example.org,,en,,,,\n" * 5).encode())
    upload.name = "panel.csv"
    return upload


@pytest.mark.django_db
def test_every_upload_route_refuses_an_oversized_file_without_reading_it(oversized_upload):
    # Given a council admin with a session and an API token, and an open wave of theirs
    membership = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    council = membership.council
    wave = WaveFactory(council=council, status=WaveStatus.OPEN)
    console = Client()
    console.force_login(membership.user)
    api = Client(HTTP_AUTHORIZATION=f"Token {issue_token(membership.user, name='t').key}")
    expected = "The file is 207 bytes; the largest accepted is 100 bytes."

    def upload():
        oversized_upload.seek(0)
        return oversized_upload

    # When the file is sent to each of the four upload routes
    console.post("/console/panel/import/", {"council": council.pk, "file": upload()})
    console.post(f"/console/waves/{wave.pk}/responses/import/", {"file": upload()})
    api.post("/api/v1/panel-imports/", {"file": upload()})
    api.post("/api/v1/response-imports/", {"wave": wave.pk, "file": upload()})

    # Then each stored a refusal naming the size, and none kept the file
    reports = [u.report for u in PanelUpload.objects.order_by("pk")] + [
        u.report for u in ResponseUpload.objects.order_by("pk")
    ]
    assert [r["problems"][0]["message"] for r in reports] == [expected] * 4
    assert not any(bytes(u.content) for u in PanelUpload.objects.all())
    assert not any(bytes(u.content) for u in ResponseUpload.objects.all())


# --- Response files share the reader --------------------------------------------------------


@pytest.mark.django_db
def test_a_response_file_with_a_far_column_is_refused_by_the_shared_reader():
    wave = WaveFactory(status=WaveStatus.OPEN)

    report = check_response_file(wave, content=far_column_workbook(50), filename="answers.xlsx")

    assert messages(report) == ["Row 2 has a cell in column 16384; at most 500 columns are read."]
