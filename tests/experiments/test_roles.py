"""Roles in councils are granted, changed and revoked by superusers only, each audited."""

import pytest

from audit.models import AuditEntry
from experiments.models import CouncilMembership, CouncilRole
from experiments.roles import grant_role, revoke_role
from surveyplatform.domain import NotAllowed, NotFound
from tests.factories import CouncilFactory, CouncilMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_superuser_grants_changes_and_revokes_a_role():
    superuser, user, council = UserFactory(is_superuser=True), UserFactory(), CouncilFactory()

    membership = grant_role(superuser, user=user, council=council, role=CouncilRole.ADMIN)
    changed = grant_role(superuser, user=user, council=council, role=CouncilRole.RESEARCHER)
    revoke_role(superuser, changed)

    assert changed.pk == membership.pk
    assert not CouncilMembership.objects.filter(user=user).exists()
    entries = AuditEntry.objects.order_by("id")
    assert [e.action for e in entries] == ["grant_role", "grant_role", "revoke_role"]
    assert entries[1].details == {"user": user.pk, "role": "researcher", "before": "admin"}


def test_a_council_admin_cannot_grant_roles_even_in_their_own_council():
    admin = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    other = CouncilFactory()

    with pytest.raises(NotAllowed):
        grant_role(admin.user, user=UserFactory(), council=admin.council, role="admin")
    with pytest.raises(NotFound):
        grant_role(admin.user, user=UserFactory(), council=other, role="admin")

    assert CouncilMembership.objects.count() == 1
    assert not AuditEntry.objects.filter(action="grant_role").exists()


def test_the_admin_site_grants_and_revokes_through_the_domain(admin_client):
    user, council = UserFactory(), CouncilFactory()

    admin_client.post(
        "/admin/experiments/councilmembership/add/",
        {"user": user.pk, "council": council.pk, "role": "admin"},
    )
    membership = CouncilMembership.objects.get(user=user)
    admin_client.post(
        f"/admin/experiments/councilmembership/{membership.pk}/delete/", {"post": "yes"}
    )

    assert not CouncilMembership.objects.exists()
    assert [e.action for e in AuditEntry.objects.order_by("id")][-2:] == [
        "grant_role",
        "revoke_role",
    ]
