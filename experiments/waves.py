"""The lifecycle of a wave: draft → open → closed."""

from django.db import transaction
from django.utils import timezone

from analysis.models import AnalysisRun
from experiments.models import Wave, WaveStatus


class WaveStateError(Exception):
    """The wave is not in a state that allows the requested change."""


def _refuse_missing_welsh(wave: Wave) -> None:
    """Refuse to open a Welsh council's wave while any respondent-facing text lacks Welsh."""
    from experiments.questionnaires import needs_welsh, welsh_gaps

    if needs_welsh(wave):
        gaps = welsh_gaps(wave)
        if gaps:
            raise WaveStateError(
                "This wave cannot open until every text has its Welsh version. Missing: "
                + "; ".join(gaps)
                + "."
            )


def open_wave(wave_id: int) -> Wave:
    """Open a draft wave, freezing its design (`experiments.design`) in the same transaction."""
    from experiments.design import freeze_design

    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave_id)
        if wave.status != WaveStatus.DRAFT:
            raise WaveStateError(f"Only a draft wave can be opened; this one is {wave.status}.")
        _refuse_missing_welsh(wave)
        wave.status = WaveStatus.OPEN
        wave.opened_at = timezone.now()
        wave.save(update_fields=["status", "opened_at"])
        freeze_design(wave)
    return wave


def close_wave(wave_id: int) -> AnalysisRun:
    """Close an open wave and queue its analysis once the close has committed."""
    from analysis.runs import request_analysis
    from experiments.debriefs import draft_debrief

    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave_id)
        if wave.status != WaveStatus.OPEN:
            raise WaveStateError(f"Only an open wave can be closed; this one is {wave.status}.")
        wave.status = WaveStatus.CLOSED
        wave.closed_at = timezone.now()
        wave.save(update_fields=["status", "closed_at"])
        draft_debrief(wave)
        return request_analysis(wave)


def close_due_waves(*, now=None) -> list[int]:
    """Close every open wave whose closing time has passed; return their ids."""
    now = now or timezone.now()
    closed = []
    for wave_id in Wave.objects.filter(status=WaveStatus.OPEN, closes_at__lte=now).values_list(
        "pk", flat=True
    ):
        try:
            close_wave(wave_id)
        except WaveStateError:
            continue  # closed by someone else in the meantime
        closed.append(wave_id)
    return closed


def opening_problems(wave: Wave) -> list[str]:
    """Return what stops a draft wave from opening: no themes, missing nudges or activities."""
    from django.db.models import Count
    from django.utils.translation import gettext as _

    from experiments.models import NudgeText, Theme

    themes = list(wave.themes.order_by("wave_themes__position", "pk"))
    problems = []
    if not themes:
        problems.append(_("Choose at least one theme for the wave."))
    if wave.experiment_on:
        nudges = dict(
            NudgeText.objects.filter(wave=wave)
            .values_list("theme_id")
            .annotate(n=Count("nudge", distinct=True))
        )
        for theme in themes:
            if nudges.get(theme.pk, 0) < 2:
                problems.append(_("Write nudges A and B for the theme “%s”.") % theme.name_en)
    for name in Theme.objects.filter(
        pk__in=[t.pk for t in themes], activities__isnull=True
    ).values_list("name_en", flat=True):
        problems.append(_("Add at least one activity to the theme “%s”.") % name)
    return problems
