"""The lifecycle of a wave, draft → open → closed, as staff actions.

Each function takes the acting user (or `policy.SYSTEM` for scheduled tasks and commands),
checks their right, owns its transaction and records the audit entry (`policy.staff_action`).

Once a wave opens, its design is frozen (`experiments.design`): its council, themes,
allocation settings, questions and analysis plan no longer change, and the database
refuses such a change from any path (`experiments.frozen`). What may still change goes
through a function here that records a deviation the report lists: the closing time. A
nudge text correction is a new version, recorded the same way (`experiments.nudges`).
Closing a wave queues its analysis through the outbox, by task name, so that this module
needs nothing of the analysis.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from experiments.models import (
    AllocationScheme,
    Council,
    Deviation,
    DeviationKind,
    Invitation,
    ItemWording,
    NudgeText,
    Theme,
    Wave,
    WaveStatus,
    WaveTheme,
)
from experiments.policy import SYSTEM, Right, staff_action
from experiments.responses import current_nudge_texts
from outbox.relay import enqueue
from surveyplatform.domain import InvalidInput, InvalidState, NotFound

ANALYSE_CLOSED_WAVE = "analysis.tasks.analyse_closed_wave"

# Settings of the experiment, frozen with the design when the wave opens.
DESIGN_SETTINGS = (
    "experiment_on",
    "allocation_scheme",
    "strata",
    "time_questions",
    "manipulation_check",
    "questions_per_page",
    "analysis_plan",
    "expected_response_rate",
    "hoped_for_effect",
    "expected_sd_individual",
    "expected_sd_collective",
    "intra_cluster_correlation",
)
# What a wave is called and when it runs: free to change while it is a draft.
DESCRIPTION = ("title", "title_cy", "opens_at", "closes_at")
EDITABLE = DESCRIPTION + DESIGN_SETTINGS


class WaveStateError(InvalidState):
    """The wave is not in a state that allows the requested change."""


def _check_settings(settings: dict, *, wave: Wave | None) -> None:
    """Refuse settings that contradict each other, naming the field to change."""
    unknown = sorted(set(settings) - set(EDITABLE))
    if unknown:
        raise InvalidInput(
            _("Unknown wave settings: %(names)s.") % {"names": ", ".join(unknown)},
            fields={name: [_("Unknown field.")] for name in unknown},
        )

    def value(name):
        return settings[name] if name in settings else getattr(wave, name, None)

    opens_at, closes_at = value("opens_at"), value("closes_at")
    if opens_at and closes_at and closes_at <= opens_at:
        message = _("The closing time must be after the opening.")
        raise InvalidInput(message, fields={"closes_at": [message]})
    strata = value("strata") or ""
    if value("allocation_scheme") == AllocationScheme.CLUSTER and {"age_band", "gender"} & set(
        strata.split(",")
    ):
        message = _(
            "Households share one group, but their members may differ in age band or gender; "
            "stratify a cluster wave by ward or not at all."
        )
        raise InvalidInput(message, fields={"strata": [message]})


def _set_themes(wave: Wave, themes: list[Theme]) -> None:
    """Make the wave ask about exactly these themes of its council, in this order."""
    if len({theme.pk for theme in themes}) != len(themes):
        message = _("A theme can appear only once in a wave.")
        raise InvalidInput(message, fields={"themes": [message]})
    foreign = [theme.pk for theme in themes if theme.council_id != wave.council_id]
    if foreign:
        message = _("Choose only themes of the wave's own council.")
        raise InvalidInput(message, fields={"themes": [message]})
    WaveTheme.objects.filter(wave=wave).exclude(theme__in=themes).delete()
    for position, theme in enumerate(themes):
        WaveTheme.objects.update_or_create(wave=wave, theme=theme, defaults={"position": position})


def create_wave(
    actor, *, council: Council, title: str, themes: list[Theme] = (), **settings
) -> Wave:
    """Create a draft wave of the council asking about these themes, in this order."""
    _check_settings(settings, wave=None)
    with staff_action(actor, Right.DESIGN, council, action="create_wave") as note:
        wave = Wave.objects.create(council=council, title=title, **settings)
        _set_themes(wave, list(themes))
        note.target, note.summary = wave, wave.title
        note.details = {"themes": [theme.pk for theme in themes]}
    return wave


def update_wave(actor, wave: Wave, *, themes: list[Theme] | None = None, **changes) -> Wave:
    """Change a draft wave's description, settings and themes; an open wave's title only.

    An open wave's closing time changes through `change_closing_time`, which records the
    change as a deviation; everything else of an open wave is part of its frozen design.
    """
    _check_settings(changes, wave=wave)
    with staff_action(actor, Right.DESIGN, wave.council_id, action="edit_wave") as note:
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if wave.status == WaveStatus.CLOSED:
            raise WaveStateError(_("The wave is closed; nothing about it can change."))
        changed = {name for name, value in changes.items() if getattr(wave, name) != value}
        current_themes = list(
            wave.wave_themes.order_by("position", "pk").values_list("theme_id", flat=True)
        )
        themes_change = themes is not None and [t.pk for t in themes] != current_themes
        if wave.status == WaveStatus.OPEN:
            fixed = sorted(changed - {"title", "title_cy"}) + (["themes"] if themes_change else [])
            if fixed:
                message = _("Fixed once the wave has opened.")
                raise InvalidInput(
                    _("Only the title of an open wave can change here; fixed: %(names)s.")
                    % {"names": ", ".join(fixed)},
                    fields={name: [message] for name in fixed},
                )
        for name in changed:
            setattr(wave, name, changes[name])
        if changed:
            wave.full_clean(exclude=["council", "seed", "design", "design_hash"])
            wave.save(update_fields=sorted(changed))
        if themes_change:
            _set_themes(wave, list(themes))
        note.target, note.summary = wave, wave.title
        note.details = {"changed": sorted(changed) + (["themes"] if themes_change else [])}
    return wave


def move_wave_theme(actor, wave: Wave, *, theme: Theme, offset: int) -> Wave:
    """Move a theme of a draft wave one place up (-1) or down (+1) its ordered list.

    The order is part of the design: members meet the themes in it, and it is frozen when
    the wave opens.
    """
    if offset not in (-1, 1):
        raise InvalidInput(_("A theme moves one place up or down at a time."))
    with staff_action(actor, Right.DESIGN, wave.council_id, action="reorder_wave_themes") as note:
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if wave.status != WaveStatus.DRAFT:
            raise WaveStateError(_("The order of the themes is fixed once the wave has opened."))
        order = list(wave.wave_themes.order_by("position", "pk").values_list("theme_id", flat=True))
        if theme.pk not in order:
            raise NotFound(_("The wave does not ask about this theme."))
        here = order.index(theme.pk)
        there = here + offset
        if not 0 <= there < len(order):
            raise InvalidInput(
                _("The theme is already first.") if offset < 0 else _("The theme is already last.")
            )
        order[here], order[there] = order[there], order[here]
        for position, theme_id in enumerate(order):
            WaveTheme.objects.filter(wave=wave, theme_id=theme_id).update(position=position)
        note.target, note.summary = wave, wave.title
        note.details = {"themes": order}
    return wave


def copy_wave(actor, source: Wave, *, title: str, title_cy: str = "") -> Wave:
    """Create a draft wave from an earlier wave of the same council.

    The copy asks about the same themes (with their activities) in the same order, with the
    latest version of each nudge text as its first version, the council's own wording of
    the questions and the experiment's settings. It is a design of its own: it changes
    freely while a draft and is frozen again when it opens. Dates are not copied.
    """
    title, title_cy = title.strip(), title_cy.strip()
    if not title:
        message = _("Give the new wave a title.")
        raise InvalidInput(message, fields={"title": [message]})
    with staff_action(actor, Right.DESIGN, source.council_id, action="copy_wave") as note:
        source = Wave.objects.get(pk=source.pk)
        settings = {name: getattr(source, name) for name in DESIGN_SETTINGS}
        settings["analysis_plan"] = dict(source.analysis_plan or {})
        wave = Wave(council_id=source.council_id, title=title, title_cy=title_cy, **settings)
        wave.full_clean(exclude=["council", "seed", "design", "design_hash"])
        wave.save()
        themes = list(
            source.wave_themes.order_by("position", "pk").values_list("theme_id", flat=True)
        )
        WaveTheme.objects.bulk_create(
            WaveTheme(wave=wave, theme_id=theme_id, position=position)
            for position, theme_id in enumerate(themes)
        )
        texts = [
            NudgeText(
                wave=wave,
                theme_id=text.theme_id,
                nudge=text.nudge,
                version=1,
                text_en=text.text_en,
                text_cy=text.text_cy,
            )
            for by_theme in current_nudge_texts(source.pk, ("a", "b")).values()
            for text in by_theme
            if text.theme_id in themes
        ]
        NudgeText.objects.bulk_create(texts)
        wordings = [
            ItemWording(
                wave=wave,
                theme_id=wording.theme_id,
                item=wording.item,
                text_en=wording.text_en,
                text_cy=wording.text_cy,
            )
            for wording in ItemWording.objects.filter(wave=source, theme_id__in=themes)
        ]
        ItemWording.objects.bulk_create(wordings)
        note.target, note.summary = wave, wave.title
        note.details = {
            "copied_from": source.pk,
            "themes": themes,
            "nudge_texts": len(texts),
            "wordings": len(wordings),
        }
    return wave


def delete_wave(actor, wave: Wave) -> None:
    """Delete a draft wave (an opened wave is part of the study's record)."""
    with staff_action(actor, Right.DESIGN, wave.council_id, action="delete_wave") as note:
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if wave.status != WaveStatus.DRAFT:
            raise WaveStateError(_("Only a draft wave can be deleted."))
        note.summary, note.details = wave.title, {"wave": wave.pk}
        wave.delete()


@dataclass(frozen=True)
class OpeningProblem:
    """One thing that stops a draft wave from opening, in plain words.

    `kind` says what to do about it ("closing", "themes", "activities", "nudges" or "welsh"),
    `place` where a missing Welsh text is written, and `theme_id` which theme it concerns.
    """

    kind: str
    message: str
    theme_id: int | None = None
    place: str = ""

    def __str__(self) -> str:
        return self.message


def _closing_problem(wave: Wave) -> OpeningProblem | None:
    """Ask for a closing time in the future, unless the wave's answers are imported.

    An open wave closes by itself at its closing time, which starts the analysis and tells
    members when the survey ends. A copied wave has none (dates are not copied). A wave
    randomised elsewhere collects no answers here: it is closed by hand once they are in.
    """
    from experiments.randomised_elsewhere import is_randomised_elsewhere

    if is_randomised_elsewhere(wave):
        return None
    if wave.closes_at is None:
        return OpeningProblem("closing", _("Set the closing time: the wave closes by itself then."))
    if wave.closes_at <= timezone.now():
        return OpeningProblem(
            "closing", _("The closing time has passed: choose one in the future.")
        )
    return None


def opening_checks(wave: Wave) -> list[OpeningProblem]:
    """Return what stops a draft wave from opening, one problem each (empty: it can open)."""
    from experiments.questionnaires import needs_welsh, welsh_gaps

    themes = list(wave.themes.order_by("wave_themes__position", "pk"))
    problems = []
    closing = _closing_problem(wave)
    if closing is not None:
        problems.append(closing)
    if not themes:
        problems.append(OpeningProblem("themes", _("Choose at least one theme for the wave.")))
    for theme in Theme.objects.filter(
        pk__in=[t.pk for t in themes], activities__isnull=True
    ).order_by("wave_themes__position", "pk"):
        problems.append(
            OpeningProblem(
                "activities",
                _("Add at least one activity to the theme “%s”.") % theme.name_en,
                theme_id=theme.pk,
            )
        )
    if wave.experiment_on:
        nudges = dict(
            NudgeText.objects.filter(wave=wave)
            .values_list("theme_id")
            .annotate(n=Count("nudge", distinct=True))
        )
        for theme in themes:
            if nudges.get(theme.pk, 0) < 2:
                problems.append(
                    OpeningProblem(
                        "nudges",
                        _("Write nudges A and B for the theme “%s”.") % theme.name_en,
                        theme_id=theme.pk,
                    )
                )
    if needs_welsh(wave):
        for gap in welsh_gaps(wave):
            problems.append(
                OpeningProblem(
                    "welsh",
                    _("Missing Welsh text: %(text)s.") % {"text": gap},
                    theme_id=gap.theme_id,
                    place=gap.place,
                )
            )
    return problems


def opening_problems(wave: Wave) -> list[str]:
    """Return what stops a draft wave from opening, in plain words (empty: it can open)."""
    return [problem.message for problem in opening_checks(wave)]


@dataclass(frozen=True)
class NextStep:
    """What the wave needs next, in plain words; `action` names the page that does it."""

    action: str
    message: str
    theme_id: int | None = None
    place: str = ""


def next_step(wave: Wave, problems: list[OpeningProblem] | None = None) -> NextStep:
    """Return the one thing to do next with the wave, whatever its state."""
    if wave.status == WaveStatus.DRAFT:
        problems = opening_checks(wave) if problems is None else problems
        if problems:
            first = problems[0]
            return NextStep(first.kind, first.message, first.theme_id, first.place)
        return NextStep(
            "open",
            _("Everything needed is in place. Preview each theme, then open the wave."),
        )
    if wave.status == WaveStatus.OPEN:
        from experiments.randomised_elsewhere import is_randomised_elsewhere

        if is_randomised_elsewhere(wave):
            return NextStep(
                "import",
                _(
                    "The wave was randomised elsewhere: import its answers with each member's "
                    "group, then close it."
                ),
            )
        if not Invitation.objects.filter(wave=wave).exists():
            return NextStep(
                "invite",
                _("The wave is open. Send the invitations, or download the links for letters."),
            )
        if wave.closes_at:
            return NextStep(
                "monitor",
                _(
                    "Members are answering. Watch the progress and plan a reminder; the wave "
                    "closes by itself on %(when)s."
                )
                % {"when": _when(wave.closes_at)},
            )
        return NextStep(
            "monitor",
            _(
                "Members are answering. Watch the progress, plan a reminder, and close the "
                "wave when enough members have answered."
            ),
        )
    return NextStep("results", _("The wave is closed. Read its results."))


def open_wave(actor, wave: Wave) -> Wave:
    """Open a draft wave, freezing its design (`experiments.design`) in the same transaction."""
    from experiments.design import freeze_design

    with staff_action(actor, Right.FIELDWORK, wave.council_id, action="open_wave") as note:
        wave = Wave.objects.select_for_update().select_related("council").get(pk=wave.pk)
        if wave.status != WaveStatus.DRAFT:
            raise WaveStateError(
                _("Only a draft wave can be opened; this one is %(status)s.")
                % {"status": wave.get_status_display().lower()}
            )
        problems = opening_problems(wave)
        if problems:
            raise WaveStateError(" ".join(problems))
        wave.status = WaveStatus.OPEN
        wave.opened_at = timezone.now()
        wave.save(update_fields=["status", "opened_at"])
        freeze_design(wave)
        note.target, note.summary = wave, wave.title
        note.details = {"design_hash": wave.design_hash}
    return wave


def close_wave(actor, wave: Wave) -> Wave:
    """Close an open wave; its analysis is queued (through the outbox) with the close."""
    from experiments.debriefs import anyone_completed, draft_debrief

    with staff_action(actor, Right.FIELDWORK, wave.council_id, action="close_wave") as note:
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if wave.status != WaveStatus.OPEN:
            raise WaveStateError(
                _("Only an open wave can be closed; this one is %(status)s.")
                % {"status": wave.get_status_display().lower()}
            )
        wave.status = WaveStatus.CLOSED
        wave.closed_at = timezone.now()
        wave.save(update_fields=["status", "closed_at"])
        if anyone_completed(wave):
            draft_debrief(wave)
        enqueue(ANALYSE_CLOSED_WAVE, wave_id=wave.pk)
        note.target, note.summary = wave, wave.title
    return wave


def change_closing_time(actor, wave: Wave, *, closes_at: datetime | None) -> Wave:
    """Move the closing time of a draft or open wave; for an open wave, record a deviation."""
    with staff_action(
        actor, Right.FIELDWORK, wave.council_id, action="change_closing_time"
    ) as note:
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if wave.status == WaveStatus.CLOSED:
            raise WaveStateError(_("The wave is closed; nothing about it can change."))
        if closes_at is not None and closes_at <= timezone.now() and wave.is_open:
            message = _("Choose a closing time in the future, or close the wave now.")
            raise InvalidInput(message, fields={"closes_at": [message]})
        if closes_at is not None and wave.opens_at and closes_at <= wave.opens_at:
            message = _("The closing time must be after the opening.")
            raise InvalidInput(message, fields={"closes_at": [message]})
        before = wave.closes_at
        wave.closes_at = closes_at
        wave.save(update_fields=["closes_at"])
        if wave.is_open and before != closes_at:
            record_deviation(
                wave,
                kind=DeviationKind.CLOSING_TIME,
                summary=_("Closing time moved from %(before)s to %(after)s.")
                % {"before": _when(before), "after": _when(closes_at)},
                actor=actor,
                details={"before": _iso(before), "after": _iso(closes_at)},
            )
        note.target, note.summary = wave, wave.title
        note.details = {"before": _iso(before), "after": _iso(closes_at)}
    return wave


def record_deviation(
    wave: Wave, *, kind: str, summary: str, actor=None, details: dict | None = None
) -> Deviation:
    """Record a change made after the design was frozen; call inside the action's transaction."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return Deviation.objects.create(
        wave=wave, kind=kind, summary=summary[:500], user=user, details=details or {}
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _when(value: datetime | None) -> str:
    if value is None:
        return _("no closing time")
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


def close_due_waves(*, now=None) -> list[int]:
    """Close every open wave whose closing time has passed; return their ids."""
    now = now or timezone.now()
    closed = []
    for wave in Wave.objects.filter(status=WaveStatus.OPEN, closes_at__lte=now):
        try:
            close_wave(SYSTEM, wave)
        except (WaveStateError, NotFound):
            continue  # closed by someone else in the meantime
        closed.append(wave.pk)
    return closed
