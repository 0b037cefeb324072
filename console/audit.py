"""Write the audit log: one append-only row per console action that changes something."""

from django.db import models

from console.models import AuditEntry


def record_action(
    user,
    *,
    action: str,
    council=None,
    target: models.Model | None = None,
    summary: str = "",
    details: dict | None = None,
) -> AuditEntry:
    """Append an audit entry for an action the user took."""
    return AuditEntry.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        council=council,
        action=action,
        object_type=target._meta.label if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        summary=summary[:500],
        details=details or {},
    )
