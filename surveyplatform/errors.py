"""Clear error pages for faults the member did not cause, and for requests the site refuses.

A database that is briefly unreachable (a restart, a failover) answers 503 with
Retry-After instead of 500, so that clients and proxies retry; nothing was written,
because the writing function's transaction rolled back. Bodies that are too large, or that
carry too many fields, answer 413 and 400 with a page that says which.
"""

import logging
import sys
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """Return the 503 page; rendering it needs no database."""
    # Drop the broken connections so that the next request opens fresh ones.
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
    response = render(request, "errors/503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Answer 503, not 500, when a view fails because the database cannot be reached."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_UNAVAILABLE_ERRORS):
            logger.warning("Database unavailable for %s: %s", request.path, exception)
            return database_unavailable(request)
        return None


class RequestBodyLimitMiddleware:
    """Refuse with 413 any body declared larger than DATA_UPLOAD_MAX_MEMORY_SIZE.

    Django enforces that limit only when a view reads the body as a form; a JSON or other
    body would otherwise reach a view whole. Multipart bodies are left to Django, which
    limits their fields the same way and streams files to disk.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return render(request, "errors/400.html", status=400)
        if (
            limit is not None
            and length > limit
            and not request.content_type.startswith("multipart/")
        ):
            return render(request, "errors/413.html", status=413)
        return self.get_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """Handle an uncaught error: 503 when the database is unreachable, else the 500 page.

    Errors raised outside the view (saving the session, say) never reach
    `process_exception`, but they still pass through here.
    """
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE_ERRORS):
        return database_unavailable(request)
    return defaults.server_error(request)


def _caused_by_database(exception: BaseException | None) -> bool:
    seen = 0
    while exception is not None and seen < 10:
        if isinstance(exception, DATABASE_UNAVAILABLE_ERRORS):
            return True
        exception = exception.__cause__ or exception.__context__
        seen += 1
    return False


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Say what was wrong with a refused request: too large (413), too many fields, or bad.

    A session that could not be saved because the database went away surfaces as
    SessionInterrupted (a 400); it is the database's fault, so it answers 503 instead.
    """
    if _caused_by_database(exception):
        return database_unavailable(request)
    if isinstance(exception, RequestDataTooBig):
        return render(request, "errors/413.html", status=413)
    if isinstance(exception, TooManyFieldsSent):
        return render(request, "errors/400_too_many_fields.html", status=400)
    return render(request, "errors/400.html", status=400)
