"""Set up data in a fault test's own database; run as `python -m tests.faults.seed ...`.

It prints JSON on its last line of output, for the test to read.
"""

import argparse
import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "surveyplatform.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402

from experiments.invitations import hash_token  # noqa: E402
from experiments.models import Invitation  # noqa: E402
from outbox.relay import enqueue  # noqa: E402
from panel.models import PanelMember  # noqa: E402
from tests.factories import (  # noqa: E402
    ActivityFactory,
    CouncilFactory,
    NudgeTextFactory,
    WaveFactory,
    WaveThemeFactory,
)

TABLES = """
CREATE TABLE IF NOT EXISTS faults_completion (
    outbox_id bigint PRIMARY KEY, label text NOT NULL, pid integer NOT NULL,
    at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS faults_run_log (
    id bigserial PRIMARY KEY, outbox_id bigint NOT NULL, event text NOT NULL,
    pid integer NOT NULL, at timestamptz NOT NULL DEFAULT now());
"""


def create_tables() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(TABLES)
    return {"tables": "ok"}


def create_wave(*, members: int, themes: int, prefix: str, scheme: str = "simple") -> dict:
    """Create an open wave and `members` invited members; return the wave id and tokens."""
    import secrets

    with transaction.atomic():
        # Factory sequences start again in every process: name the council uniquely.
        suffix = secrets.token_hex(4)
        council = CouncilFactory(name=f"Council {prefix}-{suffix}", slug=f"c-{prefix}-{suffix}")
        wave = WaveFactory(council=council, allocation_scheme=scheme, seed=secrets.token_hex(32))
        for _ in range(themes):
            wave_theme = WaveThemeFactory(wave=wave)
            for _ in range(3):
                ActivityFactory(theme=wave_theme.theme)
            NudgeTextFactory(wave=wave, theme=wave_theme.theme, nudge="a")
            NudgeTextFactory(wave=wave, theme=wave_theme.theme, nudge="b")
        panel = PanelMember.objects.bulk_create(
            PanelMember(council=wave.council, external_id=f"{prefix}{n:06d}", ward="Central")
            for n in range(members)
        )
        tokens = [secrets.token_urlsafe(32) for _ in panel]
        Invitation.objects.bulk_create(
            Invitation(wave=wave, member=member, token_hash=hash_token(token))
            for member, token in zip(panel, tokens, strict=True)
        )
    return {
        "wave_id": wave.pk,
        "links": [
            {"member_id": member.pk, "token": token}
            for member, token in zip(panel, tokens, strict=True)
        ],
    }


def enqueue_jobs(*, count: int, label: str, seconds: float) -> dict:
    """Queue `count` jobs through the outbox in one transaction, as a writer would."""
    with transaction.atomic():
        ids = [
            enqueue("tests.faults.tasks.slow_job", label=label, seconds=seconds).pk
            for _ in range(count)
        ]
    return {"outbox_ids": ids}


STATUS_LOG = """
CREATE TABLE IF NOT EXISTS faults_status_log (
    id bigserial PRIMARY KEY, tbl text NOT NULL, row_id bigint NOT NULL,
    old_status text, new_status text NOT NULL, attempts integer NOT NULL,
    finished_changed boolean NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE OR REPLACE FUNCTION faults_log_status() RETURNS trigger AS $$
BEGIN
    INSERT INTO faults_status_log (tbl, row_id, old_status, new_status, attempts, finished_changed)
    VALUES (TG_TABLE_NAME, NEW.id,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status, NEW.attempts,
            TG_OP = 'UPDATE' AND NEW.finished_at IS DISTINCT FROM OLD.finished_at);
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE TRIGGER faults_run_status AFTER INSERT OR UPDATE ON analysis_analysisrun
    FOR EACH ROW EXECUTE FUNCTION faults_log_status();
CREATE OR REPLACE TRIGGER faults_export_status AFTER INSERT OR UPDATE ON exports_export
    FOR EACH ROW EXECUTE FUNCTION faults_log_status();
"""


def create_closed_wave_with_jobs(*, council: int, respondents: int, format: str) -> dict:
    """Write a closed wave of synthetic answers, then request its analysis and an export.

    Both jobs go through the outbox in the same transaction as the rows they describe,
    exactly as closing a wave and asking for an export do. A trigger records every write
    to the two job rows, so that the test can count how often each one became done.
    """
    import dataclasses
    import secrets

    from django.contrib.auth import get_user_model

    from analysis.runs import run_for_closed_wave
    from analysis.synthetic import STUDY_COUNCILS
    from experiments.demo import _seed_closed_council
    from experiments.waves import ANALYSE_CLOSED_WAVE
    from exports.jobs import request_export
    from outbox.models import OutboxMessage

    with connection.cursor() as cursor:
        cursor.execute(STATUS_LOG)
    spec = dataclasses.replace(STUDY_COUNCILS[council], respondents=respondents)
    # The demo's steps close the wave with close_wave, which queues its analysis job.
    _, wave, created = _seed_closed_council(spec, seed=council + 1)
    if not created:
        raise RuntimeError(f"{spec.council} already has a closed wave in this database.")
    username, password = f"faults-researcher-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    user = get_user_model().objects.create_superuser(username, "r@example.org", password)
    with transaction.atomic():
        # The run that job computes (the job finds this one, or made it already).
        run = run_for_closed_wave(wave.pk)
        export = request_export(user, wave_ids=[wave.pk], format=format, labels="en")
        run_job = OutboxMessage.objects.get(task_name=ANALYSE_CLOSED_WAVE, kwargs__wave_id=wave.pk)
        export_job = OutboxMessage.objects.get(
            task_name="exports.tasks.produce_export", kwargs__export_id=export.pk
        )
    return {
        "wave_id": wave.pk,
        "run_id": run.pk,
        "export_id": export.pk,
        "run_job": run_job.pk,
        "export_job": export_job.pk,
        "username": username,
        "password": password,
    }


def create_researcher(*, waves: int) -> dict:
    """Create a council with closed waves and a researcher of it holding an API token."""
    import secrets

    from accounts.tokens import issue_token
    from experiments.models import CouncilRole, WaveStatus
    from tests.factories import CouncilMembershipFactory, UserFactory

    suffix = secrets.token_hex(4)
    with transaction.atomic():
        council = CouncilFactory(name=f"Council S-{suffix}", slug=f"c-s-{suffix}")
        closed = []
        for number in range(waves):
            wave = WaveFactory(council=council, status=WaveStatus.CLOSED, title=f"Closed {number}")
            WaveThemeFactory(wave=wave)
            closed.append(wave.pk)
        user = UserFactory(username=f"faults-researcher-{suffix}")
        CouncilMembershipFactory(user=user, council=council, role=CouncilRole.RESEARCHER)
        token = issue_token(user, name="faults").key
    return {"token": token, "wave_ids": closed}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("tables")
    wave = sub.add_parser("wave")
    wave.add_argument("--members", type=int, required=True)
    wave.add_argument("--themes", type=int, default=2)
    wave.add_argument("--prefix", default="F")
    wave.add_argument("--scheme", default="simple", choices=["simple", "blocks"])
    closed = sub.add_parser("closed_wave_with_jobs")
    closed.add_argument("--council", type=int, default=1)
    closed.add_argument("--respondents", type=int, required=True)
    closed.add_argument("--format", default="bundle")
    researcher = sub.add_parser("researcher")
    researcher.add_argument("--waves", type=int, default=4)
    jobs = sub.add_parser("jobs")
    jobs.add_argument("--count", type=int, required=True)
    jobs.add_argument("--label", required=True)
    jobs.add_argument("--seconds", type=float, default=0.0)
    args = parser.parse_args()
    if args.command == "tables":
        result = create_tables()
    elif args.command == "closed_wave_with_jobs":
        result = create_closed_wave_with_jobs(
            council=args.council, respondents=args.respondents, format=args.format
        )
    elif args.command == "researcher":
        result = create_researcher(waves=args.waves)
    elif args.command == "wave":
        result = create_wave(
            members=args.members, themes=args.themes, prefix=args.prefix, scheme=args.scheme
        )
    else:
        result = enqueue_jobs(count=args.count, label=args.label, seconds=args.seconds)
    print("\n" + json.dumps(result))  # noqa: T201


if __name__ == "__main__":
    main()
