"""Scenario 2: many members of one stratum open their links at the same instant.

Each member is a thread with its own session, held at a barrier and released together;
the baseline is the same number of simultaneous POSTs to the ceiling view.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable

import requests

from bench.report import Row
from experiments.models import Assignment, Wave


def _simultaneously(calls: list[Callable[[requests.Session], bool]]) -> tuple[float, int]:
    """Run every call in its own thread, released together; return (seconds, failures)."""
    barrier = threading.Barrier(len(calls) + 1)
    outcomes: list[bool] = [False] * len(calls)

    def worker(index: int, call) -> None:
        with requests.Session() as session:
            barrier.wait()
            try:
                outcomes[index] = call(session)
            except requests.RequestException:
                outcomes[index] = False

    threads = [
        threading.Thread(target=worker, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=120)
    return time.perf_counter() - started, outcomes.count(False)


def run(*, wave: Wave, tokens: list[str], host: str) -> list[Row]:
    def open_link(token: str):
        def call(session: requests.Session) -> bool:
            answer = session.get(f"{host}/i/{token}/", timeout=60)  # follows to the first page
            return answer.status_code == 200 and "<form" in answer.text

        return call

    def post_ceiling(session: requests.Session) -> bool:
        return session.post(f"{host}/bench/ceiling/", data={"body": "x"}, timeout=60).ok

    ceiling_seconds, ceiling_failures = _simultaneously([post_ceiling] * len(tokens))
    seconds, failures = _simultaneously([open_link(t) for t in tokens])
    arms = Counter(Assignment.objects.filter(wave=wave).values_list("arm", flat=True))
    assigned = sum(arms.values())
    name = f"first openings ×{len(tokens)}"
    balance = " ".join(f"{arm}={arms.get(arm, 0)}" for arm in ("ab", "a", "b", "none"))
    return [
        Row(
            name,
            "time to all assigned",
            seconds,
            "s",
            f"ceiling ×{len(tokens)}",
            ceiling_seconds,
            target="< 5 s",
            met=seconds < 5 and assigned == len(tokens),
            note=f"{assigned} of {len(tokens)} assigned; ceiling failures {ceiling_failures}",
        ),
        Row(name, "errors", failures, target="0", met=failures == 0),
        Row(
            name,
            "balance (max−min arm)",
            max(arms.values(), default=0) - min(arms.get(a, 0) for a in ("ab", "a", "b", "none")),
            "members",
            note=balance,
        ),
    ]
