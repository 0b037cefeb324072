"""Django's admin is for platform superusers only; council staff use the console.

Restricting the whole admin site (rather than scoping every ModelAdmin) keeps one
tenancy rule in one place: staff of a council never reach an unscoped changelist.
"""

from django.contrib import admin


def superusers_only(request) -> bool:
    user = request.user
    if not (user.is_active and user.is_superuser):
        return False
    from django_otp import user_has_device

    # A superuser who enrolled an authenticator must have used it in this session.
    return not user_has_device(user, confirmed=True) or user.is_verified()


admin.site.has_permission = superusers_only
