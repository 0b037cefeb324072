"""Background jobs under faults: a worker killed mid-job, and a broker that forgets its queue.

All run against this run's own Postgres, Redis, worker and outbox sweeper (see
`processes.py`). The first three use `tests.faults.tasks.slow_job`, which logs each start
and records its completion once; the last kills the platform's own analysis and export
jobs, whose every write a trigger records (see `seed.py`).
"""

import hashlib
import io
import json
import os
import signal
import time
import zipfile
from pathlib import Path

import pytest
import requests

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


def _login(stack, username: str, password: str) -> requests.Session:
    """Sign a researcher in to the console, as a browser does."""
    session = requests.Session()
    session.headers["X-Forwarded-For"] = "192.0.2.80"
    login = stack.base_url + "/console/login/"
    session.get(login, timeout=10).raise_for_status()
    response = session.post(
        login,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": login},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:2000]
    return session


def _status_log(stack, table: str, row_id: int) -> list[tuple]:
    return stack.postgres.query(
        "SELECT old_status, new_status, attempts, finished_changed FROM faults_status_log "
        "WHERE tbl = %s AND row_id = %s ORDER BY id",
        [table, row_id],
    )


def _finishes(log: list[tuple]) -> int:
    """How many writes made the row done (setting its finish time)."""
    return sum(1 for _old, new, _attempts, finished in log if new == "done" and finished)


def _check_bundle(content: bytes) -> dict:
    """Return the bundle's manifest after checking that every file in it is whole."""
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        assert bundle.testzip() is None
        manifest = json.loads(bundle.read("manifest.json"))
        for name, facts in manifest["files"].items():
            data = bundle.read(name)
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (
                facts["sha256"],
                facts["size"],
            ), name
    return manifest


@pytest.mark.parametrize(
    ("killed", "council"), [("pool processes", 1), ("whole worker", 3)], ids=["pool", "worker"]
)
def test_an_analysis_run_and_an_export_killed_half_way_each_finish_exactly_once(
    healthy_stack, killed, council
):
    stack = healthy_stack
    respondents = os.environ.get("FAULTS_KILLED_RESPONDENTS", "4000")
    media = stack.workdir / "var" / "media"
    # given a closed wave of 4,000 respondents whose analysis and bundle export are queued
    seeded = stack.seed(
        "closed_wave_with_jobs", "--council", str(council), "--respondents", respondents,
        "--format", "bundle", timeout=900,
    )  # fmt: skip
    run_id, export_id = seeded["run_id"], seeded["export_id"]
    session = _login(stack, seeded["username"], seeded["password"])
    download = f"{stack.base_url}/exports/{export_id}/download"

    def statuses() -> tuple[str, str]:
        return stack.postgres.query(
            "SELECT (SELECT status FROM analysis_analysisrun WHERE id = %s), "
            "(SELECT status FROM exports_export WHERE id = %s)",
            [run_id, export_id],
        )[0]

    def export_row() -> tuple:
        return stack.postgres.query(
            "SELECT status, file_path, size, sha256 FROM exports_export WHERE id = %s",
            [export_id],
        )[0]

    exposed: list[str] = []
    downloads = {"refused": 0, "whole": 0}

    def probe() -> None:
        """Ask for the file as a researcher would; anything offered must be the whole file."""
        # The export's own file appears once, moved into place whole; partial files are
        # hidden (".partial-") and never served.
        visible = [p.name for p in (media / "exports").glob(f"{export_id}-*")]
        if len(visible) > 1:
            exposed.append(f"more than one file for the export: {visible}")
        before = export_row()
        response = session.get(download, timeout=60, allow_redirects=False)
        if response.status_code == 404:
            downloads["refused"] += 1
            return
        after = export_row()
        if response.status_code != 200:
            exposed.append(f"download answered {response.status_code}")
        elif before[0] != "done" and after[0] != "done":
            exposed.append(f"a file was offered while the export was {after[0]}")
        elif (hashlib.sha256(response.content).hexdigest(), len(response.content)) != (
            after[3],
            after[2],
        ):
            exposed.append("the file offered is not the one recorded as done")
        else:
            _check_bundle(response.content)
            downloads["whole"] += 1

    # when both jobs are running and the worker is killed with SIGKILL
    def both_running() -> bool:
        probe()
        return statuses() == ("running", "running")

    wait_for(both_running, timeout=300, interval=0.1, what="the analysis and the export to run")

    def half_written() -> bool:
        # The bundle's first data file is on disk, in the hidden working directory.
        probe()
        return any(
            path.stat().st_size > 0 for path in (media / "exports").glob(".partial-bundle-*/*")
        )

    wait_for(half_written, timeout=120, interval=0.1, what="the export to write a first file")
    assert statuses() == ("running", "running")
    if killed == "pool processes":
        children = stack.worker.children()
        assert len(children) == 2
        for pid in children:
            os.kill(pid, signal.SIGKILL)
    else:
        stack.worker.stop(signal.SIGKILL)
    killed_at = time.monotonic()
    # (Nothing can move either row on until a new process picks the job up again.)
    assert statuses() == ("running", "running")
    (ran_for,) = stack.postgres.query(
        "SELECT (SELECT extract(epoch FROM now() - started_at) FROM analysis_analysisrun "
        "WHERE id = %s), (SELECT extract(epoch FROM now() - started_at) FROM exports_export "
        "WHERE id = %s)",
        [run_id, export_id],
    )
    assert [log[-1][2] for log in (
        _status_log(stack, "analysis_analysisrun", run_id),
        _status_log(stack, "exports_export", export_id),
    )] == [1, 1]  # fmt: skip
    if killed == "whole worker":
        stack.start_new_worker()

    # then each job runs again and finishes, and no partial file is offered on the way
    def both_done() -> bool:
        probe()
        return statuses() == ("done", "done")

    wait_for(both_done, timeout=600, interval=0.5, what="the analysis and the export")
    finished_after = time.monotonic() - killed_at
    # Let every other delivery (the sweeper resends a job unfinished after 20 s, even one
    # still running) run to its end before counting.
    wait_for(lambda: stack.unfinished_jobs() == 0, timeout=120, what="the outbox to drain")
    wait_for(
        lambda: stack.worker_idle() and (time.sleep(2) or stack.worker_idle()),
        timeout=600,
        interval=1,
        what="the worker to finish every delivery",
    )
    probe()
    assert exposed == []
    assert downloads["whole"] >= 1

    run_log = _status_log(stack, "analysis_analysisrun", run_id)
    export_log = _status_log(stack, "exports_export", export_id)
    assert _finishes(run_log) == 1, run_log
    assert _finishes(export_log) == 1, export_log
    assert stack.postgres.query(
        "SELECT count(*), count(*) FILTER (WHERE status = 'done' AND results IS NOT NULL) "
        "FROM analysis_analysisrun WHERE wave_id = %s",
        [seeded["wave_id"]],
    ) == [(1, 1)]
    assert stack.postgres.query(
        "SELECT count(*) FROM exports_export WHERE wave_ids = %s::jsonb",
        [json.dumps([seeded["wave_id"]])],
    ) == [(1,)]
    assert stack.postgres.query(
        "SELECT status FROM outbox_outboxmessage WHERE id = ANY(%s) ORDER BY id",
        [[seeded["run_job"], seeded["export_job"]]],
    ) == [("done",), ("done",)]
    _status, file_path, size, sha256 = export_row()
    on_disk = (media / file_path).read_bytes()
    assert (hashlib.sha256(on_disk).hexdigest(), len(on_disk)) == (sha256, size)
    manifest = _check_bundle(on_disk)
    assert manifest["waves"] == [seeded["wave_id"]]
    assert [p.name for p in (media / "exports").glob(f"{export_id}-*")] == [Path(file_path).name]
    leftovers = [p.name for p in (media / "exports").glob(".partial-*")]
    sends = stack.postgres.query(
        "SELECT sends FROM outbox_outboxmessage WHERE id = ANY(%s) ORDER BY id",
        [[seeded["run_job"], seeded["export_job"]]],
    )
    print(  # noqa: T201
        f"\n{killed} killed {float(ran_for[0]):.1f} s into the analysis and "
        f"{float(ran_for[1]):.1f} s into the export: both done "
        f"{finished_after:.1f} s after the kill; computations started: analysis "
        f"{run_log[-1][2]}, export {export_log[-1][2]}; outbox sends {[s for (s,) in sends]}; "
        f"downloads refused {downloads['refused']}, whole {downloads['whole']}; "
        f"partial files left for the sweep: {len(leftovers)}"
    )
