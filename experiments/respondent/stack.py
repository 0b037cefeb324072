"""The short middleware stack and URL list the questionnaire pages run on.

A member's pages need security headers, their session, their language and CSRF; they
never need staff sign-in, the second factor, messages, the lock-out or the audit of staff
404s, and resolving their URLs among every staff route cost as much as a database read.
`RespondentStackMiddleware`, placed early in `MIDDLEWARE`, hands a request for these
pages to a handler built with `RESPONDENT_MIDDLEWARE` and `experiments.respondent.root_urls`;
every other request goes on down the full stack.
"""

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.utils.module_loading import import_string

ROOT_URLCONF = "experiments.respondent.root_urls"
# The paths of the pages a member answers on: opening the link and the questionnaire.
PREFIXES = ("/i/", "/survey/")


class _RespondentHandler(BaseHandler):
    """Django's own request handling (view and exception middleware included), on a short list."""

    def __init__(self, middleware: list[str]):
        super().__init__()
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(middleware):
            instance = import_string(path)(handler)
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler


class RespondentStackMiddleware:
    """Send the questionnaire's requests through the short stack; pass on every other one."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.respondent = _RespondentHandler(settings.RESPONDENT_MIDDLEWARE)

    def __call__(self, request):
        if request.path_info.startswith(PREFIXES):
            request.urlconf = ROOT_URLCONF
            return self.respondent._middleware_chain(request)
        return self.get_response(request)
