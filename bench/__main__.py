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
import traceback
from contextlib import ExitStack
from dataclasses import dataclass

from bench import services
from bench.report import Row, render

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
    export_formats: tuple[str, ...]
    panel_rows: int
    warm_up_seconds: int
    # How long the load generator lets a member finish the cycle under way once the run
    # time is up.
    stop_timeout: int
    # Members walked one kind of page at a time, for the servers' CPU per kind of page.
    phased_members: int


# Every scenario, at the load and sizes of its target where it has one, with short runs
# and small sizes elsewhere: under two minutes.
QUICK = Plan(
    loads=[32],
    seconds=8,
    members_per_load=600,
    openings=200,
    analysis_sizes=[2_000],
    load_sizes=[2_000],
    export_sizes=[1_000, 3_000],
    export_formats=("csv_tidy",),
    panel_rows=10_000,
    warm_up_seconds=3,
    stop_timeout=6,
    phased_members=100,
)
FULL = Plan(
    loads=[8, 32, 64],
    seconds=30,
    members_per_load=5000,
    openings=200,
    analysis_sizes=[10_000, 100_000, 1_000_000],
    load_sizes=[10_000, 100_000],
    export_sizes=[20_000, 200_000],
    export_formats=("csv_tidy", "dta", "sav"),
    panel_rows=50_000,
    warm_up_seconds=6,
    stop_timeout=10,
    phased_members=400,
)


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def _wanted(only: set[str] | None, name: str) -> bool:
    return only is None or name in only


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer loads, shorter runs")
    parser.add_argument(
        "--only", help="comma-separated: queries,respondent,openings,analysis,exports,panel"
    )
    parser.add_argument(
        "--parsing-client",
        action="store_true",
        help="load the respondent pages with Locust filling each page's form from its HTML "
        "(proves the pages fillable; measures the client as much as the server)",
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
        fingerprint = services.migrations_fingerprint()
        needs_migrating = services.create_database(stack, database_url, fingerprint=fingerprint)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        stack.callback(connections.close_all)  # before the database is dropped
        if needs_migrating:
            call_command("migrate", interactive=False, verbosity=0)
            connections.close_all()
            services.save_template(database_url, fingerprint=fingerprint)
            print(f"Migrated in {time.perf_counter() - started:.0f} s.", flush=True)
        else:
            print(f"Copied the migrated database in {time.perf_counter() - started:.0f} s.")
        services.collect_static_if_stale(var_dir / "static")

        from bench import analysis, data, exports, openings, panel_import, queries, respondent

        data.create_ceiling_table()
        council = data.create_council()
        respondent_wave = data.create_open_wave(
            council,
            title="Respondent cycle",
            # One share per load, one to warm up, and the members of the phased run.
            members=plan.members_per_load * (len(plan.loads) + 1) + plan.phased_members,
            prefix="R",
        )
        openings_wave = data.create_open_wave(
            council, title="First openings", members=plan.openings, prefix="F"
        )
        print(f"Set up in {time.perf_counter() - started:.0f} s; starting the servers.", flush=True)

        rows: list = []
        failures: list[str] = []

        def scenario(name: str, measure) -> None:
            """Run one scenario; a failure becomes a row of the table, not a lost run."""
            if not _wanted(only, name):
                return
            began = time.perf_counter()
            try:
                rows.extend(measure())
            except Exception as error:
                traceback.print_exc()
                failures.append(name)
                rows.append(Row(name, "scenario", None, note=f"FAILED: {error!r}"[:160]))
            print(f"{name}: {time.perf_counter() - began:.0f} s", flush=True)

        queries_wave = data.create_open_wave(council, title="Query count", members=1, prefix="Q")
        scenario("queries", lambda: queries.run(token=queries_wave.tokens[0]))
        if _wanted(only, "respondent") or _wanted(only, "openings"):
            services.start_celery_worker(stack, env=env, logs=out)
            server = services.start_gunicorn(stack, env=env, port=services.free_port(), logs=out)
            token_files = []
            for index, _ in enumerate(plan.loads):
                chunk = respondent_wave.tokens[
                    index * plan.members_per_load : (index + 1) * plan.members_per_load
                ]
                path = out / f"tokens_{index}.txt"
                path.write_text("\n".join(chunk) + "\n")
                token_files.append(path)
            warm_up_file = out / "tokens_warm_up.txt"
            shares = len(plan.loads) * plan.members_per_load
            warm_up_file.write_text(
                "\n".join(respondent_wave.tokens[shares : shares + plan.members_per_load])
            )
            phased_tokens = respondent_wave.tokens[shares + plan.members_per_load :]
            scenario(
                "respondent",
                lambda: respondent.run(
                    wave=respondent_wave.wave,
                    token_files=token_files,
                    server=server,
                    env=env,
                    out=out,
                    loads=plan.loads,
                    seconds=plan.seconds,
                    warm_up_file=warm_up_file,
                    warm_up_seconds=plan.warm_up_seconds,
                    stop_timeout=plan.stop_timeout,
                    phased_tokens=phased_tokens,
                    parsing_client=args.parsing_client,
                ),
            )
            if args.keep_up:
                print(f"Servers stay up at {server.url} for {args.keep_up} s.", flush=True)
                time.sleep(args.keep_up)
            scenario(
                "openings",
                lambda: openings.run(
                    wave=openings_wave.wave, tokens=openings_wave.tokens, host=server.url
                ),
            )
        scenario(
            "analysis",
            lambda: analysis.run(sizes=plan.analysis_sizes, load_sizes=plan.load_sizes, env=env),
        )
        scenario(
            "exports",
            lambda: exports.run(sizes=plan.export_sizes, formats=plan.export_formats, env=env),
        )
        scenario("panel", lambda: panel_import.run(rows=plan.panel_rows))

        # Printed before the servers stop and the database is dropped, so it is never lost.
        print()
        print(
            f"surveyplatform bench ({'quick' if args.quick else 'full'}), "
            f"{time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs"
        )
        print(render(rows), flush=True)

    checks = {"errors", "lost (acked, not stored)"}
    broken = [r for r in rows if r.measure in checks and r.met is False]
    if broken or failures:
        print(
            f"\nFAILED: {len(broken)} correctness check(s) did not hold; "
            f"scenarios that failed: {', '.join(failures) or 'none'}.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
