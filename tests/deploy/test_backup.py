"""The backup and restore commands the README gives (bin/backup, bin/restore): a dump
restored into an empty database holds the same rows."""

import subprocess
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests.factories import PanelMemberFactory, WaveFactory

ROOT = Path(__file__).resolve().parents[2]


def _url(name: str) -> str:
    database = settings.DATABASES["default"]
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{name}"


@pytest.fixture
def empty_database():
    name = settings.DATABASES["default"]["NAME"] + "_restored"
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _url(name)
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("experiments_wave", "panel_panelmember", "django_migrations")
        }


def test_a_backup_restores_into_an_empty_database_with_every_row(
    transactional_db, empty_database, tmp_path
):
    # Given a database with a wave and its members
    wave = WaveFactory()
    PanelMemberFactory.create_batch(3, council=wave.council)
    source = _url(settings.DATABASES["default"]["NAME"])
    dump = tmp_path / "surveyplatform.dump"

    # When it is backed up and restored with the README's commands
    for command in (
        [str(ROOT / "bin" / "backup"), str(dump), source],
        [str(ROOT / "bin" / "restore"), str(dump), empty_database],
    ):
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr

    # Then the restored database holds the same rows, migrations included
    assert _counts(empty_database) == _counts(source)
    assert _counts(empty_database)["panel_panelmember"] == 3
