"""The embedded Postgres of `make run`: initialised, started, reachable and stopped, run by
root (as in a container, through a system user of its own) or by an ordinary user."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from surveyplatform.demo_database import SYSTEM_USER, DemoDatabase
from tests.faults.processes import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tmp_path():
    """A directory other users may traverse (pytest's own tree is private to its user)."""
    path = Path(tempfile.mkdtemp(prefix="sp-demo-db-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_demo_database_starts_serves_and_stops_under_var(tmp_path):
    database = DemoDatabase(tmp_path / "var" / "postgres", port=free_port())
    try:
        # When it starts for the first time, and then again while running
        assert database.start() is True
        assert database.start() is False

        # Then it serves the platform's database on loopback, as Postgres 18
        with psycopg.connect(database.url) as conn:
            assert conn.execute("SHOW server_version_num").fetchone()[0] >= "180000"
            assert conn.execute("SELECT current_database()").fetchone() == ("surveyplatform",)
        if os.geteuid() == 0:
            # Run by root, the server belongs to a system user of its own
            owner = (database.data_dir / "PG_VERSION").owner()
            assert owner == SYSTEM_USER
    finally:
        database.stop()
    assert database.running() is False


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another user needs root")
def test_an_ordinary_user_runs_the_demo_database_too(tmp_path):
    # Given an ordinary user's own directory and a Python they may run
    python = shutil.which("python3", path="/usr/bin")
    if (
        python is None
        or subprocess.run(
            [python, "-c", f"import sys; sys.exit(sys.version_info[:2] != {sys.version_info[:2]})"]
        ).returncode
    ):
        pytest.skip("no system Python of this version for the other user")
    prepare = DemoDatabase(tmp_path / "prepare")
    prepare.data_dir.mkdir()
    prepare._prepare_for_system_user()  # creates the user when missing
    home = tmp_path / "user"
    home.mkdir()
    shutil.chown(home, SYSTEM_USER)
    site = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
    script = (
        "from pathlib import Path; from surveyplatform.demo_database import DemoDatabase\n"
        f"db = DemoDatabase(Path('{home}/postgres'), port={free_port()})\n"
        "print(db.start()); import psycopg\n"
        "print(psycopg.connect(db.url).execute('SELECT 1').fetchone()[0])\n"
        "db.stop(); print(db.running())\n"
    )

    # When that user starts, uses and stops it
    result = subprocess.run(
        [shutil.which("runuser"), "-u", SYSTEM_USER, "--", python, "-c", script],
        env={"PYTHONPATH": f"{ROOT}:{site}", "PATH": "/usr/bin:/bin"},
        cwd="/tmp",
        capture_output=True,
        text=True,
        timeout=120,
    )

    # Then it worked as for root: initialised, answered, stopped
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "1", "False"]
