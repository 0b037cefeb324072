"""Scenario 4: exports, against Postgres `COPY … TO STDOUT` of the same rows as the ceiling.

The platform's exporter (issue 7) does not exist yet: until it lands, the exporter
measured here is a PLACEHOLDER, a plain pandas CSV write of the rows, labelled as such
in the table. Switch EXPORTER in bench.export_probe to the real function when it lands.
"""

import json
import subprocess
import sys
import time

from django.db import connection

from bench.report import Row
from bench.services import ROOT

TABLE = "bench_export_rows"


def create_rows(rows: int) -> None:
    """Write `rows` response-shaped rows (one per member × theme) with generate_series."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(
            f"""CREATE TABLE {TABLE} AS SELECT
                g AS response_id, g / 4 AS member_id, 'Bench council'::text AS council,
                (g %% 4) + 1 AS theme_id, 'Theme ' || ((g %% 4) + 1) AS theme,
                (ARRAY['ab','a','b','none'])[(g %% 4) + 1] AS arm,
                (g %% 3) + 1 AS collective, (g %% 5) + 1 AS efficacy,
                (g %% 4) + 1 AS time_now, (g %% 4) + 1 AS time_more, (g %% 5) + 1 AS conditions,
                1940 + (g %% 65) AS birth_year, 'en'::text AS language,
                now() - (g || ' seconds')::interval AS submitted_at
            FROM generate_series(1, %s) AS g""",
            [rows],
        )


def copy_seconds(rows: int) -> float:
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY (SELECT * FROM {TABLE} WHERE response_id <= {int(rows)} ORDER BY response_id) "
            "TO STDOUT WITH (FORMAT csv, HEADER)"
        ) as copy,
    ):
        for _ in copy:
            pass
    return time.perf_counter() - started


def run(*, sizes: list[int], env: dict) -> list[Row]:
    create_rows(max(sizes))
    rows: list[Row] = []
    peaks = {}
    for n in sizes:
        ceiling = copy_seconds(n)
        answer = subprocess.run(
            [sys.executable, "-m", "bench.export_probe", "--rows", str(n), "--table", TABLE],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if answer.returncode != 0:
            raise RuntimeError(f"export probe failed:\n{answer.stderr[-3000:]}")
        result = json.loads(answer.stdout.strip().splitlines()[-1])
        peaks[n] = result["peak_rss_mb"] - result["rest_rss_mb"]
        name = f"export CSV n={n:,}"
        rows.append(
            Row(
                name,
                "time (PLACEHOLDER exporter)",
                result["seconds"],
                "s",
                "COPY TO STDOUT",
                ceiling,
                target="≤ 3.3× COPY",
                met=result["seconds"] <= ceiling / 0.3,
                note=f"PLACEHOLDER exporter until issue 7 lands: {result['exporter']}",
            )
        )
        rows.append(
            Row(
                name,
                "peak memory above rest",
                peaks[n],
                "MB",
                f"growth at n={sizes[0]:,}",
                peaks[sizes[0]],
                target="≤ 1.5× smallest" if n != sizes[0] else "",
                met=(peaks[n] <= 1.5 * peaks[sizes[0]]) if n != sizes[0] else None,
                note="peak RSS above the process at rest (PLACEHOLDER exporter)",
            )
        )
    rows.append(
        Row(
            "export Stata / SPSS",
            "time, memory",
            None,
            note="not available yet (issue 7): no platform exporter on this branch",
        )
    )
    return rows
