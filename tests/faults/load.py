"""Many members answering at once, and what the database then holds."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tests.faults.client import Outcome, Respondent

CLIENTS = 32


@dataclass
class LoadRun:
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    finished: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def statuses(self) -> list[int]:
        return [status for o in self.outcomes.values() for status in o.statuses]


def member_address(index: int) -> str:
    # A loopback address per member: each has their own rate-limit bucket behind the proxy.
    return f"127.{1 + index // 65536}.{index // 256 % 256}.{index % 256}"


def start_load(base_url: str, links: list[dict], *, retry_for: float = 90.0):
    """Let every linked member answer, 32 at a time; return the run and its executor future."""
    run = LoadRun()
    pool = ThreadPoolExecutor(max_workers=CLIENTS)

    def answer(index: int, link: dict) -> None:
        respondent = Respondent(base_url, address=member_address(index), retry_for=retry_for)
        try:
            outcome = respondent.complete(f"{base_url}/i/{link['token']}/")
        except Exception as error:  # a client-side failure is reported, not raised
            outcome = respondent.outcome
            outcome.error = f"{type(error).__name__}: {error}"
        with run.lock:
            run.outcomes[link["member_id"]] = outcome
            run.finished += 1

    futures = [pool.submit(answer, i, link) for i, link in enumerate(links)]
    return run, pool, futures


def wait_until_finished(run: LoadRun, total: int, *, at_least: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.finished < min(at_least, total):
        time.sleep(0.2)


def stored_state(stack, wave_id: int) -> dict:
    """Count what the wave's responses hold, straight from this run's Postgres."""
    query = stack.postgres.query
    complete = {
        member
        for (member,) in query(
            "SELECT member_id FROM experiments_response WHERE wave_id = %s AND status = 'complete'",
            [wave_id],
        )
    }
    duplicates = query(
        "SELECT count(*) FROM (SELECT member_id FROM experiments_response WHERE wave_id = %s "
        "GROUP BY member_id HAVING count(*) > 1) d",
        [wave_id],
    )[0][0]
    themes = query("SELECT count(*) FROM experiments_wavetheme WHERE wave_id = %s", [wave_id])[0][0]
    # A complete response must hold one answer set per theme and an answer per activity.
    half_written = query(
        """
        SELECT count(*) FROM experiments_response r WHERE r.wave_id = %s AND r.status = 'complete'
        AND ((SELECT count(*) FROM experiments_themeanswer t WHERE t.response_id = r.id) <> %s
          OR (SELECT count(*) FROM experiments_activityanswer a
              JOIN experiments_themeanswer t ON a.theme_answer_id = t.id
              WHERE t.response_id = r.id) <> %s)
        """,
        [wave_id, themes, themes * 3],
    )[0][0]
    return {"complete": complete, "duplicates": duplicates, "half_written": half_written}
