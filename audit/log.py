"""Write the audit log: one append-only row per staff action that changes something."""

from django.db import models

from audit.models import AuditEntry

# Events recorded outside the staff actions themselves (signals, the failed-access middleware).
SYSTEM_EVENTS = (
    "sign_in",
    "sign_in_failed",
    "grant_role",
    "change_role",
    "revoke_role",
    "assign",
    "access_denied",
)


def staff_actions():
    """The audit entries of staff actions, without the system events."""
    return AuditEntry.objects.exclude(action__in=SYSTEM_EVENTS)


def record_action(
    user,
    *,
    action: str,
    council=None,
    council_id: int | None = None,
    target: models.Model | None = None,
    summary: str = "",
    details: dict | None = None,
) -> AuditEntry:
    """Append an audit entry for an action the user took."""
    return AuditEntry.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        council_id=council.pk if council is not None else council_id,
        action=action,
        object_type=target._meta.label if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        summary=summary[:500],
        details=details or {},
    )
