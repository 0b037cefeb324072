"""Liveness and readiness for a load balancer.

`/healthz`: the database decides the status code (503 without it), the broker is
reported. `/healthz?deep=1` also fails (503) when the broker does not answer or the oldest
background job has waited longer than OUTBOX_LAG_LIMIT seconds: a host whose jobs are not
getting done should be looked at. Both are cheap: `SELECT 1`, one Redis PING with a
one-second timeout, and one read of the outbox's partial index of unfinished jobs.
"""

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        # Drop the broken connection so the next request reconnects instead of reusing it.
        connection.close()
        return "unavailable"
    return "ok"


def _broker_state() -> str:
    url = settings.CELERY_BROKER_URL
    if not url:
        return "in-process"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except redis.RedisError:
        return "unavailable"
    return "ok"


def _outbox_state() -> str:
    from outbox.models import MessageStatus, OutboxMessage

    oldest = (
        OutboxMessage.objects.filter(status__in=[MessageStatus.PENDING, MessageStatus.SENT])
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if oldest is None:
        return "ok"
    waited = (timezone.now() - oldest).total_seconds()
    return "lagging" if waited > settings.OUTBOX_LAG_LIMIT else "ok"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    state = {"database": _database_state(), "broker": _broker_state()}
    healthy = state["database"] == "ok"
    if request.GET.get("deep") == "1":
        state["outbox"] = _outbox_state() if healthy else "unknown"
        healthy = healthy and state["broker"] in {"ok", "in-process"} and state["outbox"] == "ok"
    return JsonResponse(state, status=200 if healthy else 503)
