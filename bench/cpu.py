"""CPU time of the servers under test, read from /proc (Linux), without touching them.

The servers are gunicorn's workers (the children of its master) and the Postgres backends
connected to the bench's database (their process title names it). A backend can end in
the middle of a run (connections are recycled after DATABASE_CONN_MAX_AGE), so `Sampler`
reads every process it knows every half second and keeps the last figure of one that has
gone: at most half a second of its CPU is missed.
"""

import os
import threading
import time
from dataclasses import dataclass

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float | None:
    """Return the user + system CPU seconds of a process (all its threads), or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields follow the last ")".
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    return int(stat[stat.rindex(b")") + 2 :].split()[1])


def _title(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


@dataclass(frozen=True)
class ServerCpu:
    """CPU seconds used so far by the workers and by the database's backends."""

    workers: float
    postgres: float

    @property
    def total(self) -> float:
        return self.workers + self.postgres

    def __sub__(self, other: "ServerCpu") -> "ServerCpu":
        return ServerCpu(self.workers - other.workers, self.postgres - other.postgres)


class Sampler:
    """Follow gunicorn's workers and the database's backends while a load runs."""

    def __init__(self, *, gunicorn_pid: int, database: str, leave_out: tuple[int, ...] = ()):
        self.gunicorn_pid = gunicorn_pid
        # Backend titles read "postgres: [cluster: ]user database host(port) state".
        self.database = f" {database} ".encode()
        self.leave_out = set(leave_out)
        self._workers: dict[int, float] = {}
        self._backends: dict[int, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_scan = 0.0

    def _scan(self) -> None:
        """Find the processes to follow (a walk of /proc: done every few seconds only)."""
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            if pid in self._workers or pid in self._backends or pid in self.leave_out:
                continue
            if _parent(pid) == self.gunicorn_pid:
                self._workers[pid] = process_cpu(pid) or 0.0
                continue
            title = _title(pid)
            if title.startswith(b"postgres:") and self.database in title.replace(b"\0", b" "):
                self._backends[pid] = process_cpu(pid) or 0.0
        self._last_scan = time.monotonic()

    def _refresh(self) -> None:
        for known in (self._workers, self._backends):
            for pid in known:
                seconds = process_cpu(pid)
                if seconds is not None:
                    known[pid] = seconds

    def read(self) -> ServerCpu:
        with self._lock:
            if time.monotonic() - self._last_scan > 2.0:
                self._scan()
            self._refresh()
            return ServerCpu(sum(self._workers.values()), sum(self._backends.values()))

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.read()

    def __enter__(self) -> "Sampler":
        with self._lock:
            self._scan()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
