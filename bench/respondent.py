"""Scenario 1: the respondent cycle against the ceiling view at each load, and where CPU goes.

The load comes from `bench.loadgen`, which parses no HTML: the cycle (every page's URL, what
its answer must be, the answers to send) is made here from the wave's instrument, through
the same forms that check the answers on the site. The parsing client (Locust filling each
page's form from its HTML, bench.locustfile) stays as a correctness mode: `--parsing-client`.

Beside the usual figures, each load's table shows the CPU per request of the servers
(gunicorn's workers and the database's Postgres backends, from /proc) and of the load
generator, for the cycle and the ceiling alike; a phased run then gives the servers' CPU
per request of each kind of page.
"""

import csv
import json
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django.urls import reverse

from bench.ceiling.views import CEILING_TABLE
from bench.report import Row
from bench.services import ROOT, Server, stop_process
from experiments.forms import WARD_NOT_SAID, AboutYouForm, ThemePageForm
from experiments.invitations import hash_token
from experiments.models import Invitation, Response, ResponseStatus, ThemeAnswer, Wave
from experiments.questionnaires import theme_pages

# What each kind of page must hold when shown: its answer form, or the confirmation.
HOLDS_FORM = 'id="answers"'
HOLDS_CONFIRMATION = 'class="panel-confirmation"'
# The kinds of request in the order of the cycle, for the table.
KINDS = (
    "open link (redirect)",
    "start GET",
    "start POST",
    "resume (redirect)",
    "theme GET",
    "theme POST",
    "about-you GET",
    "about-you POST",
    "check GET",
    "check POST",
    "done GET",
)
SERVER_CPU_TARGET_MS = 2.0


def _choices(field) -> list[str]:
    return [str(value) for value, _ in field.choices if str(value) != ""]


def instrument_cycle(wave: Wave, *, with_resume: bool = False) -> list[dict]:
    """Return the requests of one member's whole questionnaire, made from the instrument.

    Each POST lists, per field, the answers a member may give; the generator picks one per
    member before the clock starts. `with_resume` adds a visit of the start page after
    consenting, which sends the member on to where they left off (a redirect).
    """
    survey = reverse("experiments:questionnaire")
    screens = []
    for number, page in enumerate(theme_pages(wave, language="en"), start=1):
        parts = page.parts(
            per_page=wave.questions_per_page, manipulation_check=wave.manipulation_check
        )
        for part, questions in enumerate(parts, start=1):
            form = ThemePageForm(
                page=page,
                manipulation_check=wave.manipulation_check,
                part=questions if len(parts) > 1 else None,
            )
            url = (
                reverse("experiments:theme", args=[number])
                if part == 1
                else reverse("experiments:theme_part", args=[number, part])
            )
            screens.append((url, [(f.name, _choices(f.field)) for f in form]))
    about_you_url = reverse("experiments:about_you")
    check_url = reverse("experiments:check")
    done_url = reverse("experiments:done")
    about = AboutYouForm(in_wales=False, wards=["Central"])
    about_answers = [
        ("birth_year", [str(year) for year in range(1940, 2000)]),
        ("age_band", [""]),
        *[(name, _choices(about.fields[name])) for name in ("gender", "ethnic_group")],
        ("qualification", _choices(about.fields["qualification"])),
        ("ward", ["Central", WARD_NOT_SAID]),
    ]
    first = screens[0][0] if screens else about_you_url
    cycle = [
        {
            "kind": "open link (redirect)",
            "method": "GET",
            "path": "/i/{token}/",
            "status": 302,
            "location": survey,
        },
        {"kind": "start GET", "method": "GET", "path": survey, "holds": HOLDS_FORM},
        {
            "kind": "start POST",
            "method": "POST",
            "path": survey,
            "status": 303,
            "location": first,
            "answers": [("consent", ["yes"])],
        },
    ]
    if with_resume:
        cycle.append(
            {
                "kind": "resume (redirect)",
                "method": "GET",
                "path": survey,
                "status": 302,
                "location": first,
            }
        )
    following = [url for url, _ in screens[1:]] + [about_you_url]
    for (url, answers), after in zip(screens, following, strict=True):
        cycle += [
            {"kind": "theme GET", "method": "GET", "path": url, "holds": HOLDS_FORM},
            {
                "kind": "theme POST",
                "method": "POST",
                "path": url,
                "status": 303,
                "location": after,
                "answers": answers,
            },
        ]
    cycle += [
        {"kind": "about-you GET", "method": "GET", "path": about_you_url, "holds": HOLDS_FORM},
        {
            "kind": "about-you POST",
            "method": "POST",
            "path": about_you_url,
            "status": 303,
            "location": check_url,
            "answers": about_answers,
        },
        {"kind": "check GET", "method": "GET", "path": check_url, "holds": HOLDS_FORM},
        {
            "kind": "check POST",
            "method": "POST",
            "path": check_url,
            "status": 303,
            "location": done_url,
            "answers": [],
        },
        {"kind": "done GET", "method": "GET", "path": done_url, "holds": HOLDS_CONFIRMATION},
    ]
    for step in cycle:
        step.setdefault("status", 200)
    return cycle


@dataclass(frozen=True)
class LoadResult:
    requests: int
    failures: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    acknowledged: list[str]
    seconds: float
    # CPU time the load generator itself used, on the same CPUs as the servers.
    client_cpu_seconds: float = 0.0
    # CPU time of gunicorn's workers and of the database's Postgres backends meanwhile.
    workers_cpu_seconds: float | None = None
    postgres_cpu_seconds: float | None = None
    failure_examples: tuple[str, ...] = ()
    by_kind: dict | None = None

    def _per_request(self, seconds: float | None) -> float | None:
        return None if seconds is None else 1000 * seconds / max(self.requests, 1)

    @property
    def client_cpu_ms_per_request(self) -> float:
        return self._per_request(self.client_cpu_seconds)

    @property
    def server_cpu_ms_per_request(self) -> float | None:
        if self.workers_cpu_seconds is None:
            return None
        return self._per_request(self.workers_cpu_seconds + self.postgres_cpu_seconds)

    @property
    def workers_cpu_ms_per_request(self) -> float | None:
        return self._per_request(self.workers_cpu_seconds)

    @property
    def postgres_cpu_ms_per_request(self) -> float | None:
        return self._per_request(self.postgres_cpu_seconds)


def _own_backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def run_generator(
    mode: str,
    *,
    server: Server,
    users: int,
    out: Path,
    seconds: int = 0,
    stop_timeout: int = 10,
    tokens: list[str] = (),
    cycle: list[dict] = (),
) -> LoadResult:
    """Run bench.loadgen in a subprocess (its own CPUs' worth of Python) and read its result."""
    prefix = out / f"loadgen_{mode}_{users}"
    plan = {
        "mode": mode,
        "host": server.host,
        "port": server.port,
        "users": users,
        "seconds": seconds,
        "stop_timeout": stop_timeout,
        "tokens": list(tokens),
        "cycle": list(cycle),
        "gunicorn_pid": server.pid,
        "database": connection.settings_dict["NAME"],
        "leave_out": [_own_backend_pid()],
    }
    plan_path, result_path = Path(f"{prefix}_plan.json"), Path(f"{prefix}_result.json")
    plan_path.write_text(json.dumps(plan))
    result_path.unlink(missing_ok=True)
    with open(f"{prefix}.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.loadgen", str(plan_path), str(result_path)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            process.wait(timeout=seconds + stop_timeout + 300)
        finally:
            stop_process(process)
    if process.returncode != 0:
        raise RuntimeError(f"the load generator exited with {process.returncode}; see {prefix}.log")
    result = json.loads(result_path.read_text())
    return LoadResult(
        requests=result["requests"],
        failures=result["failures"],
        requests_per_s=result["requests_per_s"],
        p50_ms=result["p50_ms"],
        p99_ms=result["p99_ms"],
        acknowledged=result["acknowledged"],
        seconds=seconds or result["seconds"],
        client_cpu_seconds=result["client_cpu_s"],
        workers_cpu_seconds=result["workers_cpu_s"],
        postgres_cpu_seconds=result["postgres_cpu_s"],
        failure_examples=tuple(result["failure_examples"]),
        by_kind=result["by_kind"],
    )


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
) -> LoadResult:
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
    return LoadResult(
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


def _load_rows(
    users: int,
    cycle: LoadResult,
    ceiling: LoadResult,
    *,
    stored: int,
    ceiling_lost: int,
    parsing: bool,
) -> list[Row]:
    name, ceiling_name = f"respondent @{users}", f"ceiling @{users}"
    lost = len(cycle.acknowledged) - stored
    failures = "; ".join(cycle.failure_examples[:2] + ceiling.failure_examples[:1])
    generator = "Locust, parsing every page's form" if parsing else "bench.loadgen, no HTML parsed"
    rows = [
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
        Row(name, "p50", cycle.p50_ms, "ms", ceiling_name, ceiling.p50_ms),
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
            note=failures,
        ),
        Row(
            name,
            "lost (acked, not stored)",
            lost,
            target="0",
            met=lost == 0 and ceiling_lost == 0,
            note=f"{stored} of {len(cycle.acknowledged)} stored; ceiling lost {ceiling_lost}",
        ),
    ]
    if cycle.server_cpu_ms_per_request is not None:
        server = cycle.server_cpu_ms_per_request
        rows.append(
            Row(
                name,
                "server CPU per request",
                server,
                "ms",
                ceiling_name,
                ceiling.server_cpu_ms_per_request,
                target=f"≤ {SERVER_CPU_TARGET_MS:g} ms",
                met=server <= SERVER_CPU_TARGET_MS,
                note=f"workers {cycle.workers_cpu_ms_per_request:.2f} ms + Postgres "
                f"{cycle.postgres_cpu_ms_per_request:.2f} ms; ceiling workers "
                f"{ceiling.workers_cpu_ms_per_request:.2f} + Postgres "
                f"{ceiling.postgres_cpu_ms_per_request:.2f} ms (/proc)",
            )
        )
    rows.append(
        Row(
            name,
            "load generator CPU per request",
            cycle.client_cpu_ms_per_request,
            "ms",
            ceiling_name,
            ceiling.client_cpu_ms_per_request,
            target="≤ 1.5× ceiling",
            met=cycle.client_cpu_ms_per_request <= 1.5 * ceiling.client_cpu_ms_per_request,
            note=f"{generator}, on the same CPUs as the servers",
        )
    )
    return rows


def _kind_rows(phased: LoadResult) -> list[Row]:
    """One row per kind of request: the servers' CPU of each, from the phased run."""
    rows = []
    by_kind = phased.by_kind or {}
    for kind in KINDS:
        figures = by_kind.get(kind)
        if not figures:
            continue
        n = figures["requests"]
        workers, postgres = (1000 * figures[k] / n for k in ("workers", "postgres"))
        rows.append(
            Row(
                f"respondent page: {kind}",
                "server CPU per request",
                workers + postgres,
                "ms",
                note=f"workers {workers:.2f} + Postgres {postgres:.2f} ms, {n} requests",
            )
        )
    requests = sum(f["requests"] for f in by_kind.values())
    rows.append(
        Row(
            "respondent pages (phased)",
            "errors",
            phased.failures,
            target="0",
            met=phased.failures == 0,
            note=f"{requests} requests, each kind of page in turn; "
            + "; ".join(phased.failure_examples[:2]),
        )
    )
    return rows


def run(
    *,
    wave: Wave,
    token_files: list[Path],
    server: Server,
    env: dict,
    out: Path,
    loads: list[int],
    seconds: int,
    warm_up_file: Path | None = None,
    warm_up_seconds: int = 6,
    stop_timeout: int = 10,
    phased_tokens: list[str] = (),
    parsing_client: bool = False,
) -> list[Row]:
    """Measure the ceiling, then the respondent cycle, at each load; fresh members per load.

    A short unreported run first lets every worker import and compile what the first
    rendered page needs, so that the first load does not pay for it.
    """
    cycle_plan = instrument_cycle(wave)

    def load(kind: str, users: int, seconds: int, tokens_file: Path | None) -> LoadResult:
        if parsing_client:
            return run_locust(
                "Ceiling" if kind == "ceiling" else "Respondent",
                users=users,
                seconds=seconds,
                host=server.url,
                env=env,
                out=out,
                tokens_file=tokens_file,
                stop_timeout=stop_timeout,
            )
        tokens = tokens_file.read_text().split() if tokens_file is not None else []
        return run_generator(
            kind,
            server=server,
            users=users,
            out=out,
            seconds=seconds,
            stop_timeout=stop_timeout,
            tokens=tokens,
            cycle=cycle_plan if kind == "cycle" else [],
        )

    rows: list[Row] = []
    if warm_up_file is not None:
        load("cycle", 6, warm_up_seconds, warm_up_file)
    for users, tokens_file in zip(loads, token_files, strict=True):
        ceiling = load("ceiling", users, seconds, None)
        ceiling_lost = len(ceiling.acknowledged) - count_stored_ceiling_rows(ceiling.acknowledged)
        cycle = load("cycle", users, seconds, tokens_file)
        stored = count_stored_submissions(wave, cycle.acknowledged)
        rows += _load_rows(
            users, cycle, ceiling, stored=stored, ceiling_lost=ceiling_lost, parsing=parsing_client
        )
    if phased_tokens:
        phased = run_generator(
            "phased",
            server=server,
            users=8,
            out=out,
            tokens=phased_tokens,
            cycle=instrument_cycle(wave, with_resume=True),
        )
        rows += _kind_rows(phased)
    return rows
