"""The bench's load generator: HTTP/1.1 over asyncio, with every request prepared up front.

`python -m bench.loadgen PLAN RESULT` reads a plan written by `bench.respondent` (JSON) and
writes what it measured (JSON). It parses no HTML: the plan holds, for each member, the
URLs of every page and the answers to send to each, made from the wave's instrument before
the clock starts. The CSRF token is the `csrftoken` cookie the site set; a response is read
only to check it (status, where a redirect leads, and a few bytes each page must hold).

Modes:
- `cycle`: `users` clients each take the next member and walk the whole questionnaire,
  for `seconds`, then finish the member under way (at most `stop_timeout` seconds).
  Members who reached the confirmation are listed in the result (`acknowledged`).
- `ceiling`: `users` clients POST to the ceiling view; the stored row ids are listed.
- `phased`: every member takes step 1, then every member step 2, and so on, `users` at a
  time; the servers' CPU (bench.cpu) is read between steps, so each kind of page gets
  its own figure.

The generator's own CPU is read over the measured run only (not the preparation).
"""

import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from bench.cpu import Sampler

CSRF_COOKIE = "csrftoken"
CSRF_FIELD = "csrfmiddlewaretoken"


@dataclass
class Step:
    """One request of a member's cycle and what its answer must be."""

    kind: str
    method: str
    path: str
    body: str = ""
    status: int = 200
    location: str | None = None
    # Bytes a 200 page must contain (its form, or the confirmation).
    holds: bytes = b""


@dataclass
class Member:
    token: str
    steps: list[Step]
    cookies: dict[str, str] = field(default_factory=dict)


class Failed(Exception):
    pass


class Connection:
    """One keep-alive connection; reopened when the server closes it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.host_header = f"Host: {host}:{port}\r\n".encode()

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, *, cookie: str = "", body: bytes = b""
    ) -> tuple[int, dict[bytes, list[bytes]], bytes]:
        """Send one request and return (status, headers by lower-case name, body)."""
        head = [f"{method} {path} HTTP/1.1\r\n".encode(), self.host_header]
        if cookie:
            head.append(f"Cookie: {cookie}\r\n".encode())
        if method == "POST":
            head.append(
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n"
                % len(body)
            )
        head.append(b"\r\n")
        message = b"".join(head) + body
        for attempt in (1, 2):
            if self.writer is None:
                await self._open()
            try:
                self.writer.write(message)
                return await self._answer()
            except (ConnectionError, asyncio.IncompleteReadError):
                # A kept-alive connection the server closed meanwhile: once more, afresh.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _answer(self) -> tuple[int, dict[bytes, list[bytes]], bytes]:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers: dict[bytes, list[bytes]] = {}
        for line in lines[1:-2]:
            name, _, value = line.partition(b":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        if b"content-length" in headers:
            body = await self.reader.readexactly(int(headers[b"content-length"][0]))
        elif headers.get(b"transfer-encoding", [b""])[0].lower() == b"chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(c[:-2] for c in chunks)
        else:
            body = await self.reader.read()
            self.close()
        if headers.get(b"connection", [b""])[0].lower() == b"close":
            self.close()
        return status, headers, body


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.acknowledged: list[str] = []

    def failed(self, message: str) -> None:
        self.failures.append(message)


def _cookies(member: Member, headers: dict[bytes, list[bytes]]) -> None:
    for cookie in headers.get(b"set-cookie", ()):
        pair = cookie.split(b";", 1)[0].decode()
        name, _, value = pair.partition("=")
        if value.strip('"'):
            member.cookies[name.strip()] = value
        else:  # deleted by the site
            member.cookies.pop(name.strip(), None)


async def take_step(connection: Connection, member: Member, step: Step, stats: Stats) -> None:
    """Send one request of a member's cycle, check its answer, keep its cookies."""
    cookie = "; ".join(f"{k}={v}" for k, v in member.cookies.items())
    body = b""
    if step.method == "POST":
        body = f"{step.body}&{CSRF_FIELD}={member.cookies.get(CSRF_COOKIE, '')}".encode()
    began = time.perf_counter()
    status, headers, content = await connection.request(
        step.method, step.path, cookie=cookie, body=body
    )
    stats.latencies.append(time.perf_counter() - began)
    _cookies(member, headers)
    if status != step.status:
        raise Failed(f"{step.method} {step.path} answered {status}, not {step.status}")
    if step.location is not None:
        where = urlsplit(headers.get(b"location", [b""])[0].decode())
        if where.path != step.location:
            raise Failed(f"{step.method} {step.path} led to {where.path}, not {step.location}")
    if step.holds and step.holds not in content:
        raise Failed(f"{step.method} {step.path} lacks {step.holds!r}")


async def _cycles(plan: dict, stats: Stats, members: list[Member]) -> tuple[float, float]:
    host, port = plan["host"], plan["port"]
    ends = time.perf_counter() + plan["seconds"]
    gives_up = ends + plan["stop_timeout"]
    queue = iter(members)

    async def user() -> None:
        connection = Connection(host, port)
        for member in queue:
            if time.perf_counter() >= ends:
                break
            try:
                for step in member.steps:
                    if time.perf_counter() >= gives_up:
                        return
                    await take_step(connection, member, step, stats)
                stats.acknowledged.append(member.token)
            except (Failed, OSError, asyncio.IncompleteReadError, ValueError) as error:
                stats.failed(str(error) or repr(error))
                connection.close()
        connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(plan["users"])))
    return began, time.perf_counter()


async def _ceiling(plan: dict, stats: Stats) -> tuple[float, float]:
    host, port = plan["host"], plan["port"]
    ends = time.perf_counter() + plan["seconds"]
    body = urlencode({"body": "x" * 64}).encode()

    async def user() -> None:
        connection = Connection(host, port)
        while time.perf_counter() < ends:
            began = time.perf_counter()
            try:
                status, _, content = await connection.request("POST", "/bench/ceiling/", body=body)
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                stats.failed(repr(error))
                connection.close()
                continue
            stats.latencies.append(time.perf_counter() - began)
            if status != 200:
                stats.failed(f"ceiling answered {status}")
                continue
            stats.acknowledged.append(content.decode().strip())
        connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(plan["users"])))
    return began, time.perf_counter()


async def _phased(plan: dict, stats: Stats, members: list[Member], sampler: Sampler) -> dict:
    """Take each step for every member before the next; the servers' CPU per kind of page."""
    host, port = plan["host"], plan["port"]
    by_kind: dict[str, dict] = {}
    alive = list(members)
    connections = [Connection(host, port) for _ in range(plan["users"])]
    for index in range(max(len(m.steps) for m in members)):
        walking = [m for m in alive if index < len(m.steps)]
        if not walking:
            break
        queue = iter(walking)
        dropped: list[Member] = []

        async def user(connection: Connection, queue=queue, dropped=dropped, index=index) -> None:
            for member in queue:
                try:
                    await take_step(connection, member, member.steps[index], stats)
                except (Failed, OSError, asyncio.IncompleteReadError, ValueError) as error:
                    stats.failed(str(error) or repr(error))
                    connection.close()
                    dropped.append(member)

        before = sampler.read()
        await asyncio.gather(*(user(c) for c in connections))
        used = sampler.read() - before
        kind = walking[0].steps[index].kind
        figures = by_kind.setdefault(kind, {"requests": 0, "workers": 0.0, "postgres": 0.0})
        figures["requests"] += len(walking)
        figures["workers"] += used.workers
        figures["postgres"] += used.postgres
        alive = [m for m in alive if m not in dropped]
    for connection in connections:
        connection.close()
    stats.acknowledged.extend(m.token for m in alive)
    return by_kind


def members_of(plan: dict) -> list[Member]:
    """Prepare every member's requests: the instrument's pages and answers chosen at random."""
    rng = random.Random(plan.get("seed", 1))
    members = []
    for token in plan.get("tokens", ()):
        steps = []
        for step in plan["cycle"]:
            body = ""
            if step["method"] == "POST":
                body = urlencode(
                    [(name, rng.choice(values)) for name, values in step["answers"]], doseq=True
                )
            steps.append(
                Step(
                    kind=step["kind"],
                    method=step["method"],
                    path=step["path"].replace("{token}", token),
                    body=body,
                    status=step["status"],
                    location=step.get("location"),
                    holds=step.get("holds", "").encode(),
                )
            )
        members.append(Member(token, steps))
    return members


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(plan: dict) -> dict:
    members = members_of(plan)
    stats = Stats()
    sampler = Sampler(
        gunicorn_pid=plan["gunicorn_pid"],
        database=plan["database"],
        leave_out=tuple(plan.get("leave_out", ())),
    )
    by_kind = None
    with sampler:
        server_before = sampler.read()
        cpu_before = time.process_time()
        if plan["mode"] == "cycle":
            began, ended = asyncio.run(_cycles(plan, stats, members))
        elif plan["mode"] == "ceiling":
            began, ended = asyncio.run(_ceiling(plan, stats))
        else:
            began = time.perf_counter()
            by_kind = asyncio.run(_phased(plan, stats, members, sampler))
            ended = time.perf_counter()
        client_cpu = time.process_time() - cpu_before
        server = sampler.read() - server_before
    requests = len(stats.latencies)
    return {
        "requests": requests,
        "failures": len(stats.failures),
        "failure_examples": stats.failures[:5],
        "seconds": ended - began,
        "requests_per_s": requests / max(ended - began, 1e-9),
        "p50_ms": 1000 * percentile(stats.latencies, 0.50),
        "p99_ms": 1000 * percentile(stats.latencies, 0.99),
        "acknowledged": stats.acknowledged,
        "client_cpu_s": client_cpu,
        "workers_cpu_s": server.workers,
        "postgres_cpu_s": server.postgres,
        "by_kind": by_kind,
    }


def main() -> int:
    plan_path, result_path = sys.argv[1:3]
    with open(plan_path) as handle:
        plan = json.load(handle)
    result = run(plan)
    with open(result_path, "w") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
