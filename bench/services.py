"""Start the platform on loopback for a benchmark, and stop everything that was started.

Every process is started in its own process group and registered on an ExitStack, so
that a normal end, an exception or Ctrl-C all stop gunicorn, the Celery worker and any
load generator, and drop the benchmark's database.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(*, database_url: str, redis_url: str, var_dir: Path) -> dict[str, str]:
    """Return the environment of the production shape, on plain http over loopback."""
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),  # generated for this run only
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        VAR_DIR=str(var_dir),
        BENCH_CEILING="1",
        # Production settings refuse to start without one; generated for this run only.
        PSEUDONYM_KEY=os.environ.get("PSEUDONYM_KEY") or secrets.token_urlsafe(32),
        # Every simulated member comes from 127.0.0.1: the per-address limit on opening
        # links (30 a minute in production) would refuse all but the first few.
        INVITATION_RATE_LIMIT="1000000",
        LOG_LEVEL="WARNING",
        # No access log line per request (gunicorn.conf.py writes one by default): the bench
        # compares the application between runs, and earlier runs had none.
        ACCESS_LOG="",
        # As .env.example sets it for production: persistent database connections.
        DATABASE_CONN_MAX_AGE=os.environ.get("DATABASE_CONN_MAX_AGE", "60"),
        DJANGO_SETTINGS_MODULE="surveyplatform.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


def stop_process(
    process: subprocess.Popen, *, grace: float = 10.0, stop_signal: int = signal.SIGTERM
) -> None:
    """Stop the process group the bench started: the signal, then KILL after a grace period."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, stop_signal)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def start(
    stack: ExitStack, args: list[str], *, env: dict, log: Path, stop_signal: int = signal.SIGTERM
) -> subprocess.Popen:
    """Start a process in its own group, logging to a file, and stop it when the stack closes.

    The servers are stopped with SIGQUIT (gunicorn's and Celery's quick shutdown): by then
    every figure is measured and checked, and a graceful stop only waits for idle
    keep-alive connections and the worker's warm shutdown.
    """
    handle = stack.enter_context(open(log, "ab"))  # noqa: SIM115 (the stack closes it)
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    stack.callback(stop_process, process, stop_signal=stop_signal)
    return process


def wait_for_http(url: str, *, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def wait_for_log(log: Path, needle: str, *, process: subprocess.Popen, timeout=60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}; see {log}")
        if needle in log.read_text(errors="replace"):
            return
        time.sleep(0.3)
    raise RuntimeError(f"{needle!r} did not appear in {log} within {timeout:.0f} s")


@dataclass(frozen=True)
class Server:
    """A gunicorn started by the bench: where it listens, and its master's pid."""

    host: str
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def start_gunicorn(stack: ExitStack, *, env: dict, port: int, logs: Path) -> Server:
    """Start gunicorn as bin/serve does; return where it listens.

    Workers, threads and the timeout are production's own: gunicorn.conf.py at the
    repository root, read from the working directory. No access log, as in production.
    """
    log = logs / "gunicorn.log"
    process = start(
        stack,
        [
            str(BIN / "gunicorn"),
            "surveyplatform.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "2048",
        ],
        env=env,
        log=log,
        stop_signal=signal.SIGQUIT,
    )
    server = Server("127.0.0.1", port, process.pid)
    wait_for_http(server.url + "/healthz", process=process)
    return server


def start_celery_worker(stack: ExitStack, *, env: dict, logs: Path) -> None:
    log = logs / "celery.log"
    process = start(
        stack,
        [
            str(BIN / "celery"),
            "-A",
            "surveyplatform",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--without-mingle",
            "--without-gossip",
        ],
        env=env,
        log=log,
        stop_signal=signal.SIGQUIT,
    )
    wait_for_log(log, "ready.", process=process)


def admin_dsn(database_url: str) -> str:
    """Return the DSN of the server's maintenance database, for CREATE/DROP DATABASE."""
    base, _, _ = database_url.rpartition("/")
    return base + "/postgres"


def migrations_fingerprint() -> str:
    """Return a digest of every migration file and Django's version: what migrating yields."""
    import hashlib

    import django

    digest = hashlib.sha256(django.__version__.encode())
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def template_name(database_url: str) -> str:
    return database_url.rpartition("/")[2] + "_migrated"


def _template_fingerprint(dsn: str, template: str) -> str | None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [template],
        ).fetchone()
    return row[0] if row else None


def create_database(stack: ExitStack, database_url: str, *, fingerprint: str = "") -> bool:
    """Create the run's database afresh, and drop it when the stack closes.

    Migrating an empty database takes 10–20 s on a busy small machine; a copy of a database
    migrated by an earlier run (`<name>_migrated`, kept between runs like the collected
    static files) takes about one, and is used when its migrations are the same. Return
    whether the new database still needs migrating.
    """
    name = database_url.rpartition("/")[2]
    dsn = admin_dsn(database_url)
    template = template_name(database_url)

    def drop() -> None:
        # A bounded wait: DROP DATABASE waits for every backend of the server to absorb a
        # barrier, and one stalled client elsewhere can hold that up indefinitely.
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET statement_timeout = '120s'")
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_at_exit() -> None:
        try:
            drop()
        except psycopg.Error as error:
            print(f"Could not drop the database {name}: {error}", file=sys.stderr)

    drop()
    cloned = bool(fingerprint) and _template_fingerprint(dsn, template) == fingerprint
    with psycopg.connect(dsn, autocommit=True) as conn:
        if cloned:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
    stack.callback(drop_at_exit)
    return not cloned


def save_template(database_url: str, *, fingerprint: str) -> None:
    """Keep a copy of the freshly migrated database for the next run (no one may be connected)."""
    name = database_url.rpartition("/")[2]
    template = template_name(database_url)
    with psycopg.connect(admin_dsn(database_url), autocommit=True) as conn:
        conn.execute("SET statement_timeout = '120s'")
        conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
        conn.execute(f"COMMENT ON DATABASE \"{template}\" IS '{fingerprint}'")


def collect_static_if_stale(static_root: Path) -> bool:
    """Run collectstatic unless the manifest is newer than every source and the venv.

    Compressing every static file takes a minute on a busy small machine; the result
    depends only on the files, so a second run reuses it.
    """
    from django.core.management import call_command

    manifest = static_root / "staticfiles.json"
    if manifest.exists():
        built = manifest.stat().st_mtime
        sources = [p for p in (ROOT / "static").rglob("*") if p.is_file()]
        sources.append(Path(sys.prefix) / ".installed")
        if all(p.stat().st_mtime < built for p in sources if p.exists()):
            return False
    call_command("collectstatic", interactive=False, verbosity=0)
    return True
