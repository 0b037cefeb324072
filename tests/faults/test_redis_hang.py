"""A Redis that hangs (paused with SIGSTOP: it accepts connections and never answers) holds
no web request: members' answers and staff requests that queue jobs return within 2 s,
and the jobs run once Redis answers again.

FAULTS_REDIS_PAUSE_SECONDS sets how long Redis stays paused (90 s by default).
"""

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.faults.client import Respondent
from tests.faults.load import member_address
from tests.faults.processes import wait_for

pytestmark = pytest.mark.slow

PAUSE_SECONDS = float(os.environ.get("FAULTS_REDIS_PAUSE_SECONDS", "90"))
LIMIT_SECONDS = 2.0
MEMBERS = 24


def _timed(times: list[float], lock: threading.Lock):
    """A requests hook that records how long the server took to answer each request."""

    def hook(response, *args, **kwargs):
        with lock:
            times.append(response.elapsed.total_seconds())

    return hook


def test_a_hung_redis_holds_no_web_request_and_its_jobs_run_when_it_answers(healthy_stack):
    stack = healthy_stack
    base = stack.base_url
    members = stack.seed("wave", "--members", str(MEMBERS), "--prefix", "H")["links"]
    staff = stack.seed("researcher", "--waves", "6")
    waves = staff["wave_ids"]
    lock = threading.Lock()
    member_times: list[float] = []
    staff_times: list[float] = []
    staff_statuses: list[int] = []

    def api_session() -> requests.Session:
        session = requests.Session()
        session.headers.update(
            {"Authorization": f"Token {staff['token']}", "X-Forwarded-For": "127.9.9.9"}
        )
        return session

    # given web processes that have queued a job, so they hold a pooled broker connection
    warm = api_session().post(
        f"{base}/api/v1/exports/", json={"waves": [waves[0]], "format": "csv_tidy"}, timeout=30
    )
    assert warm.status_code == 201, warm.text

    # when Redis is paused for PAUSE_SECONDS
    redis_pid = stack.redis.process.pid
    os.kill(redis_pid, signal.SIGSTOP)
    paused_at = time.monotonic()
    resume = threading.Timer(PAUSE_SECONDS, os.kill, args=(redis_pid, signal.SIGCONT))
    resume.start()
    try:
        # and meanwhile members answer the whole questionnaire, and a researcher asks for
        # exports of five waves in two layouts and two languages (20 jobs) and reads lists
        def member(index: int):
            respondent = Respondent(base, address=member_address(index), retry_for=0)
            respondent.session.hooks["response"].append(_timed(member_times, lock))
            return respondent.complete(f"{base}/i/{members[index]['token']}/")

        def researcher(request: tuple[int, str, str]) -> int | None:
            wave, layout, labels = request
            session = api_session()
            session.hooks["response"].append(_timed(staff_times, lock))
            created = session.post(
                f"{base}/api/v1/exports/",
                json={"waves": [wave], "format": layout, "labels": labels},
                timeout=PAUSE_SECONDS + 60,
            )
            listed = session.get(f"{base}/api/v1/waves/", timeout=PAUSE_SECONDS + 60)
            with lock:
                staff_statuses.extend([created.status_code, listed.status_code])
            return created.json().get("id") if created.status_code == 201 else None

        requested = [
            (wave, layout, labels)
            for wave in waves[1:]
            for layout in ("csv_tidy", "csv_wide")
            for labels in ("en", "cy")
        ]
        with ThreadPoolExecutor(max_workers=6) as pool:
            answered = pool.map(member, range(MEMBERS))
            export_ids = list(pool.map(researcher, requested))
            outcomes = list(answered)
        finished_after = time.monotonic() - paused_at
    finally:
        resume.join()
        os.kill(redis_pid, signal.SIGCONT)

    # then every request was answered while Redis was still paused, each within 2 s
    print(  # noqa: T201
        f"\nRedis paused {PAUSE_SECONDS:.0f} s: {len(member_times)} member requests, slowest "
        f"{max(member_times):.3f} s; {len(staff_times)} staff requests, slowest "
        f"{max(staff_times):.3f} s; all answered {finished_after:.1f} s into the pause"
    )
    assert finished_after < PAUSE_SECONDS
    assert max(member_times) < LIMIT_SECONDS
    assert max(staff_times) < LIMIT_SECONDS
    assert [o.error for o in outcomes if o.error] == []
    assert all(o.acknowledged for o in outcomes)
    assert [s for o in outcomes for s in o.statuses if s >= 400] == []
    assert set(staff_statuses) == {200, 201}
    assert None not in export_ids

    # and the jobs queued during the pause run once Redis answers
    def exports_done() -> bool:
        statuses = stack.postgres.query(
            "SELECT status FROM exports_export WHERE id = ANY(%s)", [export_ids]
        )
        return len(statuses) == len(export_ids) and {s for (s,) in statuses} == {"done"}

    wait_for(exports_done, timeout=120, interval=0.5, what="the exports queued during the pause")
    wait_for(lambda: stack.unfinished_jobs() == 0, timeout=60, interval=0.5, what="the outbox")
