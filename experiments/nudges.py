"""Nudge texts: every change is a new version, so exposures can say what was shown.

A version written after the wave's design was frozen (the wave opened) is a correction:
it is flagged on the text and recorded as a deviation from the frozen design, for the
report to list. A closed wave's texts no longer change.
"""

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from experiments.models import DeviationKind, Nudge, NudgeText, Theme, Wave, WaveStatus
from experiments.policy import Right, staff_action
from surveyplatform.domain import InvalidState, NotFound


def set_nudge_texts(
    actor, wave: Wave, *, theme: Theme, texts: dict[str, tuple[str, str]]
) -> list[NudgeText]:
    """Store the wording of nudges A and B (`{"a": (english, welsh), …}`) for a wave's theme.

    Each changed text becomes a new version; on an open wave it is recorded as a deviation.
    """
    from experiments.waves import record_deviation

    with staff_action(actor, Right.DESIGN, wave.council_id, action="set_nudge_text") as note:
        # Lock the wave so two editors cannot both create the same version number.
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if wave.status == WaveStatus.CLOSED:
            raise InvalidState(_("The wave is closed; its nudges can no longer change."))
        if not wave.wave_themes.filter(theme=theme).exists():
            raise NotFound(_("The wave does not ask about this theme."))
        saved, changed = [], []
        for nudge in (Nudge.A, Nudge.B):
            if nudge.value not in texts:
                continue
            text_en, text_cy = texts[nudge.value]
            text, created = _new_version(
                wave, theme=theme, nudge=nudge.value, text_en=text_en, text_cy=text_cy
            )
            saved.append(text)
            if created:
                changed.append(f"{nudge.value.upper()} v{text.version}")
                if text.is_deviation:
                    record_deviation(
                        wave,
                        kind=DeviationKind.NUDGE_TEXT,
                        summary=_(
                            "Nudge %(nudge)s of “%(theme)s” corrected after opening "
                            "(version %(version)s)."
                        )
                        % {
                            "nudge": nudge.value.upper(),
                            "theme": theme.name_en,
                            "version": text.version,
                        },
                        actor=actor,
                        details={"nudge_text": text.pk},
                    )
        note.target = saved[-1] if saved else wave
        note.summary = f"{theme.name_en}: nudge " + (", ".join(changed) or "unchanged")
    return saved


def set_nudge_text(
    wave: Wave, *, theme: Theme, nudge: str, text_en: str, text_cy: str = ""
) -> NudgeText:
    """Store one nudge's wording as a new version if it changed (no right checked, no audit).

    For fixtures and the demo's setup; staff change texts through `set_nudge_texts`.
    """
    with transaction.atomic():
        Wave.objects.select_for_update().filter(pk=wave.pk).first()
        text, _created = _new_version(
            wave, theme=theme, nudge=nudge, text_en=text_en, text_cy=text_cy
        )
    return text


def _new_version(
    wave: Wave, *, theme: Theme, nudge: str, text_en: str, text_cy: str
) -> tuple[NudgeText, bool]:
    current = (
        NudgeText.objects.filter(wave=wave, theme=theme, nudge=nudge).order_by("-version").first()
    )
    if current and (current.text_en, current.text_cy) == (text_en, text_cy):
        return current, False
    latest = NudgeText.objects.filter(wave=wave, theme=theme, nudge=nudge).aggregate(
        v=Max("version")
    )["v"]
    frozen = Wave.objects.filter(pk=wave.pk).values_list("design_hash", flat=True).first()
    text = NudgeText.objects.create(
        wave=wave,
        theme=theme,
        nudge=nudge,
        version=(latest or 0) + 1,
        text_en=text_en,
        text_cy=text_cy,
        is_deviation=bool(frozen),
    )
    return text, True
