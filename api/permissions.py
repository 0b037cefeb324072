"""Who may do what: council admins write, researchers read, within their own councils.

Querysets are scoped with `experiments.tenancy` first, so another council's object is a
404 before these checks run; these turn a researcher's write into a clear 403.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from experiments.models import CouncilRole
from experiments.tenancy import councils_for

ADMIN = (CouncilRole.ADMIN,)


def council_of(obj):
    return obj.council if hasattr(obj, "council") else obj.theme.council


class CouncilAdminWrites(BasePermission):
    message = _("Your role in this council is read-only.")

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return True
        return councils_for(request.user, roles=ADMIN).exists()

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return councils_for(request.user, roles=ADMIN).filter(pk=council_of(obj).pk).exists()


class CouncilAdminOnly(BasePermission):
    message = _("Only a council admin can use this.")

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        return councils_for(request.user, roles=ADMIN).exists()
