"""Two web hosts and two workers against one Postgres and one Redis keep every guarantee.

The platform scales out by adding hosts: gunicorn processes behind a load balancer and
Celery workers, each worker host with its own outbox sweeper, all sharing one Postgres
(where allocation, answers and jobs are decided) and one Redis (the broker). Here two
gunicorn servers on different ports stand for two hosts, and two workers, each with its
own sweeper, for two worker hosts:

- 200 members of one stratum open their links at the same instant, split across both
  hosts: no error, one assignment each, no block over-filled, `verify_allocation` clean;
- members answer the whole questionnaire across both hosts: none acknowledged is lost;
- one worker is killed with SIGKILL while jobs run: every job is done exactly once.
"""

import os
import signal
import threading
import time
from collections import Counter

import pytest
import requests

from tests.faults.load import member_address, start_load, stored_state
from tests.faults.processes import BIN, PYTHON, Service, Stack, free_port, wait_for

pytestmark = pytest.mark.slow

OPENINGS = int(os.environ.get("FAULTS_OPENINGS", "200"))
RESPONDENTS = int(os.environ.get("FAULTS_SCALE_RESPONDENTS", "200"))
JOBS = int(os.environ.get("FAULTS_SCALE_JOBS", "24"))


class TwoHosts:
    """The fault stack's host A (gunicorn, worker, sweeper) and a host B beside it."""

    def __init__(self):
        self.stack = Stack()
        stack = self.stack
        self.port_b = free_port()
        self.base_b = f"http://127.0.0.1:{self.port_b}"
        self.web_b = Service(
            "gunicorn-b",
            [str(BIN / "gunicorn"), "surveyplatform.wsgi", "--bind", f"127.0.0.1:{self.port_b}",
             "--workers", "3", "--worker-class", "gthread", "--threads", "4",
             "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning"],
            stack.env, stack.workdir,
        )  # fmt: skip
        self.worker_b = Service(
            "worker-b",
            [str(BIN / "celery"), "-A", "surveyplatform", "worker", "-n", "b@%h",
             "--loglevel", "INFO", "--pool", "prefork", "--concurrency", "2",
             "--include", "tests.faults.tasks",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            stack.env, stack.workdir,
        )  # fmt: skip
        self.sweeper_b = Service(
            "sweeper-b",
            [PYTHON, "manage.py", "sweep_outbox", "--loop", "--interval", "2"],
            stack.env,
            stack.workdir,
        )

    @property
    def hosts(self) -> list[str]:
        return [self.stack.base_url, self.base_b]

    def start(self) -> None:
        self.stack.start()
        for service in (self.web_b, self.worker_b, self.sweeper_b):
            service.start()

        def b_ready() -> bool:
            try:
                healthy = requests.get(self.base_b + "/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False
            return healthy and " ready." in self.worker_b.log.read_text(errors="replace")

        wait_for(b_ready, timeout=120, what="host B and worker B")

    def stop(self) -> None:
        for service in (self.sweeper_b, self.worker_b, self.web_b):
            service.stop()
        self.stack.stop()


@pytest.fixture(scope="module")
def two_hosts():
    scaled = TwoHosts()
    try:
        scaled.start()
    except BaseException:
        logs = scaled.stack.logs()
        scaled.stop()
        raise RuntimeError(f"The two-host stack did not start:\n{logs}") from None
    try:
        yield scaled
    finally:
        scaled.stop()


def test_simultaneous_first_openings_across_two_hosts_allocate_each_member_once(two_hosts):
    stack = two_hosts.stack
    # Given an open wave of OPENINGS members, all in one stratum of permuted blocks
    seeded = stack.seed(
        "wave", "--members", str(OPENINGS), "--themes", "1", "--prefix", "O", "--scheme", "blocks"
    )
    wave_id, links = seeded["wave_id"], seeded["links"]

    # When they all open their links at the same instant, half on each host
    barrier = threading.Barrier(len(links) + 1)
    outcomes: list[str] = [""] * len(links)

    def open_link(index: int, link: dict) -> None:
        host = two_hosts.hosts[index % 2]
        with requests.Session() as session:
            session.headers["X-Forwarded-For"] = member_address(index)
            barrier.wait()
            try:
                page = session.get(f"{host}/i/{link['token']}/", timeout=120)
                outcomes[index] = (
                    "ok"
                    if page.status_code == 200 and "<form" in page.text
                    else (f"HTTP {page.status_code}")
                )
            except requests.RequestException as error:
                outcomes[index] = f"{type(error).__name__}: {error}"[:300]

    threads = [
        threading.Thread(target=open_link, args=(i, link), daemon=True)
        for i, link in enumerate(links)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(180)
    seconds = time.perf_counter() - started

    # Then no opening failed, and every member holds exactly one assignment
    assert Counter(outcomes) == {"ok": len(links)}
    query = stack.postgres.query
    rows = query("SELECT member_id, arm FROM experiments_assignment WHERE wave_id = %s", [wave_id])
    assert len(rows) == len({member for member, _ in rows}) == len(links)
    # And no block holds more than its size, nor any arm more than its share of a block
    blocks = query(
        "SELECT block, count(*), max(n) FROM (SELECT block, arm, count(*) AS n "
        "FROM experiments_assignment WHERE wave_id = %s GROUP BY block, arm) b GROUP BY block",
        [wave_id],
    )
    assert blocks
    assert all(arms <= 4 and per_arm <= 2 for _, arms, per_arm in blocks), blocks
    sizes = query(
        "SELECT block, count(*) FROM experiments_assignment WHERE wave_id = %s GROUP BY block",
        [wave_id],
    )
    assert all(size <= 8 for _, size in sizes)
    assert query(
        "SELECT allocated FROM experiments_allocationstate WHERE wave_id = %s", [wave_id]
    ) == [(len(links),)]
    # And the allocation re-derives from the seed: verify_allocation is clean
    assert "no mismatch" in stack.manage("verify_allocation", str(wave_id))
    arms = Counter(arm for _, arm in rows)
    print(  # noqa: T201
        f"\n{len(links)} first openings across two hosts: all assigned in {seconds:.1f} s, "
        f"0 errors, arms {dict(sorted(arms.items()))}"
    )


def test_members_answering_across_two_hosts_lose_nothing(two_hosts):
    stack = two_hosts.stack
    # Given an open wave of RESPONDENTS members
    seeded = stack.seed("wave", "--members", str(RESPONDENTS), "--prefix", "S")
    links, wave_id = seeded["links"], seeded["wave_id"]

    # When they answer the whole questionnaire, half through each host at once
    started = time.monotonic()
    runs = [start_load(host, links[i::2]) for i, host in enumerate(two_hosts.hosts)]
    for _, pool, futures in runs:
        pool.shutdown(wait=True)
        for future in futures:
            future.result()
    seconds = time.monotonic() - started

    # Then every acknowledged submission is stored once and whole, and nothing failed
    state = stored_state(stack, wave_id)
    outcomes = {m: o for run, _, _ in runs for m, o in run.outcomes.items()}
    acknowledged = {m for m, o in outcomes.items() if o.acknowledged}
    assert [o.error for o in outcomes.values() if o.error] == []
    assert len(acknowledged) == len(links)
    assert acknowledged - state["complete"] == set()
    assert state["duplicates"] == 0
    assert state["half_written"] == 0
    statuses = [s for run, _, _ in runs for s in run.statuses()]
    assert [s for s in statuses if s >= 500] == []
    print(  # noqa: T201
        f"\n{len(links)} members across two hosts: {len(statuses)} requests in {seconds:.1f} s "
        f"({len(statuses) / seconds:.0f}/s), {len(acknowledged)} acknowledged, 0 lost"
    )


def _worker_b_pids(two_hosts) -> set[int]:
    return {two_hosts.worker_b.process.pid, *two_hosts.worker_b.children()}


def test_a_worker_killed_mid_job_leaves_every_job_done_exactly_once(two_hosts):
    stack = two_hosts.stack
    # Given jobs of 4 seconds spread over both workers
    jobs = stack.seed("jobs", "--count", str(JOBS), "--label", "scale", "--seconds", "4")[
        "outbox_ids"
    ]
    b_pids = _worker_b_pids(two_hosts)

    def b_running() -> bool:
        started = stack.postgres.query(
            "SELECT pid FROM faults_run_log WHERE outbox_id = ANY(%s) AND event = 'started'",
            [jobs],
        )
        return any(pid in b_pids for (pid,) in started)

    wait_for(b_running, timeout=60, what="worker B to start a job")

    # When worker B and its pool are killed with SIGKILL half way through a job
    time.sleep(2)
    two_hosts.worker_b.stop(signal.SIGKILL)
    killed_at = time.monotonic()

    # Then worker A, handed the lost jobs again by a sweeper, finishes every job once
    def completions() -> int:
        return stack.postgres.query(
            "SELECT count(*) FROM faults_completion WHERE outbox_id = ANY(%s)", [jobs]
        )[0][0]

    wait_for(lambda: completions() == len(jobs), timeout=180, interval=1, what="every job")
    recovered_after = time.monotonic() - killed_at
    time.sleep(3)
    assert completions() == len(jobs)
    finished = stack.postgres.query(
        "SELECT outbox_id, count(*) FROM faults_run_log WHERE outbox_id = ANY(%s) "
        "AND event = 'finished' GROUP BY outbox_id",
        [jobs],
    )
    assert sorted(count for _, count in finished) == [1] * len(jobs)
    assert stack.postgres.query(
        "SELECT status, count(*) FROM outbox_outboxmessage WHERE id = ANY(%s) GROUP BY status",
        [jobs],
    ) == [("done", len(jobs))]
    by_b = stack.postgres.query(
        "SELECT count(*) FROM faults_completion WHERE outbox_id = ANY(%s) AND pid = ANY(%s)",
        [jobs, list(b_pids)],
    )[0][0]
    print(  # noqa: T201
        f"\nworker B killed mid-job: {len(jobs)} jobs done exactly once ({by_b} by B before "
        f"the kill), the last {recovered_after:.1f} s after it"
    )
