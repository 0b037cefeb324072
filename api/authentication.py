"""Token authentication against hashed keys: `Authorization: Token <key>` (or `Bearer`)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.tokens import resolve_token
from experiments.policy import Access, staff_access

KEYWORDS = ("token", "bearer")


class HashedTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the header as “Authorization: Token <key>”.")
            )
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from error
        token = resolve_token(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid or was revoked."))
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return "Token"


class HashedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`; make a key on your staff account page.",
        }


class StaffSessionAuthentication(authentication.SessionAuthentication):
    """A staff site session, admitted only through the staff gate of `experiments.policy`.

    A user who signed in with the password but has not entered their second factor (or
    must set one up) is refused here exactly as on the staff pages.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        access = staff_access(result[0])
        if access != Access.ALLOWED:
            raise exceptions.PermissionDenied(GATE_MESSAGES.get(access, GATE_MESSAGES[None]))
        return result


GATE_MESSAGES = {
    Access.VERIFY: _("Enter the code from your authenticator app on the sign-in page first."),
    Access.ENROL: _("Your council requires two-step sign-in: set it up on the staff site first."),
    None: _("This account cannot use the staff API."),
}


class StaffSessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.StaffSessionAuthentication"
    name = "staffSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
