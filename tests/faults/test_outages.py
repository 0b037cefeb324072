"""Members keep submitting while Redis is down, or while Postgres restarts.

FAULTS_SUBMISSIONS sets how many members submit (the issue's full run is 10,000;
the default keeps the test to a few minutes on a 2-core machine), FAULTS_OUTAGE_SECONDS
how long Redis stays down.
"""

import os
import time
from collections import Counter

import pytest

from tests.faults.load import start_load, stored_state, wait_until_finished
from tests.faults.processes import wait_for

pytestmark = pytest.mark.slow

SUBMISSIONS = int(os.environ.get("FAULTS_SUBMISSIONS", "500"))
OUTAGE_SECONDS = float(os.environ.get("FAULTS_OUTAGE_SECONDS", "30"))


def _report(name: str, run, state: dict, extra: str) -> None:
    acknowledged = {m for m, o in run.outcomes.items() if o.acknowledged}
    statuses = Counter(run.statuses())
    print(  # noqa: T201
        f"\n{name}: {len(run.outcomes)} members, {len(acknowledged)} acknowledged, "
        f"{len(acknowledged - state['complete'])} lost, {state['duplicates']} duplicates, "
        f"{state['half_written']} half-written, statuses {dict(sorted(statuses.items()))}, "
        f"retries {sum(o.retries for o in run.outcomes.values())}; {extra}"
    )


def test_submissions_while_redis_is_down_lose_nothing_and_the_outbox_drains(healthy_stack):
    stack = healthy_stack
    # given an open wave with SUBMISSIONS invited members
    seeded = stack.seed("wave", "--members", str(SUBMISSIONS), "--prefix", "R")
    links, wave_id = seeded["links"], seeded["wave_id"]

    # when 32 clients submit, and Redis stops for OUTAGE_SECONDS once a fifth have finished
    run, pool, futures = start_load(stack.base_url, links)
    wait_until_finished(run, len(links), at_least=len(links) // 5, timeout=300)
    stack.redis.stop()
    stopped_at = time.monotonic()
    # Jobs written while the broker is away (here: 200 of them) wait in the outbox.
    jobs = stack.seed("jobs", "--count", "200", "--label", "during-redis-outage")["outbox_ids"]
    finished_during_outage = run.finished
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped_at)))
    finished_during_outage = run.finished - finished_during_outage
    stack.redis.start()
    back_at = time.monotonic()
    # The outbox, including the jobs written during the outage, drains within 60 s of Redis
    # returning, while the members go on submitting.
    wait_for(lambda: stack.unfinished_jobs() == 0, timeout=60, interval=0.5, what="the outbox")
    drained_after = time.monotonic() - back_at
    pool.shutdown(wait=True)
    for future in futures:
        future.result()

    # then every acknowledged submission is stored once and whole, and nothing answered 500
    state = stored_state(stack, wave_id)
    acknowledged = {m for m, o in run.outcomes.items() if o.acknowledged}
    assert [o.error for o in run.outcomes.values() if o.error] == []
    assert len(acknowledged) == SUBMISSIONS
    assert acknowledged - state["complete"] == set()
    assert state["duplicates"] == 0
    assert state["half_written"] == 0
    assert [s for s in run.statuses() if s >= 500] == []

    # and each job written during the outage ran once
    assert stack.postgres.query(
        "SELECT count(*) FROM faults_completion WHERE outbox_id = ANY(%s)", [jobs]
    ) == [(200,)]

    # and closing the wave afterwards runs its analysis on the worker
    stack.manage("close_wave", str(wave_id))
    wait_for(
        lambda: stack.postgres.query(
            "SELECT status FROM analysis_analysisrun WHERE wave_id = %s", [wave_id]
        )
        == [("done",)],
        timeout=120,
        what="the analysis run",
    )
    _report(
        "redis outage",
        run,
        state,
        f"{finished_during_outage} members finished during the {OUTAGE_SECONDS:.0f} s outage; "
        f"outbox drained {drained_after:.1f} s after Redis returned",
    )


def test_submissions_while_postgres_restarts_lose_nothing_and_service_returns(healthy_stack):
    stack = healthy_stack
    # given an open wave with SUBMISSIONS invited members
    seeded = stack.seed("wave", "--members", str(SUBMISSIONS), "--prefix", "P")
    links, wave_id = seeded["links"], seeded["wave_id"]
    web_pid, worker_pid = stack.web.process.pid, stack.worker.process.pid

    # when 32 clients submit (retrying 503s), and Postgres restarts fast a third of the way in
    run, pool, futures = start_load(stack.base_url, links)
    wait_until_finished(run, len(links), at_least=len(links) // 3, timeout=300)
    restart_began = time.monotonic()
    stack.postgres.restart_fast()
    stack.wait_healthy(timeout=60)
    back_after = time.monotonic() - restart_began
    pool.shutdown(wait=True)
    for future in futures:
        future.result()

    # then nothing acknowledged is lost, doubled or half-written, and no request got a 500
    state = stored_state(stack, wave_id)
    acknowledged = {m for m, o in run.outcomes.items() if o.acknowledged}
    assert [o.error for o in run.outcomes.values() if o.error] == []
    assert len(acknowledged) == SUBMISSIONS
    assert acknowledged - state["complete"] == set()
    assert state["duplicates"] == 0
    assert state["half_written"] == 0
    assert [s for s in run.statuses() if s >= 500 and s != 503] == []

    # and the service came back within 10 s with the same gunicorn and worker processes
    assert back_after < 10
    assert (stack.web.process.pid, stack.worker.process.pid) == (web_pid, worker_pid)
    assert stack.web.process.poll() is None
    assert stack.worker.process.poll() is None
    # and the worker still runs jobs on the restarted database
    (job,) = stack.seed("jobs", "--count", "1", "--label", "after-restart")["outbox_ids"]
    wait_for(
        lambda: stack.postgres.query(
            "SELECT count(*) FROM faults_completion WHERE outbox_id = %s", [job]
        )
        == [(1,)],
        timeout=60,
        what="a job after the restart",
    )
    _report("postgres restart", run, state, f"service back {back_after:.1f} s after the restart")
