"""Themes and their activities: the theme editor, and a read-only view of a fixed theme.

The editor's rows are added and removed by submit buttons, so it works without
JavaScript: "Add another activity" and "Remove" show the form again with one row more or
less, keeping what was typed, and save nothing until "Save theme".
"""

import contextlib

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from console.forms import ActivityRows, ThemeForm
from console.gate import _admin_councils, console_view
from console.refusals import show_refusal
from experiments.models import Item, Theme, ThemeKind
from experiments.policy import Right, can, get_scoped
from experiments.questionnaires import default_wording
from experiments.themes import ActivityText, create_theme, is_fixed, update_theme
from surveyplatform.domain import ActionRefused

PREFIX = "activities"
ADD, REMOVE = "add_activity", "remove_activity"
MAX_ROWS = 200
# Empty rows offered on a new theme, and after an existing theme's activities.
NEW_THEME_ROWS, EXTRA_ROWS = 3, 1


@console_view
def theme_create(request: HttpRequest) -> HttpResponse:
    return _theme_form(request, Theme())


@console_view
def theme_edit(request: HttpRequest, theme_id: int) -> HttpResponse:
    """Edit a theme, or show it read-only once a wave asking about it has opened."""
    theme = get_scoped(
        Theme.objects.select_related("council"), request.user, Right.READ, pk=theme_id
    )
    if is_fixed(theme) or not can(request.user, Right.DESIGN, theme.council_id):
        return render(
            request,
            "console/theme_detail.html",
            {
                "theme": theme,
                "activities": theme.activities.all(),
                "waves": theme.waves.order_by("-created_at"),
                "fixed": is_fixed(theme),
                "wording": _kind_wordings(kinds=[theme.kind], theme=theme)[0],
            },
        )
    return _theme_form(request, theme)


def _initial_rows(theme: Theme) -> list[dict]:
    activities = theme.activities.all() if theme.pk else []
    rows = [{"id": a.pk, "text_en": a.text_en, "text_cy": a.text_cy} for a in activities]
    blank = {"id": None, "text_en": "", "text_cy": ""}
    return rows + [dict(blank) for _ in range(EXTRA_ROWS if rows else NEW_THEME_ROWS)]


def _posted_rows(data) -> list[dict]:
    """Return the rows as typed, without checking them: they are only shown again."""
    try:
        total = min(max(int(data.get(f"{PREFIX}-TOTAL_FORMS", 0)), 0), MAX_ROWS)
    except ValueError:
        total = 0
    return [
        {
            "id": data.get(f"{PREFIX}-{i}-id") or None,
            "text_en": data.get(f"{PREFIX}-{i}-text_en", ""),
            "text_cy": data.get(f"{PREFIX}-{i}-text_cy", ""),
        }
        for i in range(total)
    ]


def _theme_form(request: HttpRequest, theme: Theme) -> HttpResponse:
    councils = _admin_councils(request)
    status, focus = 200, None
    if request.method == "POST" and (ADD in request.POST or REMOVE in request.POST):
        # Rearranging rows: show the form again as typed, with a row more or less.
        rows = _posted_rows(request.POST)
        if ADD in request.POST:
            if len(rows) < MAX_ROWS:
                rows.append({"id": None, "text_en": "", "text_cy": ""})
            focus = len(rows) - 1
        else:
            with contextlib.suppress(ValueError, IndexError):
                del rows[int(request.POST[REMOVE])]
        fields = ("council", "kind", "name_en", "name_cy")
        form = ThemeForm(
            instance=theme,
            councils=councils,
            initial={name: request.POST.get(name) for name in fields if name in request.POST},
        )
        formset = ActivityRows(initial=rows, prefix=PREFIX)
    elif request.method == "POST":
        form = ThemeForm(request.POST, instance=theme, councils=councils)
        formset = ActivityRows(request.POST, prefix=PREFIX)
        if form.is_valid() and formset.is_valid():
            saved = _save(request, form, formset, theme)
            if saved is not None:
                messages.success(request, _("Theme “%s” saved.") % saved.name_en)
                return redirect("console:home")
        status = 400
    else:
        form = ThemeForm(instance=theme, councils=councils)
        formset = ActivityRows(initial=_initial_rows(theme), prefix=PREFIX)
    if focus is not None:
        formset.forms[focus].fields["text_en"].widget.attrs["autofocus"] = True
    return render(
        request,
        "console/theme_form.html",
        {
            "form": form,
            "formset": formset,
            "theme": theme,
            "kind_wordings": _kind_wordings(theme=theme),
        },
        status=status,
    )


def _save(request: HttpRequest, form: ThemeForm, formset, theme: Theme) -> Theme | None:
    """Create or change the theme through the domain; on refusal, say why on the form."""
    data = form.cleaned_data
    fields = {"kind": data["kind"], "name_en": data["name_en"], "name_cy": data["name_cy"]}
    activities = [
        ActivityText(id=row.get("id"), text_en=row["text_en"], text_cy=row.get("text_cy") or "")
        for row in formset.rows()
    ]
    try:
        if theme.pk is None:
            return create_theme(
                request.user, council=data["council"], activities=activities, **fields
            )
        return update_theme(request.user, theme, activities=activities, **fields)
    except ActionRefused as refusal:
        show_refusal(form, refusal)
        return None


def _kind_wordings(*, kinds: list[str] | None = None, theme: Theme | None = None) -> list[dict]:
    """Return the questions each kind of theme asks by default, in English and in Welsh.

    A custom theme's questions name the theme itself; before it has a name, a placeholder
    stands in for it.
    """
    named_en = theme.name_en.lower() if theme and theme.name_en else _("[theme name]")
    named_cy = theme.name_cy.lower() if theme and theme.name_cy else _("[theme name in Welsh]")
    result = []
    for kind in kinds or ThemeKind.values:
        questions = []
        for item in Item:
            with translation.override("en"):
                english = default_wording(kind, item.value, theme_name=named_en)
            with translation.override("cy"):
                welsh = default_wording(kind, item.value, theme_name=named_cy)
            questions.append({"item": item.label, "en": english, "cy": welsh})
        result.append(
            {
                "kind": kind,
                "label": ThemeKind(kind).label,
                "current": theme is not None and theme.kind == kind,
                "questions": questions,
            }
        )
    return result
