"""Staff roles in councils: granted, changed and revoked by a platform superuser.

A user holds at most one role per council (`CouncilMembership`); every change is audited.
"""

from django.contrib.auth import get_user_model

from experiments.models import Council, CouncilMembership, CouncilRole
from experiments.policy import Right, staff_action
from surveyplatform.domain import InvalidInput


def grant_role(actor, *, user, council: Council, role: str) -> CouncilMembership:
    """Give the user this role in the council, replacing the role they held there."""
    if role not in CouncilRole.values:
        raise InvalidInput(f"Unknown role {role!r}.", fields={"role": ["Unknown role."]})
    with staff_action(actor, Right.ROLES, council, action="grant_role") as note:
        user = get_user_model().objects.get(pk=user.pk)
        membership = (
            CouncilMembership.objects.select_for_update().filter(user=user, council=council).first()
        )
        before = membership.role if membership else None
        if membership is None:
            membership = CouncilMembership.objects.create(user=user, council=council, role=role)
        elif membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        note.target = membership
        note.summary = f"user #{user.pk}: {before or 'no role'} → {role}"
        note.details = {"user": user.pk, "role": role, "before": before}
    return membership


def revoke_role(actor, membership: CouncilMembership) -> None:
    """Take the user's role in the council away."""
    with staff_action(actor, Right.ROLES, membership.council_id, action="revoke_role") as note:
        note.summary = f"user #{membership.user_id}: {membership.role} revoked"
        note.details = {"user": membership.user_id, "role": membership.role}
        CouncilMembership.objects.filter(pk=membership.pk).delete()
