from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from experiments.models import (
    Activity,
    Council,
    CouncilMembership,
    CouncilRole,
    ItemWording,
    NudgeText,
    Theme,
    Wave,
    WaveTheme,
)
from experiments.monitoring import monitor_wave
from experiments.waves import WaveStateError, close_wave


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
    list_display = ["user", "council", "role"]
    list_filter = ["role", "council"]


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 1


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_cy", "kind", "council"]
    list_filter = ["council", "kind"]
    inlines = [ActivityInline]


class WaveThemeInline(admin.TabularInline):
    model = WaveTheme
    extra = 0


class NudgeTextInline(admin.StackedInline):
    model = NudgeText
    extra = 0
    readonly_fields = ["is_deviation"]

    # Once the design is frozen, texts change only through experiments.nudges.set_nudge_text,
    # which adds a version flagged as a deviation; editing a row in place would rewrite
    # what earlier respondents were shown.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not (obj and obj.design_hash)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.design_hash)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.design_hash)


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ["title", "council", "status", "experiment_on", "opened_at", "closed_at"]
    list_filter = ["status", "council"]
    readonly_fields = ["status", "opened_at", "closed_at", "allocation", "design_hash"]
    inlines = [WaveThemeInline, NudgeTextInline]
    frozen_fields = ["experiment_on", "allocation_scheme", "strata"]
    actions = ["close_selected_waves"]

    @admin.action(description="Close the selected waves and run their analysis")
    def close_selected_waves(self, request, queryset):
        for wave in queryset:
            try:
                run = close_wave(wave.pk)
            except WaveStateError as error:
                self.message_user(request, f"{wave}: {error}", messages.ERROR)
            else:
                self.message_user(
                    request, f"{wave} closed; analysis run #{run.pk} queued.", messages.SUCCESS
                )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.design_hash:
            fields += self.frozen_fields
        return fields

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
        roles = set(
            CouncilMembership.objects.filter(user=request.user, council=wave.council).values_list(
                "role", flat=True
            )
        )
        if not request.user.is_superuser and not roles:
            raise PermissionDenied
        reveal = request.user.is_superuser or CouncilRole.RESEARCHER in roles
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
class ItemWordingAdmin(admin.ModelAdmin):
    """A council's own wording of a questionnaire item for one wave, in both languages."""

    list_display = ["wave", "theme", "item", "text_en", "text_cy"]
    list_filter = ["wave__council", "item"]
