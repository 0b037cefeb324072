"""API tokens: issued with a name and an expiry, stored as a digest, revoked by their owner."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import issue_token, resolve_token, revoke_own_token
from audit.models import AuditEntry
from experiments.models import CouncilRole
from surveyplatform.domain import InvalidInput, NotFound
from tests.factories import CouncilMembershipFactory, UserFactory


def api_as(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.mark.django_db
def test_issuing_stores_only_the_digest_and_the_expiry_and_is_audited():
    user = UserFactory()
    expires = timezone.now() + timedelta(days=30)

    issued = issue_token(user, name="  R scripts ", expires_at=expires)

    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(issued.key.encode()).hexdigest()
    assert issued.key not in map(str, ApiToken.objects.values_list().get())
    assert (token.name, token.expires_at, token.user) == ("R scripts", expires, user)
    entry = AuditEntry.objects.get(action="issue_api_token")
    assert (entry.user, entry.object_id) == (user, str(token.pk))


@pytest.mark.django_db
def test_an_expiry_in_the_past_is_refused_and_nothing_is_issued():
    with pytest.raises(InvalidInput):
        issue_token(UserFactory(), name="old", expires_at=timezone.now() - timedelta(minutes=1))

    assert ApiToken.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_a_token_stops_working_when_it_expires():
    # Given a council admin's token that expires in a day
    user = CouncilMembershipFactory(role=CouncilRole.ADMIN).user
    issued = issue_token(user, name="a day", expires_at=timezone.now() + timedelta(days=1))

    # When it is used before and after that day
    before = api_as(issued.key).get("/api/v1/councils/").status_code
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        after = api_as(issued.key).get("/api/v1/councils/").status_code

    # Then it works only before
    assert (before, after) == (200, 401)


@pytest.mark.django_db
def test_a_token_of_an_account_that_is_no_longer_staff_is_refused():
    user = CouncilMembershipFactory(role=CouncilRole.RESEARCHER).user
    issued = issue_token(user, name="scripts")
    user.is_staff = False
    user.save(update_fields=["is_staff"])

    assert resolve_token(issued.key) is None
    assert api_as(issued.key).get("/api/v1/councils/").status_code == 401


@pytest.mark.django_db
def test_a_token_reaches_only_its_users_councils():
    # Given a researcher of one council, and another council
    membership = CouncilMembershipFactory(role=CouncilRole.RESEARCHER)
    CouncilMembershipFactory()
    issued = issue_token(membership.user, name="scripts")

    # When their token lists councils
    body = api_as(issued.key).get("/api/v1/councils/").json()

    # Then it sees their council only
    assert [c["id"] for c in body["results"]] == [membership.council.pk]


@pytest.mark.django_db
def test_a_user_cannot_revoke_another_users_token():
    owner, other = UserFactory(), UserFactory()
    token = issue_token(owner, name="owner's").token

    with pytest.raises(NotFound):
        revoke_own_token(other, token.pk)

    token.refresh_from_db()
    assert token.revoked_at is None
    assert not AuditEntry.objects.filter(action="revoke_api_token").exists()


@pytest.mark.django_db
def test_revoking_ones_own_token_is_immediate_and_audited():
    user = CouncilMembershipFactory(role=CouncilRole.ADMIN).user
    issued = issue_token(user, name="scripts")

    revoke_own_token(user, issued.token.pk)

    assert api_as(issued.key).get("/api/v1/councils/").status_code == 401
    assert AuditEntry.objects.filter(action="revoke_api_token", user=user).count() == 1
