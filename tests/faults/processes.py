"""Real servers for the fault tests, each of this run's own, on loopback ports.

The machine's shared Postgres and Redis are never touched: a throwaway Postgres cluster
and a Redis server are started here, and only those are stopped, restarted or flushed.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"Timed out after {timeout} s waiting for {what}")


def postgres_bin() -> Path:
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3])
    )
    if not versions:
        raise RuntimeError("No PostgreSQL server binaries under /usr/lib/postgresql")
    return versions[-1].parent


class PostgresCluster:
    """A throwaway cluster owned by the `postgres` OS user, trusting loopback."""

    def __init__(self, workdir: Path):
        self.bin = postgres_bin()
        self.port = free_port()
        self.datadir = workdir / "pgdata"
        self.datadir.mkdir(mode=0o700)
        shutil.chown(self.datadir, "postgres", "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/faults"

    def _as_postgres(self, *args: str, timeout: float = 120) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            check=True,
            capture_output=True,
            timeout=timeout,
            cwd="/tmp",
        )

    def start(self) -> None:
        self._as_postgres(
            str(self.bin / "initdb"), "-D", str(self.datadir), "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        options = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1"
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.datadir), "-o", options,
            "-l", str(self.datadir / "server.log"), "-w", "start",
        )  # fmt: skip
        with psycopg.connect(
            f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE faults")

    def restart_fast(self) -> None:
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "restart",
            "-l", str(self.datadir / "server.log"),
        )  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._as_postgres(
                str(self.bin / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop",
                timeout=60,
            )  # fmt: skip

    def query(self, sql: str, params=None) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()


class RedisServer:
    """A Redis of this run's own that keeps nothing on disk."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = workdir / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", str(self.log.parent)],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(self.ping, timeout=20, what="redis")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def flush(self) -> None:
        import redis

        redis.Redis(port=self.port).flushall()


class Service:
    """One long-running process of the platform, with its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict, workdir: Path):
        self.name, self.args, self.env = name, args, env
        self.log = workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if not self.process or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def children(self) -> list[int]:
        result = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True
        )
        return [int(pid) for pid in result.stdout.split()]


class Stack:
    """Postgres, Redis, gunicorn, a Celery worker and the outbox sweeper of one test run."""

    def __init__(self, *, env_overrides: dict | None = None):
        self.workdir = Path(tempfile.mkdtemp(prefix="sp-faults-"))
        os.chmod(self.workdir, 0o755)
        self.postgres = PostgresCluster(self.workdir)
        self.redis = RedisServer(self.workdir)
        self.web_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))},
            "DJANGO_SETTINGS_MODULE": "surveyplatform.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "PSEUDONYM_KEY": secrets.token_urlsafe(50),
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "VAR_DIR": str(self.workdir / "var"),
            "PUBLIC_BASE_URL": self.base_url,
            # Every load-test member comes with an address of their own behind one proxy.
            "TRUSTED_PROXY_HOPS": "1",
            # Persistent connections, as in production: a restart must not leave dead ones
            # in use (Django health-checks them at the start of each request).
            "DATABASE_CONN_MAX_AGE": "60",
            "OUTBOX_PENDING_GRACE": "2",
            "OUTBOX_RESEND_AFTER": "20",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **(env_overrides or {}),
        }
        self.web = Service(
            "gunicorn",
            [str(BIN / "gunicorn"), "surveyplatform.wsgi", "--bind", f"127.0.0.1:{self.web_port}",
             "--workers", "3", "--worker-class", "gthread", "--threads", "4",
             "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning"],
            self.env, self.workdir,
        )  # fmt: skip
        self.worker = self._worker()
        self.sweeper = Service(
            "sweeper",
            [PYTHON, "manage.py", "sweep_outbox", "--loop", "--interval", "2"],
            self.env,
            self.workdir,
        )

    def _worker(self) -> Service:
        return Service(
            "worker",
            [str(BIN / "celery"), "-A", "surveyplatform", "worker", "--loglevel", "INFO",
             "--pool", "prefork", "--concurrency", "2", "--include", "tests.faults.tasks",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            self.env, self.workdir,
        )  # fmt: skip

    def manage(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-4000:]}")
        return result.stdout

    def seed(self, *args: str, timeout: float = 300) -> dict:
        result = subprocess.run(
            [PYTHON, "-m", "tests.faults.seed", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"seed {' '.join(args)} failed:\n{result.stderr[-4000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start(self) -> None:
        self.postgres.start()
        self.redis.start()
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("collectstatic", "--no-input", "-v", "0")
        self.seed("tables")
        self.web.start()
        self.worker.start()
        self.sweeper.start()
        self.wait_healthy(timeout=90)
        self.wait_worker_ready(0)

    def _ready_count(self) -> int:
        if not self.worker.log.exists():
            return 0
        return self.worker.log.read_text(errors="replace").count(" ready.")

    def wait_worker_ready(self, seen_before: int) -> None:
        wait_for(lambda: self._ready_count() > seen_before, timeout=120, what="the Celery worker")

    def start_new_worker(self) -> None:
        """Start a fresh worker process (after the old one died) and wait until it is ready."""
        seen = self._ready_count()
        self.worker.start()
        self.wait_worker_ready(seen)

    def ensure_up(self) -> None:
        """Bring back whatever a test stopped: Redis, the worker, the database connection."""
        if not self.redis.ping():
            self.redis.stop()
            self.redis.start()
        if self.worker.process is None or self.worker.process.poll() is not None:
            self.start_new_worker()
        self.wait_healthy(timeout=60)

    def unfinished_jobs(self) -> int:
        return self.postgres.query(
            "SELECT count(*) FROM outbox_outboxmessage WHERE status IN ('pending', 'sent')"
        )[0][0]

    def worker_idle(self) -> bool:
        """Whether no job waits in the broker, and the worker runs and holds none."""
        import redis
        from celery import Celery

        if redis.Redis(port=self.redis.port).llen("celery"):
            return False
        inspect = Celery(broker=self.redis.url).control.inspect(timeout=2)
        active, reserved = inspect.active(), inspect.reserved()
        if not active or not reserved:
            return False  # no worker answered
        return not any(active.values()) and not any(reserved.values())

    def healthy(self) -> bool:
        try:
            return requests.get(self.base_url + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait_healthy(self, *, timeout: float) -> float:
        started = time.monotonic()
        wait_for(self.healthy, timeout=timeout, interval=0.1, what="/healthz")
        return time.monotonic() - started

    def stop(self) -> None:
        for service in (self.sweeper, self.worker, self.web):
            with contextlib.suppress(Exception):
                service.stop()
        self.redis.stop()
        self.postgres.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(
            f"--- {service.name} ---\n{service.tail()}"
            for service in (self.web, self.worker, self.sweeper)
        )
