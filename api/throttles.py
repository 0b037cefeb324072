"""Per-user (or per-address) request limits counted in Postgres.

The counts live in `ratelimits` (one upsert per request), not in Django's cache: they
are shared by every web process and machine, and keep working while Redis is down.
"""

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from ratelimits.limits import client_ip, hit


class ApiRateThrottle(BaseThrottle):
    """Allow API_RATE_LIMIT requests per API_RATE_WINDOW seconds per user (or address)."""

    def allow_request(self, request, view) -> bool:
        window = settings.API_RATE_WINDOW
        if request.user and request.user.is_authenticated:
            scope, identity, limit = "api:user", str(request.user.pk), settings.API_RATE_LIMIT
        else:
            scope, identity, limit = "api:anon", client_ip(request), settings.API_ANON_RATE_LIMIT
        self.window = window
        return hit(scope, identity, limit=limit, window_seconds=window)

    def wait(self) -> float:
        now = time.time()
        return self.window - now % self.window
