"""Themes and their activities: the staff actions that create and change them.

A theme is fixed once a wave that asks about it has opened: its name, kind and activities
are part of that wave's frozen design (`experiments.design`). The database refuses such a
change too (`experiments.frozen`), whichever path tries it.
"""

from dataclasses import dataclass

from django.db.models import Max
from django.utils.translation import gettext as _

from experiments.models import Activity, Council, Theme, WaveStatus, WaveTheme
from experiments.policy import Right, staff_action
from surveyplatform.domain import InvalidInput, InvalidState


@dataclass(frozen=True)
class ActivityText:
    """One activity as a form or request gives it: an existing one (id) or a new one."""

    text_en: str
    text_cy: str = ""
    id: int | None = None


def is_fixed(theme: Theme) -> bool:
    """Return whether a wave asking about the theme has opened."""
    return theme.pk is not None and theme.waves.exclude(status=WaveStatus.DRAFT).exists()


def refuse_if_fixed(theme: Theme) -> None:
    if is_fixed(theme):
        raise InvalidState(
            _("This theme is part of a wave that has opened, so its wording is fixed.")
        )


def _refuse_name_clash(council: Council, name_en: str, *, theme: Theme | None) -> None:
    clash = Theme.objects.filter(council=council, name_en=name_en)
    if theme is not None and theme.pk:
        clash = clash.exclude(pk=theme.pk)
    if clash.exists():
        raise InvalidInput(
            _("The council already has a theme of this name."),
            fields={"name_en": [_("The council already has a theme of this name.")]},
        )


def create_theme(
    actor,
    *,
    council: Council,
    kind: str,
    name_en: str,
    name_cy: str = "",
    activities: list[ActivityText] | None = None,
) -> Theme:
    """Create a theme of the council with its activities, in the order given."""
    with staff_action(actor, Right.DESIGN, council, action="create_theme") as note:
        _refuse_name_clash(council, name_en, theme=None)
        theme = Theme.objects.create(council=council, kind=kind, name_en=name_en, name_cy=name_cy)
        _set_activities(theme, activities or [])
        note.target, note.summary = theme, theme.name_en
    return theme


def update_theme(
    actor,
    theme: Theme,
    *,
    kind: str | None = None,
    name_en: str | None = None,
    name_cy: str | None = None,
    activities: list[ActivityText] | None = None,
) -> Theme:
    """Change a theme's names and kind and, when given, its whole list of activities.

    `activities` replaces the list: activities it does not name are removed, those it
    names by id are reworded, the others are added; the order is the list's.
    """
    with staff_action(actor, Right.DESIGN, theme.council_id, action="edit_theme") as note:
        theme = Theme.objects.select_for_update().get(pk=theme.pk)
        refuse_if_fixed(theme)
        if name_en is not None:
            _refuse_name_clash(theme.council, name_en, theme=theme)
            theme.name_en = name_en
        if name_cy is not None:
            theme.name_cy = name_cy
        if kind is not None:
            theme.kind = kind
        theme.save(update_fields=["name_en", "name_cy", "kind"])
        if activities is not None:
            _set_activities(theme, activities)
        note.target, note.summary = theme, theme.name_en
    return theme


def delete_theme(actor, theme: Theme) -> None:
    """Delete a theme that no wave asks about."""
    with staff_action(actor, Right.DESIGN, theme.council_id, action="delete_theme") as note:
        if WaveTheme.objects.filter(theme=theme).exists():
            raise InvalidState(_("The theme is part of a wave; remove it from the wave first."))
        note.summary = theme.name_en
        note.details = {"theme": theme.pk}
        theme.delete()


def _set_activities(theme: Theme, activities: list[ActivityText]) -> None:
    existing = {activity.pk: activity for activity in theme.activities.all()}
    unknown = [item.id for item in activities if item.id is not None and item.id not in existing]
    if unknown:
        raise InvalidInput(_("An activity can only be changed within its own theme."))
    kept = {item.id for item in activities if item.id is not None}
    Activity.objects.filter(theme=theme).exclude(pk__in=kept).delete()
    for position, item in enumerate(activities):
        if item.id is None:
            Activity.objects.create(
                theme=theme, text_en=item.text_en, text_cy=item.text_cy, position=position
            )
            continue
        activity = existing[item.id]
        if (activity.text_en, activity.text_cy, activity.position) != (
            item.text_en,
            item.text_cy,
            position,
        ):
            activity.text_en, activity.text_cy, activity.position = (
                item.text_en,
                item.text_cy,
                position,
            )
            activity.save(update_fields=["text_en", "text_cy", "position"])


def add_activity(
    actor, theme: Theme, *, text_en: str, text_cy: str = "", position: int | None = None
) -> Activity:
    """Add an activity to a theme, last unless a position is given."""
    with staff_action(actor, Right.DESIGN, theme.council_id, action="create_activity") as note:
        theme = Theme.objects.select_for_update().get(pk=theme.pk)
        refuse_if_fixed(theme)
        if position is None:
            last = theme.activities.aggregate(last=Max("position"))["last"]
            position = 0 if last is None else last + 1
        activity = Activity.objects.create(
            theme=theme, text_en=text_en, text_cy=text_cy, position=position
        )
        note.target, note.summary = activity, text_en
    return activity


def update_activity(
    actor,
    activity: Activity,
    *,
    text_en: str | None = None,
    text_cy: str | None = None,
    position: int | None = None,
) -> Activity:
    """Reword or move an activity of a theme that no opened wave asks about."""
    with staff_action(
        actor, Right.DESIGN, activity.theme.council_id, action="edit_activity"
    ) as note:
        theme = Theme.objects.select_for_update().get(pk=activity.theme_id)
        refuse_if_fixed(theme)
        activity = Activity.objects.get(pk=activity.pk)
        if text_en is not None:
            activity.text_en = text_en
        if text_cy is not None:
            activity.text_cy = text_cy
        if position is not None:
            activity.position = position
        activity.save(update_fields=["text_en", "text_cy", "position"])
        note.target, note.summary = activity, activity.text_en
    return activity


def delete_activity(actor, activity: Activity) -> None:
    """Remove an activity of a theme that no opened wave asks about."""
    with staff_action(
        actor, Right.DESIGN, activity.theme.council_id, action="delete_activity"
    ) as note:
        theme = Theme.objects.select_for_update().get(pk=activity.theme_id)
        refuse_if_fixed(theme)
        note.summary = activity.text_en
        note.details = {"activity": activity.pk, "theme": theme.pk}
        activity.delete()
