"""Run the benchmarks and print one table: `python -m bench [--quick]` (or `make bench`).

Starts on loopback what the platform needs in production (gunicorn with DEBUG off, a
Celery worker, the real Postgres and Redis) against a database of its own, created here
and dropped at the end, and stops everything it started on success, error or Ctrl-C.
"""

import argparse
import os
import signal
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass

from bench import services

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sp_bench_run"
# A Redis database of its own, so that the bench's worker never takes anyone else's tasks.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


@dataclass(frozen=True)
class Plan:
    loads: list[int]
    seconds: int
    members_per_load: int
    openings: int
    analysis_sizes: list[int]
    load_sizes: list[int]
    export_sizes: list[int]
    web_workers: int


QUICK = Plan([8, 32], 8, 1500, 200, [10_000, 100_000], [10_000], [20_000, 200_000], 3)
FULL = Plan(
    [8, 32, 64],
    30,
    5000,
    200,
    [10_000, 100_000, 1_000_000],
    [10_000, 100_000],
    [20_000, 200_000],
    3,
)


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def _wanted(only: set[str] | None, name: str) -> bool:
    return only is None or name in only


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer loads, shorter runs")
    parser.add_argument(
        "--only", help="comma-separated scenarios: respondent,openings,analysis,exports,panel"
    )
    parser.add_argument(
        "--keep-up",
        type=int,
        default=0,
        metavar="SECONDS",
        help="keep the servers up this long after the respondent runs (profiling)",
    )
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    only = set(args.only.split(",")) if args.only else None
    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    var_dir = services.ROOT / "var" / "bench"
    out = var_dir / "out"
    out.mkdir(parents=True, exist_ok=True)
    env = services.production_env(database_url=database_url, redis_url=redis_url, var_dir=var_dir)
    started = time.perf_counter()

    with ExitStack() as stack:
        services.create_database(stack, database_url)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        stack.callback(connections.close_all)  # before the database is dropped
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)

        from bench import analysis, data, exports, openings, panel_import, respondent

        data.create_ceiling_table()
        council = data.create_council()
        respondent_wave = data.create_open_wave(
            council,
            title="Respondent cycle",
            members=plan.members_per_load * len(plan.loads),
            prefix="R",
        )
        openings_wave = data.create_open_wave(
            council, title="First openings", members=plan.openings, prefix="F"
        )
        print(f"Set up in {time.perf_counter() - started:.0f} s; starting the servers.", flush=True)

        rows = []
        if _wanted(only, "respondent") or _wanted(only, "openings"):
            services.start_celery_worker(stack, env=env, logs=out)
            host = services.start_gunicorn(
                stack, env=env, port=services.free_port(), workers=plan.web_workers, logs=out
            )
            if _wanted(only, "respondent"):
                token_files = []
                for index, _ in enumerate(plan.loads):
                    chunk = respondent_wave.tokens[
                        index * plan.members_per_load : (index + 1) * plan.members_per_load
                    ]
                    path = out / f"tokens_{index}.txt"
                    path.write_text("\n".join(chunk) + "\n")
                    token_files.append(path)
                rows += respondent.run(
                    wave=respondent_wave.wave,
                    token_files=token_files,
                    host=host,
                    env=env,
                    out=out,
                    loads=plan.loads,
                    seconds=plan.seconds,
                )
                print("Respondent cycle done.", flush=True)
                if args.keep_up:
                    print(f"Servers stay up at {host} for {args.keep_up} s.", flush=True)
                    time.sleep(args.keep_up)
            if _wanted(only, "openings"):
                rows += openings.run(
                    wave=openings_wave.wave, tokens=openings_wave.tokens, host=host
                )
                print("First openings done.", flush=True)
        if _wanted(only, "analysis"):
            rows += analysis.run(sizes=plan.analysis_sizes, load_sizes=plan.load_sizes, env=env)
            print("Analysis done.", flush=True)
        if _wanted(only, "exports"):
            rows += exports.run(sizes=plan.export_sizes, env=env)
            print("Exports done.", flush=True)
        if _wanted(only, "panel"):
            rows += panel_import.run()

    from bench.report import render

    print()
    print(
        f"surveyplatform bench ({'quick' if args.quick else 'full'}), "
        f"{time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs"
    )
    print(render(rows))
    checks = {"errors", "lost (acked, not stored)"}
    broken = [r for r in rows if r.measure in checks and r.met is False]
    if broken:
        print(f"\nFAILED: {len(broken)} correctness check(s) above did not hold.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
