"""Issue, resolve and revoke API tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from api.models import ApiToken

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


def issue_token(user, *, name: str = "") -> IssuedToken:
    """Create a token for the user; the plain key exists only in the return value."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)  # 256 bits
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=key[:10], key_hash=hash_key(key)
    )
    return IssuedToken(token=token, key=key)


def resolve_token(key: str) -> ApiToken | None:
    """Return the live token of an active user for a presented key, or None."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def revoke_token(token: ApiToken) -> ApiToken:
    """Revoke a token at once; a revoked token never authenticates again."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
