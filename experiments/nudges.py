"""Nudge texts: every change is a new version, so exposures can say what was shown.

A version written after the wave's design was frozen (the wave opened) is flagged as a
deviation from the frozen design, for the analysis to report.
"""

from django.db import transaction
from django.db.models import Max

from experiments.models import NudgeText, Theme, Wave


def set_nudge_text(
    wave: Wave, *, theme: Theme, nudge: str, text_en: str, text_cy: str = ""
) -> NudgeText:
    """Store the wording of nudge A or B for a theme in a wave, as a new version if it changed."""
    with transaction.atomic():
        # Lock the wave so two editors cannot both create the same version number.
        locked = Wave.objects.select_for_update().filter(pk=wave.pk).first()
        current = (
            NudgeText.objects.filter(wave=wave, theme=theme, nudge=nudge)
            .order_by("-version")
            .first()
        )
        if current and (current.text_en, current.text_cy) == (text_en, text_cy):
            return current
        latest = NudgeText.objects.filter(wave=wave, theme=theme, nudge=nudge).aggregate(
            v=Max("version")
        )["v"]
        return NudgeText.objects.create(
            wave=wave,
            theme=theme,
            nudge=nudge,
            version=(latest or 0) + 1,
            text_en=text_en,
            text_cy=text_cy,
            is_deviation=bool(locked and locked.design_hash),
        )
