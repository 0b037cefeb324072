"""API tokens: issue one (the key is shown once), resolve a presented key, revoke.

A token acts as its user: the API applies the same policy (`experiments.policy`) to it as
to the user's signed-in session, so a token reaches exactly the councils the user's roles
reach, and nothing once the user is no longer active staff.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiToken
from audit.log import record_action
from surveyplatform.domain import InvalidInput, NotFound

KEY_PREFIX = "sp_"
MAX_KEY_LENGTH = 100
# Record the last use at most once a minute, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str


def issue_token(
    user, *, name: str = "", expires_at: datetime | None = None, actor=None
) -> IssuedToken:
    """Create a token for the user; the plain key exists only in the return value.

    `actor` is who asked (the user themself on their account page, an operator's command
    otherwise); the issue is audited either way.
    """
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput(
            _("The expiry date must be in the future."),
            fields={"expires": [_("The expiry date must be in the future.")]},
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)  # 256 bits
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip()[:100],
            prefix=key[:10],
            key_hash=hash_key(key),
            expires_at=expires_at,
        )
        record_action(
            actor if actor is not None else user,
            action="issue_api_token",
            target=token,
            summary=f"API token {token.prefix}… for user #{user.pk}",
            details={
                "user": user.pk,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return IssuedToken(token=token, key=key)


def resolve_token(key: str) -> ApiToken | None:
    """Return the live token of an active staff user for a presented key, or None."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not (token.user.is_active and token.user.is_staff):
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def tokens_of(user) -> list[ApiToken]:
    """Return the user's own tokens, newest first (revoked and expired ones included)."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-pk"))


def revoke_token(token: ApiToken, *, actor=None) -> ApiToken:
    """Revoke a token at once; a revoked token never authenticates again."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record_action(
                actor if actor is not None else token.user,
                action="revoke_api_token",
                target=token,
                summary=f"API token {token.prefix}… of user #{token.user_id} revoked",
                details={"user": token.user_id},
            )
    return token


def revoke_own_token(user, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; another user's token is "not found"."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(_("Not found."))
    return revoke_token(token, actor=user)
