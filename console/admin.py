"""Django's admin is for platform superusers only; council staff use the console.

Restricting the whole admin site (rather than scoping every ModelAdmin) keeps one
tenancy rule in one place: staff of a council never reach an unscoped changelist.
"""

from django.contrib import admin

from console.models import AuditEntry, EmailDelivery


def superusers_only(request) -> bool:
    user = request.user
    if not (user.is_active and user.is_superuser):
        return False
    from django_otp import user_has_device

    # A superuser who enrolled an authenticator must have used it in this session.
    return not user_has_device(user, confirmed=True) or user.is_verified()


admin.site.has_permission = superusers_only


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "council", "action", "summary"]
    list_filter = ["action", "council"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "wave", "member", "kind", "status", "error"]
    list_filter = ["status", "kind"]
