"""Scenario 3: the analysis engine at 10k, 100k and 1M responses over 10 cases.

n counts rows of the tidy case frame (one member's answers on one theme); they are spread
evenly over 10 cases (the themes of one wave). Compute stages run on a frame generated with
numpy, each size in its own process so that its peak memory is its own. The load stage
times `datasets.load_case_frame` on rows written with Postgres COPY (not the ORM), against
the ceiling of COPYing the same joined rows out of Postgres.
"""

import json
import subprocess
import sys
import time

import numpy as np
from django.db import connection, models, transaction
from django.utils import timezone

from bench.report import Row
from bench.services import ROOT
from experiments.models import (
    Activity,
    ActivityAnswer,
    Assignment,
    Council,
    Response,
    Theme,
    ThemeAnswer,
    Wave,
    WaveStatus,
    WaveTheme,
)
from panel.models import PanelMember

CASES = 10
ACTIVITIES = 5


def copy_rows(model: type[models.Model], rows: list[dict]) -> None:
    """COPY rows into the model's table; unset fields take the model's defaults.

    Filling from the model's own field list keeps this working when a field is added.
    """
    now = timezone.now()
    given = set(rows[0]) if rows else set()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in given]
    columns = [f.column for f in fields]

    def value(field, row):
        if field.attname in row:
            return row[field.attname]
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return now
        return field.get_default()

    with connection.cursor() as cursor:
        raw = cursor.cursor
        table = model._meta.db_table
        with raw.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([value(f, row) for f in fields])
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'(SELECT coalesce(max(id), 1) FROM "{table}"))'
        )


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1


@transaction.atomic
def build_wave(n: int, *, seed: int = 1) -> Wave:
    """Write a closed wave with n/10 complete responses, each answering 10 themes."""
    rng = np.random.default_rng(seed)
    council = Council.objects.create(name=f"Analysis council {n}", slug=f"analysis-{n}")
    wave = Wave.objects.create(council=council, title=f"Analysis {n}", status=WaveStatus.CLOSED)
    themes = []
    activities = {}
    for case in range(CASES):
        theme = Theme.objects.create(council=council, kind="custom", name_en=f"Case {case}")
        WaveTheme.objects.create(wave=wave, theme=theme, position=case)
        activities[theme.pk] = [
            a.pk
            for a in Activity.objects.bulk_create(
                Activity(theme=theme, position=p, text_en=f"Activity {p}")
                for p in range(ACTIVITIES)
            )
        ]
        themes.append(theme.pk)
    respondents = max(n // CASES, 1)
    members = PanelMember.objects.bulk_create(
        (PanelMember(council=council, external_id=f"A{i:07d}") for i in range(respondents)),
        batch_size=10000,
    )
    now = timezone.now()
    arms = rng.choice(["ab", "a", "b", "none"], size=respondents)
    copy_rows(
        Assignment,
        [
            {"wave_id": wave.pk, "member_id": m.pk, "arm": arm, "scheme": "simple"}
            for m, arm in zip(members, arms, strict=True)
        ],
    )
    first_response = _next_id(Response)
    copy_rows(
        Response,
        [
            {
                "id": first_response + i,
                "wave_id": wave.pk,
                "member_id": m.pk,
                "status": "complete",
                "submitted_at": now,
            }
            for i, m in enumerate(members)
        ],
    )
    first_answer = _next_id(ThemeAnswer)
    collective = rng.integers(1, 4, size=respondents * CASES)
    efficacy = rng.choice([1, 2, 3, 4, 5, 9], size=respondents * CASES)
    theme_rows = []
    activity_rows = []
    done = rng.random(respondents * CASES * ACTIVITIES) < 0.4
    k = 0
    for i in range(respondents):
        for c, theme_id in enumerate(themes):
            answer_id = first_answer + i * CASES + c
            theme_rows.append(
                {
                    "id": answer_id,
                    "response_id": first_response + i,
                    "theme_id": theme_id,
                    "collective": int(collective[i * CASES + c]),
                    "efficacy": int(efficacy[i * CASES + c]),
                }
            )
            for activity_id in activities[theme_id]:
                activity_rows.append(
                    {
                        "theme_answer_id": answer_id,
                        "activity_id": activity_id,
                        "done": bool(done[k]),
                    }
                )
                k += 1
    copy_rows(ThemeAnswer, theme_rows)
    copy_rows(ActivityAnswer, activity_rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return wave


def copy_out_seconds(wave: Wave) -> float:
    """Time COPY of the joined rows the loader reads (the ceiling of the load stage)."""
    query = (
        "SELECT r.id, r.member_id, t.theme_id, t.collective, t.efficacy, a.done "
        "FROM experiments_themeanswer t JOIN experiments_response r ON r.id = t.response_id "
        "JOIN experiments_activityanswer a ON a.theme_answer_id = t.id "
        f"WHERE r.wave_id = {int(wave.pk)} AND r.status = 'complete'"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
        for _ in copy:
            pass
    return time.perf_counter() - started


def probe(args: list[str], *, env: dict) -> dict:
    answer = subprocess.run(
        [sys.executable, "-m", "bench.analysis_probe", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if answer.returncode != 0:
        raise RuntimeError(f"analysis probe {args} failed:\n{answer.stderr[-3000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def run(*, sizes: list[int], load_sizes: list[int], env: dict) -> list[Row]:
    rows: list[Row] = []
    smallest: dict[str, float] = {}
    for n in sizes:
        result = probe(["compute", "--n", str(n)], env=env)
        name = f"analysis n={n:,}"
        total = 0.0
        for stage, seconds in result["stages"].items():
            if seconds is None:
                rows.append(Row(name, stage, None, note="not available yet on this branch"))
                continue
            total += seconds
            per = seconds / n * 1e6
            smallest.setdefault(stage, per)
            rows.append(
                Row(
                    name,
                    f"{stage} µs/response",
                    per,
                    "µs",
                    f"{stage} at n={sizes[0]:,}",
                    smallest[stage],
                    note=f"{seconds:.2f} s",
                )
            )
        smallest.setdefault("total", total / n * 1e6)
        target = {100_000: (15, "< 15 s"), 1_000_000: (120, "< 120 s")}.get(n)
        rows.append(
            Row(
                name,
                "compute wall time",
                total,
                "s",
                f"per-response at n={sizes[0]:,}",
                smallest["total"] * n / 1e6,
                target=target[1] if target else "",
                met=(total < target[0]) if target else None,
                note="ratio = time against linear scaling from the smallest n",
            )
        )
        rows.append(
            Row(
                name,
                "PDF download of the report (10 cases)",
                result["pdf_seconds"],
                "s",
                "HTML rendering",
                result["stages"]["rendering"],
                note=f"{result['pdf_bytes'] / 1024:.0f} KB",
            )
        )
        mem_target = n == 1_000_000
        rows.append(
            Row(
                name,
                "peak memory",
                result["peak_rss_mb"],
                "MB",
                "process at rest",
                result["rest_rss_mb"],
                target="< 4096 MB" if mem_target else "",
                met=(result["peak_rss_mb"] < 4096) if mem_target else None,
            )
        )
    for n in load_sizes:
        wave = build_wave(n)
        ceiling = copy_out_seconds(wave)
        result = probe(["load", "--wave", str(wave.pk)], env=env)
        rows.append(
            Row(
                f"analysis n={n:,}",
                "load (datasets.load_case_frame)",
                result["seconds"],
                "s",
                "COPY TO of same rows",
                ceiling,
                note=f"{result['rows']:,} rows, peak {result['peak_rss_mb']:.0f} MB",
            )
        )
    return rows
