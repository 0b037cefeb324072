"""Themes and their activities."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from audit.log import record_action
from console.forms import (
    ActivityFormSet,
    ThemeForm,
)
from console.gate import ADMIN, _admin_councils, console_view
from experiments.models import (
    Theme,
    WaveStatus,
)
from experiments.tenancy import get_scoped_or_404


@console_view
def theme_create(request: HttpRequest) -> HttpResponse:
    return _theme_form(request, Theme())


@console_view
def theme_edit(request: HttpRequest, theme_id: int) -> HttpResponse:
    theme = get_scoped_or_404(Theme.objects.all(), request.user, roles=ADMIN, pk=theme_id)
    if theme.waves.exclude(status=WaveStatus.DRAFT).exists():
        messages.error(
            request,
            _("This theme is part of a wave that has opened, so its wording is fixed."),
        )
        return redirect("console:home")
    return _theme_form(request, theme)


def _theme_form(request: HttpRequest, theme: Theme) -> HttpResponse:
    councils = _admin_councils(request)
    form = ThemeForm(request.POST or None, instance=theme, councils=councils)
    formset = ActivityFormSet(request.POST or None, instance=theme, prefix="activities")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        creating = theme.pk is None
        with transaction.atomic():
            theme = form.save()
            formset.instance = theme
            formset.save()
            record_action(
                request.user,
                action="create_theme" if creating else "edit_theme",
                council=theme.council,
                target=theme,
                summary=theme.name_en,
            )
        messages.success(request, _("Theme “%s” saved.") % theme.name_en)
        return redirect("console:home")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/theme_form.html",
        {"form": form, "formset": formset, "theme": theme},
        status=status,
    )
