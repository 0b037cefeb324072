"""One error format for every 4xx answer of the API.

    {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}

`fields` maps each invalid input field to its messages (validation errors only).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from surveyplatform.domain import ActionRefused, InvalidInput, InvalidState, NotAllowed, NotFound


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The object is not in a state that allows this change.")
    default_code = "conflict"


def as_api_exception(refusal: ActionRefused) -> exceptions.APIException:
    """Turn a refusal of the domain into the API's answer of the same kind."""
    if isinstance(refusal, NotFound):
        return exceptions.NotFound(refusal.message or None)
    if isinstance(refusal, NotAllowed):
        return exceptions.PermissionDenied(refusal.message or None)
    if isinstance(refusal, InvalidState):
        return Conflict(refusal.message)
    if isinstance(refusal, InvalidInput) and refusal.fields:
        return exceptions.ValidationError(refusal.fields)
    return exceptions.ValidationError({"non_field_errors": [refusal.message]})


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, ActionRefused):
        exc = as_api_exception(exc)
    elif isinstance(exc, ProtectedError):
        exc = Conflict(_("Other records still refer to this object, so it cannot be deleted."))
    elif isinstance(exc, IntegrityError):
        exc = Conflict(_("The change clashes with an existing record."))
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        message = _("The request is not valid; see the fields for what to change.")
        code = "invalid"
    else:
        fields = {}
        message = exc.detail
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
    response.data = {"error": {"code": code, "message": str(message), "fields": fields}}
    return response
