"""Scenario 5: import 50,000 panel members, dry run then commit.

The importer (`panel/imports.py`, issue 5) is named here and nowhere else: until the
module exists the scenario reports "not available yet" instead of measuring anything.
The baseline is COPY of the same rows into a table of the same shape.
"""

import csv
import importlib
import importlib.util
import inspect
import io
import time

from django.db import connection, transaction

from bench.report import Row
from experiments.models import Council

IMPORTER = "panel.imports:import_panel"
ROWS = 50_000


def panel_csv(rows: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "email", "preferred_language", "ward", "age_band", "gender"])
    for i in range(rows):
        writer.writerow([f"P{i:06d}", f"member{i}@example.org", "en", "Central", "35-54", "woman"])
    return out.getvalue()


def copy_baseline(text: str) -> float:
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_panel_copy (external_id text, email text, "
            "preferred_language text, ward text, age_band text, gender text) ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY bench_panel_copy FROM STDIN WITH (FORMAT csv, HEADER)") as c:
            c.write(text)
    return time.perf_counter() - started


def _call(importer, council: Council, text: str, *, dry_run: bool):
    """Call the importer, mapping its keyword names to what this scenario has."""
    parameters = inspect.signature(importer).parameters
    kwargs = {}
    for name in parameters:
        if name in {"dry_run", "dry"}:
            kwargs[name] = dry_run
        elif name in {"commit"}:
            kwargs[name] = not dry_run
        elif name in {"file", "stream", "fileobj", "source", "upload"}:
            kwargs[name] = io.BytesIO(text.encode())
        elif name in {"text", "content", "data"}:
            kwargs[name] = text
        elif name in {"filename", "name"}:
            kwargs[name] = "panel.csv"
    return importer(council, **kwargs)


def run() -> list[Row]:
    module_name, _, attr = IMPORTER.partition(":")
    available = importlib.util.find_spec(module_name) is not None
    importer = getattr(importlib.import_module(module_name), attr, None) if available else None
    if importer is None:
        return [
            Row(
                f"panel import ×{ROWS:,}",
                "dry run, commit",
                None,
                note=f"not available yet: {IMPORTER} is not on this branch",
            )
        ]
    council = Council.objects.create(name="Panel import council", slug="panel-import")
    text = panel_csv(ROWS)
    baseline = copy_baseline(text)
    rows = []
    for dry_run in (True, False):
        started = time.perf_counter()
        try:
            _call(importer, council, text, dry_run=dry_run)
        except Exception as error:  # report, do not hide, an importer the bench cannot drive
            rows.append(
                Row(
                    f"panel import ×{ROWS:,}",
                    "dry run" if dry_run else "commit",
                    None,
                    note=f"failed: {type(error).__name__}: {error}"[:200],
                )
            )
            continue
        rows.append(
            Row(
                f"panel import ×{ROWS:,}",
                "dry run" if dry_run else "commit",
                time.perf_counter() - started,
                "s",
                "COPY of same rows",
                baseline,
            )
        )
    return rows
