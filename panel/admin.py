from django.contrib import admin

from panel.models import MemberContact, PanelMember


class MemberContactInline(admin.StackedInline):
    model = MemberContact
    can_delete = False


@admin.register(PanelMember)
class PanelMemberAdmin(admin.ModelAdmin):
    list_display = ["external_id", "council", "preferred_language", "ward", "status"]
    list_filter = ["council", "status", "preferred_language"]
    search_fields = ["external_id"]
    inlines = [MemberContactInline]
