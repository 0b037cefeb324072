"""Logs an operator can read: one JSON object a line with the request's id, and never an
invitation token or an e-mail address, from gunicorn's access log or from Django."""

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from surveyplatform.logs import redact
from tests.faults.processes import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_redact_hides_tokens_in_personal_links_and_e_mail_addresses():
    assert redact("GET /i/AbC_d-1234/ HTTP/1.1") == "GET /i/[redacted]/ HTTP/1.1"
    assert redact("/console/unsubscribe/x.y:z/") == "/console/unsubscribe/[redacted]/"
    assert redact("to ann.lee+panel@example.org failed") == "to [email] failed"
    assert redact("/api/v1/waves/3/") == "/api/v1/waves/3/"


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    """gunicorn with production's configuration file, against the test database."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "DEBUG": "1",
        "LOG_FORMAT": "json",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "2",
        "VAR_DIR": str(tmp_path / "var"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "surveyplatform.wsgi", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.get(base + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(up, timeout=60, what="gunicorn")
        yield base, log
    finally:
        process.terminate()
        process.wait(20)


def test_access_log_and_request_warnings_carry_the_request_id_but_never_a_token(gunicorn):
    base, log = gunicorn
    token = secrets.token_urlsafe(32)
    unsubscribe = secrets.token_urlsafe(24)

    # When a stranger tries a personal link and an unsubscribe link, with an address too
    opened = requests.get(
        f"{base}/i/{token}/?email=ann.lee@example.org",
        headers={"Referer": f"{base}/i/{token}/"},
        timeout=10,
    )
    requests.get(f"{base}/console/unsubscribe/{unsubscribe}/", timeout=10)
    assert opened.status_code == 404
    request_id = opened.headers["X-Request-ID"]
    time.sleep(0.5)

    # Then nothing logged holds the tokens or the address
    text = log.read_text()
    assert token not in text
    assert unsubscribe not in text
    assert "ann.lee@example.org" not in text
    # And every line is one JSON object
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    access = [e for e in entries if e.get("logger") == "gunicorn.access"]
    link = next(e for e in access if e["path"].startswith("/i/"))
    assert link["path"] == "/i/[redacted]/"
    assert link["status"] == 404
    assert link["request_id"] == request_id
    assert "[email]" in link["query"]
    # And Django's warning about the same request says which request it was
    warning = next(e for e in entries if e.get("logger") == "django.request")
    assert warning["level"] == "WARNING"
    assert "/i/[redacted]/" in warning["message"]
    assert warning["request_id"] == request_id


def test_gunicorn_workers_share_their_request_timings_with_metrics(gunicorn):
    base, _ = gunicorn
    for _ in range(3):
        requests.get(base + "/healthz", timeout=10)

    body = requests.get(base + "/metrics", timeout=10).text

    line = next(
        line
        for line in body.splitlines()
        if line.startswith("surveyplatform_request_duration_seconds_count")
        and 'view="healthz"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) >= 3
