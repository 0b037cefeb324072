"""The production image's build steps (bin/build), and a server started from what they made.

There is no Docker engine on these machines, so the test runs the very script the
Dockerfile runs, into a fresh VAR_DIR, and then serves each kind of page with DEBUG off
from the files it collected, as the container does.
"""

import os
import re
import secrets
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from setuptools import find_packages

from experiments.invitations import issue_invitation
from experiments.models import CouncilRole, WaveStatus
from surveyplatform.sessions import SessionStore
from tests.factories import (
    CouncilMembershipFactory,
    PanelMemberFactory,
    UserFactory,
    WaveFactory,
    WaveThemeFactory,
)
from tests.faults.processes import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_every_app_of_the_project_is_a_package_of_the_distribution():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packaged = set(find_packages(where=str(ROOT), include=include))
    local_apps = {
        app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()
    }
    assert local_apps
    assert local_apps | {"surveyplatform"} <= packaged


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """Run bin/build into a fresh VAR_DIR, as the Dockerfile does; return that VAR_DIR."""
    var_dir = tmp_path_factory.mktemp("image") / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(VAR_DIR=str(var_dir), PYTHON=sys.executable)
    result = subprocess.run(
        [str(ROOT / "bin" / "build")], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return var_dir


def test_the_build_collects_static_files_under_the_production_storage(built):
    static = built / "static"
    manifest = static / "staticfiles.json"
    assert manifest.exists()
    hashed = list(static.glob("css/site.*.css"))
    assert hashed, "no hashed copy of css/site.css"
    assert list(static.glob("css/site.*.css.gz")), "no compressed copy"


def _login_cookie(user) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key


@pytest.fixture
def production_server(built, transactional_db, tmp_path):
    port = free_port()
    database = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DEBUG="0",
        SECRET_KEY=settings.SECRET_KEY,
        PSEUDONYM_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        VAR_DIR=str(built),
        DATABASE_URL=(
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        WEB_CONCURRENCY="1",
        WEB_THREADS="4",
        ACCESS_LOG="",
    )
    log = tmp_path / "gunicorn.log"
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


STATIC_LINK = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def test_a_production_server_serves_every_kind_of_page_from_the_collected_files(
    production_server,
):
    base, log = production_server
    # Given a superuser, an open wave with a member's personal link, and a closed wave
    admin = UserFactory(is_staff=True, is_superuser=True)
    wave = WaveFactory()
    WaveThemeFactory(wave=wave)
    link = issue_invitation(wave, member=PanelMemberFactory(council=wave.council)).url
    closed = WaveFactory(council=wave.council, status=WaveStatus.CLOSED)
    CouncilMembershipFactory(user=admin, council=wave.council, role=CouncilRole.ADMIN)
    staff = requests.Session()
    staff.cookies.set("sessionid", _login_cookie(admin))

    # When each kind of page is asked for: public, respondent, staff, admin, API docs, errors
    member = requests.Session()
    pages = {
        "home": (requests.get(base + "/", timeout=20), 200),
        "respondent start": (
            member.get(link.replace(settings.PUBLIC_BASE_URL, base), timeout=20),
            200,
        ),
        "console sign-in": (requests.get(base + "/console/login/", timeout=20), 200),
        "console": (staff.get(base + "/console/", timeout=20), 200),
        "console wave": (staff.get(f"{base}/console/waves/{wave.pk}/", timeout=20), 200),
        "results": (staff.get(f"{base}/results/{closed.pk}/", timeout=20), 200),
        "exports": (staff.get(base + "/exports/", timeout=20), 200),
        "admin": (staff.get(base + "/admin/", timeout=20), 200),
        "API docs": (staff.get(base + "/api/docs/", timeout=20), 200),
        "not found": (requests.get(base + "/no-such-page/", timeout=20), 404),
    }

    # Then each answers as it should, and every stylesheet, script and image it links to
    # is served from the collected files
    for name, (response, status) in pages.items():
        assert response.status_code == status, (name, response.status_code, log.read_text()[-3000:])
        links = STATIC_LINK.findall(response.text)
        assert links or name in {"API docs", "not found"}, name
        for path in links:
            asset = requests.get(base + path, timeout=20)
            assert asset.status_code == 200, (name, path)
