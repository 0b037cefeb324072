"""Record failed access by staff: a 404 on a scoped object is written to the audit log."""

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse

from audit.log import record_action


class FailedAccessAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        user = getattr(request, "user", None)
        if isinstance(exception, Http404) and user is not None and user.is_authenticated:
            record_action(
                user,
                action="access_denied",
                summary=f"{request.method} {request.path}"[:500],
                details={"method": request.method, "path": request.path[:300]},
            )
        return None
