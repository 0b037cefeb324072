"""Who may do what through the API: the rights of `experiments.policy`.

Querysets are scoped first, so another council's object is a 404 before these checks run;
these turn a researcher's write into a clear 403. The domain functions check the same
rights again when they act.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from experiments.policy import Right, can, councils_with


def council_of(obj):
    return obj.council_id if hasattr(obj, "council_id") else obj.theme.council_id


class CouncilAdminWrites(BasePermission):
    message = _("Your role in this council is read-only.")

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return True
        return councils_with(request.user, Right.DESIGN).exists()

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can(request.user, Right.DESIGN, council_of(obj))


class CouncilAdminOnly(BasePermission):
    message = _("Only a council admin can use this.")

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        return councils_with(request.user, Right.FIELDWORK).exists()
