"""Background jobs under faults: a worker killed mid-job, and a broker that forgets its queue.

Both run against this run's own Postgres, Redis, worker and outbox sweeper (see
`processes.py`); the job is `tests.faults.tasks.slow_job`, which logs each start and
records its completion once.
"""

import os
import signal
import time

import pytest

from tests.faults.processes import wait_for

pytestmark = pytest.mark.slow


def _events(stack, outbox_ids: list[int], event: str) -> int:
    return stack.postgres.query(
        "SELECT count(*) FROM faults_run_log WHERE outbox_id = ANY(%s) AND event = %s",
        [outbox_ids, event],
    )[0][0]


def _completions(stack, outbox_ids: list[int]) -> int:
    return stack.postgres.query(
        "SELECT count(*) FROM faults_completion WHERE outbox_id = ANY(%s)", [outbox_ids]
    )[0][0]


def _started_pid(stack, outbox_id: int) -> int:
    rows = stack.postgres.query(
        "SELECT pid FROM faults_run_log WHERE outbox_id = %s AND event = 'started' ORDER BY id",
        [outbox_id],
    )
    return rows[0][0] if rows else 0


def test_a_job_whose_pool_process_is_killed_half_way_finishes_exactly_once(healthy_stack):
    stack = healthy_stack
    # given a job of 8 seconds running in a pool process of the worker
    (job,) = stack.seed("jobs", "--count", "1", "--label", "pool-kill", "--seconds", "8")[
        "outbox_ids"
    ]
    pid = wait_for(lambda: _started_pid(stack, job), timeout=60, what="the job to start")
    assert pid in stack.worker.children()

    # when that process is killed with SIGKILL half way through
    time.sleep(4)
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()

    # then the worker starts a new pool process, which runs the job again to the end, once
    wait_for(lambda: _completions(stack, [job]) == 1, timeout=90, what="the job to finish")
    finished_after = time.monotonic() - killed_at
    time.sleep(3)
    assert _completions(stack, [job]) == 1
    assert _events(stack, [job], "finished") == 1
    # Started at least twice: killed once, then run again (a late sweep may add a third
    # start, which finds the job done and records nothing).
    assert _events(stack, [job], "started") >= 2
    finisher = stack.postgres.query(
        "SELECT pid FROM faults_completion WHERE outbox_id = %s", [job]
    )[0][0]
    assert finisher != pid
    assert stack.postgres.query("SELECT status FROM outbox_outboxmessage WHERE id = %s", [job]) == [
        ("done",)
    ]
    print(f"\npool child killed: job finished {finished_after:.1f} s after the kill")  # noqa: T201


def test_a_job_whose_whole_worker_is_killed_finishes_exactly_once_on_a_new_worker(
    healthy_stack,
):
    stack = healthy_stack
    # given a job of 8 seconds running on the worker
    (job,) = stack.seed("jobs", "--count", "1", "--label", "worker-kill", "--seconds", "8")[
        "outbox_ids"
    ]
    wait_for(lambda: _started_pid(stack, job), timeout=60, what="the job to start")

    # when the worker and its pool are killed with SIGKILL half way through, and a new one starts
    time.sleep(4)
    stack.worker.stop(signal.SIGKILL)
    killed_at = time.monotonic()
    stack.start_new_worker()

    # then the outbox sweeper hands the unfinished job over again and it finishes once
    wait_for(lambda: _completions(stack, [job]) == 1, timeout=120, what="the job to finish")
    finished_after = time.monotonic() - killed_at
    time.sleep(3)
    assert _completions(stack, [job]) == 1
    assert _events(stack, [job], "finished") == 1
    print(f"\nworker killed: job finished {finished_after:.1f} s after the kill")  # noqa: T201


def test_a_thousand_jobs_queued_when_redis_is_flushed_all_complete_exactly_once(healthy_stack):
    stack = healthy_stack
    count = int(os.environ.get("FAULTS_FLUSHED_JOBS", "1000"))
    # given no worker, and the jobs accepted by the broker
    stack.worker.stop()
    jobs = stack.seed("jobs", "--count", str(count), "--label", "flushed")["outbox_ids"]
    import redis

    broker = redis.Redis(port=stack.redis.port)
    # (The sweeper may already have sent some a second time: the job is idempotent.)
    assert broker.llen("celery") >= count

    # when Redis is flushed and a worker starts
    stack.redis.flush()
    assert broker.llen("celery") == 0
    flushed_at = time.monotonic()
    stack.start_new_worker()

    # then the sweeper sends every job again and each completes exactly once
    wait_for(lambda: _completions(stack, jobs) == count, timeout=300, interval=1, what="all jobs")
    drained_after = time.monotonic() - flushed_at
    time.sleep(3)
    assert _completions(stack, jobs) == count
    assert _events(stack, jobs, "finished") == count
    assert stack.postgres.query(
        "SELECT status, count(*) FROM outbox_outboxmessage WHERE id = ANY(%s) GROUP BY status",
        [jobs],
    ) == [("done", count)]
    skipped = _events(stack, jobs, "skipped")
    print(  # noqa: T201
        f"\nredis flushed: {count} jobs completed once each within {drained_after:.1f} s; "
        f"{skipped} redeliveries found the job already done"
    )
