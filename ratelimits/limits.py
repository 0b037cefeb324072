"""Fixed-window rate limits counted atomically in the database."""

import hashlib
import ipaddress
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from ratelimits.models import RateCounter


def client_ip(request: HttpRequest) -> str:
    """Return the client's address; behind a proxy, the one it appended last."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    from django.conf import settings

    if forwarded and settings.TRUSTED_PROXY_HOPS:
        hops = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(hops) >= settings.TRUSTED_PROXY_HOPS:
            return hops[-settings.TRUSTED_PROXY_HOPS]
    return request.META.get("REMOTE_ADDR", "unknown")


def client_address(request: HttpRequest) -> str | None:
    """Return `client_ip` when it is an IP address, else the socket's address or None.

    django-axes keys its sign-in lock-out on this, so that it knows clients exactly as the
    rate limits do; it stores the address in an IP field, which refuses anything else.
    """
    for address in (client_ip(request), request.META.get("REMOTE_ADDR")):
        try:
            return str(ipaddress.ip_address(address))
        except ValueError:
            continue
    return None


def _window_start(now: datetime, window_seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=UTC)


def hit(scope: str, identity: str, *, limit: int, window_seconds: int) -> bool:
    """Count one request of `identity` in `scope`; return False once over the limit.

    One upsert per request: concurrent requests cannot both read the same count.
    The identity is hashed so that addresses are not stored in the clear.
    """
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    key = f"{scope}:{digest}"
    start = _window_start(timezone.now(), window_seconds)
    table = RateCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, 1)
            ON CONFLICT (key, window_start) DO UPDATE SET count = {table}.count + 1
            RETURNING count
            """,
            [key, start],
        )
        (count,) = cursor.fetchone()
    return count <= limit


def purge_expired(*, older_than: timedelta = timedelta(days=1)) -> int:
    deleted, _ = RateCounter.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
