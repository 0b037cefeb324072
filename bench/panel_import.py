"""Scenario 5: import 50,000 panel members with the console's importer (`panel.imports`).

The dry run is `check_panel_file` (read and check every row, write nothing); the commit is
`import_panel_file` (check again, then upsert members and contacts in one transaction).
The baseline is COPY of the same CSV into a table of the same shape.
"""

import csv
import io
import time

from django.db import connection, transaction

from bench.report import Row
from experiments.models import Council
from panel.imports import check_panel_file, import_panel_file
from panel.models import PanelMember

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


def run(*, rows: int = ROWS) -> list[Row]:
    council = Council.objects.create(name="Panel import council", slug="panel-import")
    text = panel_csv(rows)
    content = text.encode()
    baseline = copy_baseline(text)
    name = f"panel import ×{rows:,}"

    started = time.perf_counter()
    report = check_panel_file(content, filename="panel.csv")
    checked = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"the bench's panel file has problems: {report.problems[:3]}")

    started = time.perf_counter()
    result = import_panel_file(council, content=content, filename="panel.csv")
    committed = time.perf_counter() - started
    stored = PanelMember.objects.filter(council=council).count()
    return [
        Row(name, "dry run (check_panel_file)", checked, "s", "COPY of same rows", baseline),
        Row(
            name,
            "commit (import_panel_file)",
            committed,
            "s",
            "COPY of same rows",
            baseline,
            note=f"{stored:,} members stored; {result}"[:160],
        ),
        Row(
            name,
            "members stored",
            stored,
            "",
            target=f"= {rows:,}",
            met=stored == rows,
        ),
    ]
