"""Measure the peak memory of exporting a large synthetic wave, one format per process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<scratch db> \
        .venv/bin/python bench/exports_memory.py --responses 20000 200000

The database must be migrated (`manage.py migrate`); the synthetic council is inserted with
COPY and deleted again afterwards. Each export runs in a fresh Python process that imports
Django, records its resident set size, writes the file and then reports its peak RSS
(`VmHWM`, reset once Django is up), so the figures are those a Celery worker would see for
that one job.
Call `measure_export_memory(responses=...)` from other benchmark code for the same numbers.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FORMATS = ("csv_tidy", "csv_wide", "dta", "sav")


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "surveyplatform.settings")
    import django

    django.setup()


def _copy_rows(model, rows) -> None:
    """COPY dict rows into the model's table; columns not given take the field default."""
    from django.db import connection
    from django.utils import timezone

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)

    def value(field, row):
        if field.attname in row:
            return row[field.attname]
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return now
        return field.get_default()

    with connection.cursor() as cursor:
        table = connection.ops.quote_name(model._meta.db_table)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([value(field, row) for field in fields])


def create_synthetic_wave(*, responses: int, themes: int = 2, activities: int = 4, seed: int = 7):
    """Insert a closed wave of `responses` complete responses; return (wave id, council id)."""
    from django.db import transaction
    from django.utils import timezone

    from experiments.models import (
        Activity,
        ActivityAnswer,
        Assignment,
        Council,
        Response,
        Theme,
        ThemeAnswer,
        Wave,
        WaveTheme,
    )
    from panel.models import PanelMember

    rng = random.Random(seed)
    now = timezone.now()
    tag = f"bench-exports-{int(time.time() * 1000)}"
    with transaction.atomic():
        council = Council.objects.create(name=tag, slug=tag)
        wave = Wave.objects.create(
            council=council, title=tag, status="closed", closed_at=now, opened_at=now
        )
        theme_rows = []
        for t in range(themes):
            theme = Theme.objects.create(council=council, kind="environment", name_en=f"Theme {t}")
            WaveTheme.objects.create(wave=wave, theme=theme, position=t)
            acts = [
                Activity.objects.create(theme=theme, text_en=f"Activity {a}", position=a).pk
                for a in range(activities)
            ]
            theme_rows.append((theme.pk, acts))
        _copy_rows(
            PanelMember,
            ({"council_id": council.pk, "external_id": f"B{i:07d}"} for i in range(responses)),
        )
        members = list(
            PanelMember.objects.filter(council=council).order_by("pk").values_list("pk", flat=True)
        )
        arms = ("ab", "a", "b", "none")
        _copy_rows(
            Assignment,
            (
                {"wave_id": wave.pk, "member_id": m, "arm": arms[i % 4], "scheme": "simple"}
                for i, m in enumerate(members)
            ),
        )
        wards = [f"Ward {w}" for w in range(30)] + ["Llanfair, Pwllgwyngyll ŵ"]
        _copy_rows(
            Response,
            (
                {
                    "wave_id": wave.pk,
                    "member_id": m,
                    "status": "complete",
                    "language": "cy" if i % 5 == 0 else "en",
                    "submitted_at": now,
                    "birth_year": 1940 + i % 60,
                    "ward": wards[i % len(wards)],
                }
                for i, m in enumerate(members)
            ),
        )
        response_ids = list(
            Response.objects.filter(wave=wave).order_by("pk").values_list("pk", flat=True)
        )
        _copy_rows(
            ThemeAnswer,
            (
                {
                    "response_id": r,
                    "theme_id": theme_id,
                    "collective": rng.randint(1, 3),
                    "time_now": rng.randint(1, 4),
                    "efficacy": rng.randint(1, 5),
                }
                for r in response_ids
                for theme_id, _acts in theme_rows
            ),
        )
        acts_of = dict(theme_rows)
        # Read the ids before COPY starts: no other query may run on a connection mid-COPY.
        answers = list(
            ThemeAnswer.objects.filter(response__wave=wave)
            .order_by("pk")
            .values_list("pk", "theme_id")
        )
        _copy_rows(
            ActivityAnswer,
            (
                {"theme_answer_id": ta, "activity_id": a, "done": rng.random() < 0.4}
                for ta, theme_id in answers
                for a in acts_of[theme_id]
            ),
        )
    return wave.pk, council.pk


def delete_synthetic_wave(council_id: int) -> None:
    """Delete the synthetic council's rows with set-based SQL (the ORM cascade is slow)."""
    from django.db import connection, transaction

    statements = [
        "DELETE FROM experiments_activityanswer WHERE theme_answer_id IN (SELECT ta.id FROM"
        " experiments_themeanswer ta JOIN experiments_response r ON r.id = ta.response_id"
        " JOIN experiments_wave w ON w.id = r.wave_id WHERE w.council_id = %s)",
        "DELETE FROM experiments_themeanswer WHERE response_id IN (SELECT r.id FROM"
        " experiments_response r JOIN experiments_wave w ON w.id = r.wave_id"
        " WHERE w.council_id = %s)",
        "DELETE FROM experiments_response WHERE wave_id IN"
        " (SELECT id FROM experiments_wave WHERE council_id = %s)",
        "DELETE FROM experiments_assignment WHERE wave_id IN"
        " (SELECT id FROM experiments_wave WHERE council_id = %s)",
    ]
    statements.append("DELETE FROM panel_panelmember WHERE council_id = %s")
    from experiments.models import Council, Wave

    with transaction.atomic():
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement, [council_id])
        # Waves first: their theme links protect the themes from the council's cascade.
        Wave.objects.filter(council_id=council_id).delete()
        Council.objects.filter(pk=council_id).delete()


def _child(wave_id: int, format: str, directory: str) -> None:
    _setup_django()
    from bench.memory import peak_mb, reset_peak
    from exports import jobs, writers

    # Not ru_maxrss: a child started by fork and exec inherits its parent's peak there, so
    # the process that inserted the wave would set the figure. VmHWM belongs to this image.
    baseline_mb = reset_peak()
    path = Path(directory) / f"bench-{wave_id}.{writers.EXTENSIONS[format]}"
    started = time.perf_counter()
    jobs.write_export(path, wave_ids=[wave_id], format=format)
    seconds = time.perf_counter() - started
    peak = peak_mb()
    size = path.stat().st_size
    path.unlink()
    print(
        json.dumps(
            {
                "format": format,
                "baseline_mb": round(baseline_mb, 1),
                "peak_mb": round(peak, 1),
                "seconds": round(seconds, 3),
                "file_mb": round(size / 2**20, 1),
            }
        )
    )


def measure_export_memory(
    *,
    responses: int,
    formats=DEFAULT_FORMATS,
    themes: int = 2,
    activities: int = 4,
    report=None,
) -> list[dict]:
    """Export a synthetic wave of `responses` in each format; return one dict per format.

    `report`, if given, is called with each format's result as soon as it is measured.
    """
    import tempfile

    _setup_django()
    wave_id, council_id = create_synthetic_wave(
        responses=responses, themes=themes, activities=activities
    )
    results = []
    try:
        with tempfile.TemporaryDirectory() as directory:
            for format in formats:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", str(wave_id), format, directory],
                    check=True,
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                )
                result = json.loads(out.stdout.strip().splitlines()[-1])
                results.append({"responses": responses, "themes": themes, **result})
                if report:
                    report(results[-1])
    finally:
        delete_synthetic_wave(council_id)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--formats", nargs="+", default=list(DEFAULT_FORMATS))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        wave_id, format, directory = arguments.child
        _child(int(wave_id), format, directory)
        return
    for responses in arguments.responses:
        measure_export_memory(
            responses=responses,
            formats=arguments.formats,
            report=lambda result: print(json.dumps(result), flush=True),
        )


if __name__ == "__main__":
    main()
