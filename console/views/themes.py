"""Themes and their activities."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from console.forms import ActivityFormSet, ThemeForm
from console.gate import _admin_councils, console_view
from console.refusals import show_refusal
from experiments.models import Theme
from experiments.policy import Right, get_scoped
from experiments.themes import ActivityText, create_theme, is_fixed, update_theme
from surveyplatform.domain import ActionRefused


@console_view
def theme_create(request: HttpRequest) -> HttpResponse:
    return _theme_form(request, Theme())


@console_view
def theme_edit(request: HttpRequest, theme_id: int) -> HttpResponse:
    theme = get_scoped(Theme.objects.all(), request.user, Right.DESIGN, pk=theme_id)
    if is_fixed(theme):
        messages.error(
            request,
            _("This theme is part of a wave that has opened, so its wording is fixed."),
        )
        return redirect("console:home")
    return _theme_form(request, theme)


def _activities(formset) -> list[ActivityText]:
    """Return the activities the formset keeps, in the order given."""
    rows = []
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data
        if not data or data.get("DELETE") or not (data.get("text_en") or "").strip():
            continue
        position = data.get("position")
        rows.append(
            (
                position if position is not None else index,
                index,
                ActivityText(
                    id=form.instance.pk,
                    text_en=data["text_en"],
                    text_cy=data.get("text_cy") or "",
                ),
            )
        )
    return [activity for _position, _index, activity in sorted(rows, key=lambda r: r[:2])]


def _theme_form(request: HttpRequest, theme: Theme) -> HttpResponse:
    councils = _admin_councils(request)
    form = ThemeForm(request.POST or None, instance=theme, councils=councils)
    formset = ActivityFormSet(request.POST or None, instance=theme, prefix="activities")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        fields = {"kind": data["kind"], "name_en": data["name_en"], "name_cy": data["name_cy"]}
        try:
            if theme.pk is None:
                theme = create_theme(
                    request.user,
                    council=data["council"],
                    activities=_activities(formset),
                    **fields,
                )
            else:
                theme = update_theme(request.user, theme, activities=_activities(formset), **fields)
        except ActionRefused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, _("Theme “%s” saved.") % theme.name_en)
            return redirect("console:home")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/theme_form.html",
        {"form": form, "formset": formset, "theme": theme},
        status=status,
    )
