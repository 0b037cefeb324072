from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from experiments.blinding import may_see_arms
from experiments.models import (
    Activity,
    Council,
    CouncilMembership,
    Deviation,
    EmailDelivery,
    ItemWording,
    NudgeText,
    Theme,
    Wave,
    WaveTheme,
)
from experiments.monitoring import monitor_wave
from experiments.policy import Right, can
from experiments.roles import grant_role, revoke_role
from experiments.waves import change_closing_time, close_wave, update_wave
from surveyplatform.domain import ActionRefused


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "nation"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "name_cy", "slug", "nation"]}),
        (
            _("Who members contact, and the privacy notice"),
            {
                "fields": [
                    "panel_email",
                    "panel_telephone",
                    "lawful_basis_en",
                    "lawful_basis_cy",
                    "privacy_notice_en",
                    "privacy_notice_cy",
                ]
            },
        ),
        (_("Erasure"), {"fields": ["research_exemption", "retention_days"]}),
    ]


@admin.register(CouncilMembership)
class CouncilMembershipAdmin(admin.ModelAdmin):
    """Roles are granted and revoked through `experiments.roles`, which audits each change."""

    list_display = ["user", "council", "role"]
    list_filter = ["role", "council"]
    actions = ["revoke_selected_roles"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # revoking goes through the domain, one by one
        return actions

    def get_readonly_fields(self, request, obj=None):
        return ["user", "council"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        try:
            membership = grant_role(request.user, user=obj.user, council=obj.council, role=obj.role)
        except ActionRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            obj.pk = membership.pk

    def delete_model(self, request, obj):
        revoke_role(request.user, obj)

    @admin.action(description="Revoke the selected roles")
    def revoke_selected_roles(self, request, queryset):
        for membership in queryset:
            revoke_role(request.user, membership)


class ViewOnly:
    """Shown in the admin, changed only in the console, whose actions check, audit and
    keep the frozen design (`experiments.themes`, `experiments.waves`, `experiments.nudges`)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActivityInline(ViewOnly, admin.TabularInline):
    model = Activity
    extra = 0


@admin.register(Theme)
class ThemeAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["name_en", "name_cy", "kind", "council"]
    list_filter = ["council", "kind"]
    inlines = [ActivityInline]


class WaveThemeInline(ViewOnly, admin.TabularInline):
    model = WaveTheme
    extra = 0


class NudgeTextInline(ViewOnly, admin.StackedInline):
    model = NudgeText
    extra = 0


class DeviationInline(ViewOnly, admin.TabularInline):
    model = Deviation
    extra = 0


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    """Waves are designed in the console; here a superuser may retitle one, move its
    closing time (recorded as a deviation once it is open) or close it."""

    list_display = ["title", "council", "status", "experiment_on", "opened_at", "closed_at"]
    list_filter = ["status", "council"]
    editable_fields = ("title", "closes_at")
    inlines = [WaveThemeInline, NudgeTextInline, DeviationInline]
    actions = ["close_selected_waves"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        names = [field.name for field in Wave._meta.concrete_fields if field.name != "id"]
        return [name for name in names if name not in self.editable_fields] + ["allocation"]

    def save_model(self, request, obj, form, change):
        """Save through the domain: a retitling, and a closing time moved as a deviation."""
        stored = Wave.objects.get(pk=obj.pk)
        try:
            if "closes_at" in form.changed_data:
                change_closing_time(request.user, stored, closes_at=obj.closes_at)
            if "title" in form.changed_data:
                update_wave(request.user, stored, title=obj.title)
        except ActionRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)

    @admin.action(description="Close the selected waves and run their analysis")
    def close_selected_waves(self, request, queryset):
        for wave in queryset:
            try:
                close_wave(request.user, wave)
            except ActionRefused as refusal:
                self.message_user(request, f"{wave}: {refusal}", messages.ERROR)
            else:
                self.message_user(request, f"{wave} closed; its analysis is queued.")

    @admin.display(description=_("allocation"))
    def allocation(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        url = reverse("admin:experiments_wave_allocation", args=[obj.pk])
        if not obj.experiment_on:
            summary = _("Experiment off: everyone is in the group without information.")
        else:
            summary = obj.get_allocation_scheme_display()
        return format_html('{} <a href="{}">{}</a>', summary, url, _("Allocation monitor"))

    def get_urls(self):
        monitor = path(
            "<path:object_id>/allocation/",
            self.admin_site.admin_view(self.allocation_view),
            name="experiments_wave_allocation",
        )
        return [monitor, *super().get_urls()]

    def allocation_view(self, request, object_id):
        """Show the allocation monitor of one wave, hiding arm names from council admins."""
        wave = self.get_object(request, object_id)
        if wave is None:
            raise Http404
        if not self.has_view_permission(request, wave):
            raise PermissionDenied
        if not can(request.user, Right.READ, wave.council_id):
            raise PermissionDenied
        reveal = may_see_arms(request.user, wave)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": wave,
            "title": _("Allocation monitor"),
            "monitor": monitor_wave(wave, reveal=reveal),
            "reveal": reveal,
        }
        return TemplateResponse(request, "admin/experiments/wave/allocation_monitor.html", context)


@admin.register(ItemWording)
class ItemWordingAdmin(ViewOnly, admin.ModelAdmin):
    """A council's own wording of a questionnaire item for one wave, in both languages."""

    list_display = ["wave", "theme", "item", "text_en", "text_cy"]
    list_filter = ["wave__council", "item"]


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "wave", "member", "kind", "status", "error"]
    list_filter = ["status", "kind"]
