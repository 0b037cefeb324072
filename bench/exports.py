"""Scenario 4: the platform's exporter (`analysis.exports.write_export`) for CSV, Stata and
SPSS, against Postgres `COPY … TO STDOUT` of the same rows as the ceiling.

The wave is written with COPY by `bench.exports_memory.create_synthetic_wave`; each format
is exported in a fresh process (as a Celery worker would run one export job), which
reports its wall time and its peak resident memory above the process at rest.
"""

import json
import subprocess
import sys
import tempfile
import time

from django.db import connection

from bench.exports_memory import create_synthetic_wave, delete_synthetic_wave
from bench.report import Row
from bench.services import ROOT

FORMATS = {"csv_tidy": "CSV (tidy)", "dta": "Stata", "sav": "SPSS"}


def copy_seconds(wave_id: int) -> float:
    """Time COPY of the wave's answers joined as the tidy export reads them (the ceiling)."""
    query = (
        "SELECT r.id, r.member_id, r.language, r.birth_year, r.ward, r.submitted_at, "
        "s.arm, t.theme_id, t.collective, t.time_now, t.efficacy, a.activity_id, a.done "
        "FROM experiments_response r "
        "JOIN experiments_assignment s ON s.wave_id = r.wave_id AND s.member_id = r.member_id "
        "JOIN experiments_themeanswer t ON t.response_id = r.id "
        "LEFT JOIN experiments_activityanswer a ON a.theme_answer_id = t.id "
        f"WHERE r.wave_id = {int(wave_id)} ORDER BY r.id, t.theme_id, a.activity_id"
    )
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy,
    ):
        for _ in copy:
            pass
    return time.perf_counter() - started


def export_once(wave_id: int, format: str, *, env: dict, directory: str) -> dict:
    answer = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "exports_memory.py"),
            "--child",
            str(wave_id),
            format,
            directory,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if answer.returncode != 0:
        raise RuntimeError(f"export of {format} failed:\n{answer.stderr[-3000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def run(*, sizes: list[int], env: dict, formats: tuple[str, ...] = tuple(FORMATS)) -> list[Row]:
    rows: list[Row] = []
    growth: dict[str, float] = {}
    for n in sizes:
        wave_id, council_id = create_synthetic_wave(responses=n)
        try:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            ceiling = copy_seconds(wave_id)
            with tempfile.TemporaryDirectory() as directory:
                for format in formats:
                    label = FORMATS[format]
                    result = export_once(wave_id, format, env=env, directory=directory)
                    name = f"export {label} n={n:,}"
                    # The speed target is about streaming many rows: at the largest size,
                    # where the export's fixed start-up cost no longer counts.
                    csv = format == "csv_tidy" and n == sizes[-1]
                    rows.append(
                        Row(
                            name,
                            "time (analysis.exports)",
                            result["seconds"],
                            "s",
                            "COPY TO STDOUT",
                            ceiling,
                            target="≤ 3.3× COPY" if csv else "",
                            met=(result["seconds"] <= ceiling / 0.3) if csv else None,
                            note=f"{result['file_mb']} MB file",
                        )
                    )
                    above = max(result["peak_mb"] - result["baseline_mb"], 1.0)
                    growth.setdefault(format, above)
                    later = n != sizes[0]
                    rows.append(
                        Row(
                            name,
                            "peak memory above rest",
                            above,
                            "MB",
                            f"same at n={sizes[0]:,}",
                            growth[format],
                            target="≤ 1.5× smallest" if later else "",
                            met=(above <= 1.5 * growth[format]) if later else None,
                            note=f"peak {result['peak_mb']} MB, rest {result['baseline_mb']} MB",
                        )
                    )
        finally:
            delete_synthetic_wave(council_id)
    return rows
