"""Write an export's file: CSV, Stata, SPSS, codebook or results, streaming the rows.

The Stata and SPSS writers of `labelled_files` spool their rows to disk rather than build
a DataFrame of the whole wave.
"""

import csv
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from experiments.models import Wave
from experiments.variables import (
    CODED,
    DATETIME,
    FLOAT,
    INTEGER,
    NOT_ASKED_CODE,
    STRING,
    Scope,
    Variable,
    tidy_variables,
    unasked_columns,
    wide_variables,
)
from exports import labelled_files
from exports.cells import ExportError, guard_text
from exports.codebook import render_codebook_csv, render_codebook_html
from exports.models import ExportFormat
from exports.readers import tidy_csv_rows, tidy_labelled_rows, wide_csv_rows
from exports.scope import latest_runs, load_scope

EXTENSIONS = {
    ExportFormat.CSV_TIDY: "csv",
    ExportFormat.CSV_WIDE: "csv",
    ExportFormat.STATA: "dta",
    ExportFormat.SPSS: "sav",
    ExportFormat.CODEBOOK_HTML: "html",
    ExportFormat.CODEBOOK_CSV: "csv",
    ExportFormat.RESULTS_JSON: "json",
    ExportFormat.BUNDLE: "zip",
}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "dta": "application/x-stata-dta",
    "sav": "application/x-spss-sav",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "zip": "application/zip",
}


def file_digest(path: Path) -> tuple[str, int]:
    """Return the SHA-256 and size of a file, read in blocks."""
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            sha.update(block)
            size += len(block)
    return sha.hexdigest(), size


def write_file(path: Path, *, wave_ids: list[int], format: str, labels: str = "en") -> None:
    """Write one export of the waves to `path`, in any format but the bundle (which holds them)."""
    scope = load_scope(wave_ids)
    if format == ExportFormat.CSV_TIDY:
        variables = tidy_variables(scope)
        write_csv(path, variables, tidy_csv_rows(scope, wave_ids, variables))
    elif format == ExportFormat.CSV_WIDE:
        variables = wide_variables(scope)
        write_csv(path, variables, wide_csv_rows(scope, wave_ids, variables))
    elif format in (ExportFormat.STATA, ExportFormat.SPSS):
        variables = tidy_variables(scope)
        rows = tidy_labelled_rows(scope, wave_ids, variables)
        write_labelled(path, rows, variables, format=format, labels=labels, scope=scope)
    elif format == ExportFormat.CODEBOOK_HTML:
        path.write_bytes(render_codebook_html(scope))
    elif format == ExportFormat.CODEBOOK_CSV:
        path.write_bytes(render_codebook_csv(scope, guard=guard_text))
    elif format == ExportFormat.RESULTS_JSON:
        path.write_bytes(results_json(wave_ids))
    else:
        raise ExportError(f"Unknown export format {format!r}.")


def write_csv(path: Path, variables: list[Variable], chunks: Iterator[list[list]]) -> None:
    """Write UTF-8 CSV with a byte-order mark (for Excel), streaming chunks of rows.

    A missing cell may be None or empty text: the writer writes both as nothing.
    """
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow([variable.name for variable in variables])
        for chunk in chunks:
            writer.writerows(chunk)


def write_labelled(
    path: Path,
    rows: Iterator[tuple],
    variables: list[Variable],
    *,
    format: str,
    labels: str,
    scope: Scope,
) -> None:
    """Write a Stata or SPSS file of the tidy rows, labelled in one language.

    Each variable carries its label, value labels, measure level and the codes of answers
    missing for a known reason; a question the row's wave or theme did not ask holds the
    "Not asked" code. The writers stream the rows through a spool file, so memory does not
    grow with the wave.
    """
    kinds = {
        CODED: labelled_files.INTEGER,
        INTEGER: labelled_files.INTEGER,
        FLOAT: labelled_files.FLOAT,
        DATETIME: labelled_files.DATETIME,
        STRING: labelled_files.STRING,
    }
    # Labels carry admin-written names (council, theme, activity): guarded like cells, since
    # Stata and SPSS users copy labelled tables into spreadsheets.
    columns = [
        labelled_files.Column(
            name=variable.name,
            label=guard_text(variable.label(labels)),
            kind=kinds[variable.kind],
            value_labels={
                code: guard_text(str(label))
                for code, label in variable.labelled_codes(labels).items()
            },
            measure=variable.measure,
            missing={code: reason.stata for code, reason in variable.declared_missing()},
        )
        for variable in variables
    ]
    writer = labelled_files.write_dta if format == ExportFormat.STATA else labelled_files.write_sav
    try:
        writer(path, columns, _marking_unasked(rows, variables, scope))
    except labelled_files.LabelledFileError as error:
        raise ExportError(str(error)) from error


def _marking_unasked(
    rows: Iterator[tuple], variables: list[Variable], scope: Scope
) -> Iterator[tuple]:
    """Yield the tidy rows with NOT_ASKED_CODE in each empty cell the row was not asked."""
    unasked = unasked_columns(scope, variables)
    names = [variable.name for variable in variables]
    wave_at, theme_at = names.index("wave"), names.index("theme")
    for row in rows:
        columns = unasked.get((row[wave_at], row[theme_at]))
        if columns and any(row[i] is None for i in columns):
            row = list(row)
            for i in columns:
                if row[i] is None:
                    row[i] = NOT_ASKED_CODE
        yield row


def results_json(wave_ids: list[int]) -> bytes:
    """Return the results of each wave's latest done analysis run."""
    runs = latest_runs(wave_ids)
    waves = []
    for wave in Wave.objects.filter(pk__in=wave_ids).select_related("council").order_by("pk"):
        run = runs.get(wave.pk)
        waves.append(
            {
                "wave_id": wave.pk,
                "wave": wave.title,
                "council": wave.council.name,
                "analysis_run_id": run.pk if run else None,
                "finished_at": run.finished_at.isoformat() if run and run.finished_at else None,
                "input_hash": run.input_hash if run else None,
                "results": run.results if run else None,
            }
        )
    return json.dumps({"waves": waves}, indent=2, ensure_ascii=False).encode("utf-8")
