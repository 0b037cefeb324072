"""GDPR erasure, the retention job and the append-only audit log."""

import zipfile
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from experiments.invitations import hash_token, issue_invitation
from experiments.models import (
    CouncilRole,
    EarlierInvitationToken,
    EmailDelivery,
    Response,
    WaveStatus,
)
from experiments.policy import SYSTEM
from experiments.roles import grant_role, revoke_role
from exports import jobs
from panel.erasure import ErasureError, erase_expired_members, erase_member
from panel.models import MemberContact, MemberStatus, PanelMember, PanelUpload
from tests.factories import (
    CouncilFactory,
    CouncilMembershipFactory,
    EmailDeliveryFactory,
    MemberContactFactory,
    UserFactory,
)
from tests.respondent import answer_whole_questionnaire

EMAIL = "gwen.ap.rhys@example.org"
NAME = "Gwenllian ap Rhys"


def occurrences(needle: str) -> list[tuple[str, str]]:
    """(table, column) of every text, JSON or bytea column holding the needle."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')"
        )
        columns = cursor.fetchall()
        for table, column, data_type in columns:
            value = (
                f'"{column}"::text' if data_type != "bytea" else f"encode(\"{column}\", 'escape')"
            )
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE strpos({value}, %s) > 0', [needle]
            )
            if cursor.fetchone()[0]:
                found.append((table, column))
    return found


@pytest.fixture
def answered_member(client, open_wave):
    """A member who was imported with a name and e-mail, invited, e-mailed and answered."""
    contact = MemberContactFactory(member__council=open_wave.council, email=EMAIL, name=NAME)
    member = contact.member
    PanelUpload.objects.create(
        council=open_wave.council,
        filename="panel.csv",
        content=f"external_id,email,name\n{member.external_id},{EMAIL},{NAME}\n".encode(),
        report={"rows": [{"external_id": member.external_id, "email": EMAIL, "name": NAME}]},
    )
    EmailDeliveryFactory(wave=open_wave, member=member, error=f"550 {EMAIL}: mailbox full")
    link = issue_invitation(open_wave, member=member)
    answer_whole_questionnaire(client, link.url)
    # A reminder carried a second link; the first one is kept as an earlier link.
    issue_invitation(open_wave, member=member)
    token_hash = hash_token(link.token)
    assert EarlierInvitationToken.objects.filter(token_hash=token_hash).exists()
    return member, token_hash


def test_after_erasure_the_members_identifiers_occur_nowhere_in_the_database(answered_member):
    # Given a member whose e-mail, name and token hash are stored
    member, token_hash = answered_member
    external_id = member.external_id
    for needle in (EMAIL, NAME, token_hash, external_id):
        assert occurrences(needle) != []

    # When they are erased
    result = erase_member(SYSTEM, member, keep_answers=False)

    # Then no text, JSON or binary column of any table holds any of them
    assert {n: occurrences(n) for n in (EMAIL, NAME, token_hash, external_id)} == {
        EMAIL: [],
        NAME: [],
        token_hash: [],
        external_id: [],
    }
    assert result.responses_deleted == 1
    assert result.invitations_voided == 1
    member.refresh_from_db()
    assert member.external_id.startswith("erased-")
    assert member.erased_at is not None
    assert not MemberContact.objects.filter(member=member).exists()
    assert Response.objects.filter(member=member).count() == 0
    assert EmailDelivery.objects.get(member=member).error == ""
    assert AuditEntry.objects.filter(action="erase_member", object_id=str(member.pk)).count() == 1


def test_no_later_export_holds_the_erased_member(
    answered_member, tmp_path, settings, django_capture_on_commit_callbacks
):
    # Given an erased member of a council with a research exemption, answers kept
    settings.MEDIA_ROOT = str(tmp_path)
    member, token_hash = answered_member
    council = member.council
    council.research_exemption = True
    council.save()
    erase_member(SYSTEM, member, keep_answers=True)
    wave = member.responses.get().wave
    wave.status = WaveStatus.CLOSED
    wave.closed_at = timezone.now()
    wave.save()

    # When every export format is produced
    user = UserFactory(is_superuser=True)
    contents = {}
    for format in ("csv_tidy", "csv_wide", "dta", "sav", "codebook_csv", "codebook_html"):
        with django_capture_on_commit_callbacks(execute=True):
            export = jobs.request_export(user, wave_ids=[wave.pk], format=format)
        export.refresh_from_db()
        assert jobs.export_path(export) is not None, (format, export.status, export.error)
        contents[format] = jobs.export_path(export).read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        export = jobs.request_export(user, wave_ids=[wave.pk], format="bundle")
    export.refresh_from_db()
    with zipfile.ZipFile(jobs.export_path(export)) as bundle:
        for name in bundle.namelist():
            contents[f"bundle/{name}"] = bundle.read(name)

    # Then the kept answers are there, and none of the identifiers
    assert Response.objects.filter(member=member).count() == 1
    for format, content in contents.items():
        for needle in (EMAIL, NAME, token_hash):
            assert needle.encode() not in content, (format, needle)
    assert occurrences(EMAIL) == []


def test_answers_are_kept_only_under_a_research_exemption(answered_member):
    # Given a council without a research exemption
    member, _ = answered_member

    # When erasure is asked to keep the answers
    with pytest.raises(ErasureError):
        erase_member(SYSTEM, member, keep_answers=True)

    # Then nothing changed
    member.refresh_from_db()
    assert member.erased_at is None
    assert MemberContact.objects.get(member=member).email == EMAIL
    assert Response.objects.filter(member=member).count() == 1


def test_the_retention_job_erases_members_withdrawn_longer_than_the_period(open_wave):
    # Given a council keeping data 30 days, a member withdrawn 31 days ago and one 29 days ago
    council = open_wave.council
    council.retention_days = 30
    council.save()
    now = timezone.now()
    old = MemberContactFactory(member__council=council).member
    recent = MemberContactFactory(member__council=council).member
    for member, days in ((old, 31), (recent, 29)):
        member.status = MemberStatus.WITHDRAWN
        member.save(update_fields=["status"])
        PanelMember.objects.filter(pk=member.pk).update(withdrawn_at=now - timedelta(days=days))

    # When the job runs
    erased = erase_expired_members(now=now)

    # Then only the member past the period was erased
    assert erased == 1
    assert PanelMember.objects.get(pk=old.pk).erased_at is not None
    assert PanelMember.objects.get(pk=recent.pk).erased_at is None


def test_the_retention_job_erases_members_whose_last_wave_closed_longer_ago(open_wave):
    # Given a 10-day retention and a member invited only to a wave that closed 11 days ago
    council = open_wave.council
    council.retention_days = 10
    council.save()
    member = MemberContactFactory(member__council=council).member
    issue_invitation(open_wave, member=member)
    still_open_member = MemberContactFactory(member__council=council).member
    open_wave.status = WaveStatus.CLOSED
    open_wave.closed_at = timezone.now() - timedelta(days=11)
    open_wave.save()

    # When the job runs
    erased = erase_expired_members()

    # Then that member is erased; a member never invited stays
    assert erased == 1
    assert PanelMember.objects.get(pk=member.pk).erased_at is not None
    assert PanelMember.objects.get(pk=still_open_member.pk).erased_at is None


def test_an_admin_erases_a_member_from_the_console_after_confirming(client, answered_member):
    # Given an admin of the member's council
    member, _ = answered_member
    admin = CouncilMembershipFactory(role=CouncilRole.ADMIN, council=member.council).user
    client.force_login(admin)
    url = reverse("console:member_erase", args=[member.pk])

    # When they post without confirming, then with confirmation
    unconfirmed = client.post(url, {})
    assert MemberContact.objects.filter(member=member).exists()
    confirmed = client.post(url, {"confirm": "on"})

    # Then the first is refused with a message and the second erases
    assert unconfirmed.status_code == 400
    assert confirmed.status_code == 302
    assert not MemberContact.objects.filter(member=member).exists()
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_postgres_refuses_to_update_or_delete_audit_entries():
    # Given an audit entry
    entry = AuditEntry.objects.create(action="x", summary="kept")

    # When raw SQL tries to change or delete it
    for sql in (
        "UPDATE audit_auditentry SET summary = 'changed' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])

    # Then it is unchanged
    assert AuditEntry.objects.get(pk=entry.pk).summary == "kept"


@pytest.mark.django_db
def test_sign_ins_failed_sign_ins_role_changes_and_failed_access_are_audited(client):
    # Given a council admin, made so by a superuser
    superuser = UserFactory(is_superuser=True)
    user = UserFactory()
    council = CouncilFactory()
    membership = grant_role(superuser, user=user, council=council, role=CouncilRole.ADMIN)

    # When they fail to sign in, sign in, and open another council's member
    client.post(reverse("console:login"), {"username": user.username, "password": "wrong"})
    client.force_login(user)
    other = MemberContactFactory().member
    missing = client.get(reverse("console:member", args=[other.pk]))
    grant_role(superuser, user=user, council=council, role=CouncilRole.RESEARCHER)
    revoke_role(superuser, membership)

    # Then each is in the audit log
    assert missing.status_code == 404
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == [
        "grant_role",
        "sign_in_failed",
        "sign_in",
        "access_denied",
        "grant_role",
        "revoke_role",
    ]
