"""Scenario 1: the respondent cycle under Locust, against the ceiling view at each load."""

import csv
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from bench.ceiling.views import CEILING_TABLE
from bench.report import Row
from bench.services import ROOT, stop_process
from experiments.invitations import hash_token
from experiments.models import Invitation, Response, ResponseStatus, ThemeAnswer, Wave


@dataclass(frozen=True)
class LocustResult:
    requests: int
    failures: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    acknowledged: list[str]
    seconds: float
    # CPU time Locust itself used, on the same CPUs as the servers it measures.
    client_cpu_seconds: float = 0.0

    @property
    def client_cpu_ms_per_request(self) -> float:
        return 1000 * self.client_cpu_seconds / max(self.requests, 1)


def run_locust(
    user_class: str,
    *,
    users: int,
    seconds: int,
    host: str,
    env: dict,
    out: Path,
    tokens_file: Path | None = None,
    stop_timeout: int = 10,
) -> LocustResult:
    """Run Locust headless in a subprocess and read its aggregated statistics."""
    prefix = out / f"{user_class.lower()}_{users}"
    acks = Path(f"{prefix}_acks.txt")
    acks.unlink(missing_ok=True)
    run_env = dict(env, BENCH_ACKS_FILE=str(acks))
    if tokens_file is not None:
        run_env["BENCH_TOKENS_FILE"] = str(tokens_file)
    args = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        str(stop_timeout),
        "--host",
        host,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        user_class,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(f"{prefix}.log", "wb") as log:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=run_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            process.wait(timeout=seconds + stop_timeout + 60)
        finally:
            stop_process(process)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(f"{prefix}_stats.csv") as handle:
        aggregated = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    acknowledged = acks.read_text().split() if acks.exists() else []
    return LocustResult(
        requests=int(aggregated["Request Count"]),
        failures=int(aggregated["Failure Count"]),
        requests_per_s=float(aggregated["Requests/s"]),
        p50_ms=float(aggregated["50%"] or 0),
        p99_ms=float(aggregated["99%"] or 0),
        acknowledged=acknowledged,
        seconds=seconds,
        client_cpu_seconds=client_cpu,
    )


def count_stored_submissions(wave: Wave, tokens: list[str]) -> int:
    """Count the acknowledged members whose complete response holds every theme's answers."""
    themes = wave.themes.count()
    members = Invitation.objects.filter(
        wave=wave, token_hash__in=[hash_token(t) for t in tokens]
    ).values_list("member_id", flat=True)
    complete = set(
        Response.objects.filter(
            wave=wave, member_id__in=list(members), status=ResponseStatus.COMPLETE
        ).values_list("pk", flat=True)
    )
    per_response = {}
    for response_id in ThemeAnswer.objects.filter(response_id__in=complete).values_list(
        "response_id", flat=True
    ):
        per_response[response_id] = per_response.get(response_id, 0) + 1
    return sum(1 for n in per_response.values() if n == themes)


def count_stored_ceiling_rows(ids: list[str]) -> int:
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {CEILING_TABLE} WHERE id = ANY(%s)", [[int(i) for i in ids]]
        )
        return cursor.fetchone()[0]


def run(
    *,
    wave: Wave,
    token_files: list[Path],
    host: str,
    env: dict,
    out: Path,
    loads: list[int],
    seconds: int,
    warm_up_file: Path | None = None,
    warm_up_seconds: int = 6,
    stop_timeout: int = 10,
) -> list[Row]:
    """Measure the ceiling, then the respondent cycle, at each load; fresh members per load.

    A short unreported run first lets every worker import and compile what the first
    rendered page needs, so that the first load does not pay for it.
    """
    rows: list[Row] = []
    if warm_up_file is not None:
        run_locust(
            "Respondent",
            users=6,
            seconds=warm_up_seconds,
            host=host,
            env=env,
            out=out,
            tokens_file=warm_up_file,
            stop_timeout=stop_timeout,
        )
    for users, tokens_file in zip(loads, token_files, strict=True):
        ceiling = run_locust(
            "Ceiling",
            users=users,
            seconds=seconds,
            host=host,
            env=env,
            out=out,
            stop_timeout=stop_timeout,
        )
        ceiling_lost = len(ceiling.acknowledged) - count_stored_ceiling_rows(ceiling.acknowledged)
        cycle = run_locust(
            "Respondent",
            users=users,
            seconds=seconds,
            host=host,
            env=env,
            out=out,
            tokens_file=tokens_file,
            stop_timeout=stop_timeout,
        )
        stored = count_stored_submissions(wave, cycle.acknowledged)
        lost = len(cycle.acknowledged) - stored
        name = f"respondent @{users}"
        ceiling_name = f"ceiling @{users}"
        rows += [
            Row(
                name,
                "requests/s",
                cycle.requests_per_s,
                "req/s",
                ceiling_name,
                ceiling.requests_per_s,
                target="≥ 0.5× ceiling" if users == 32 else "",
                met=(cycle.requests_per_s >= 0.5 * ceiling.requests_per_s) if users == 32 else None,
            ),
            Row(
                name,
                "cycles/s",
                len(cycle.acknowledged) / cycle.seconds,
                "cyc/s",
                note=f"{len(cycle.acknowledged)} cycles, "
                f"{cycle.requests / max(len(cycle.acknowledged), 1):.1f} requests each",
            ),
            Row(
                name,
                "p50",
                cycle.p50_ms,
                "ms",
                ceiling_name,
                ceiling.p50_ms,
            ),
            Row(
                name,
                "p99",
                cycle.p99_ms,
                "ms",
                ceiling_name,
                ceiling.p99_ms,
                target="< 250 ms" if users == 64 else "",
                met=(cycle.p99_ms < 250) if users == 64 else None,
            ),
            Row(
                name,
                "errors",
                cycle.failures,
                baseline=ceiling_name,
                baseline_value=ceiling.failures,
                target="0",
                met=cycle.failures == 0 and ceiling.failures == 0,
            ),
            Row(
                name,
                "lost (acked, not stored)",
                lost,
                target="0",
                met=lost == 0 and ceiling_lost == 0,
                note=f"{stored} of {len(cycle.acknowledged)} stored; ceiling lost {ceiling_lost}",
            ),
            Row(
                name,
                "load generator CPU per request",
                cycle.client_cpu_ms_per_request,
                "ms",
                ceiling_name,
                ceiling.client_cpu_ms_per_request,
                note="Locust parses every page's form, on the same CPUs as the servers",
            ),
        ]
    return rows
