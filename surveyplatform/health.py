"""Liveness and readiness: the database decides the status code, the broker is reported."""

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
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


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    state = {"database": _database_state(), "broker": _broker_state()}
    return JsonResponse(state, status=200 if state["database"] == "ok" else 503)
