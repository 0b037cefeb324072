from django.contrib import admin, messages

from experiments.models import (
    Activity,
    Council,
    CouncilMembership,
    ItemWording,
    NudgeText,
    Theme,
    Wave,
    WaveTheme,
)
from experiments.waves import WaveStateError, close_wave


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "nation"]
    prepopulated_fields = {"slug": ["name"]}


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


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ["title", "council", "status", "experiment_on", "opened_at", "closed_at"]
    list_filter = ["status", "council"]
    readonly_fields = ["status", "opened_at", "closed_at"]
    inlines = [WaveThemeInline, NudgeTextInline]
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


@admin.register(ItemWording)
class ItemWordingAdmin(admin.ModelAdmin):
    """A council's own wording of a questionnaire item for one wave, in both languages."""

    list_display = ["wave", "theme", "item", "text_en", "text_cy"]
    list_filter = ["wave__council", "item"]
