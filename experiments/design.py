"""The frozen design of a wave: what was promised before the first member was allocated.

When a wave opens, its arms, allocation scheme, strata, allocation parameters and nudge
texts (both languages) are written down as one plain, JSON-serialisable dict and recorded
on the wave together with its content hash. Every assignment records that hash, so the
analysis can show that all members were allocated under one design, and any later change
(a nudge edit after opening) stands out as a deviation.

A wave randomised elsewhere records that instead of a scheme of the platform's: who
allocated the groups and the scheme as they declared it, and that the platform cannot
verify the allocation (its groups arrive with the imported answers).

The design holds a commitment to the secret seed (its SHA-256), never the seed itself:
publishing the design does not reveal the allocation sequence, yet a seed disclosed after
the study can be checked against it.

The analysis plan (with the wave's chosen options) and the power plan are part of the
design, so they are locked at opening too; `design_hash` covers all of it. The analysis
app contributes them (`register_design_part`, from its AppConfig): this domain module does
not know the statistics, only that the design holds what they promised.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import transaction

from experiments.models import AllocationScheme, NudgeText, Wave
from experiments.models.allocation import ARM_ORDER, BLOCK_SIZES, GENERATOR

DESIGN_VERSION = 1

# Further parts of the design, computed from the wave by the apps that define them.
_PARTS: dict[str, Callable[[Wave], Any]] = {}


def register_design_part(name: str, compute: Callable[[Wave], Any]) -> None:
    """Add a part to every design frozen from now on (`analysis` adds its plans)."""
    _PARTS[name] = compute


def frozen_design(wave: Wave) -> dict[str, Any]:
    """Return the design of the wave as it stands now: plain values, sorted keys."""
    latest: dict[tuple[int, str], NudgeText] = {}
    for text in NudgeText.objects.filter(wave=wave).order_by("theme_id", "nudge", "-version"):
        latest.setdefault((text.theme_id, text.nudge), text)
    arms = ARM_ORDER if wave.experiment_on else (ARM_ORDER[-1],)
    allocation = {
        "block_sizes": list(BLOCK_SIZES),
        "generator": GENERATOR,
        "ratio": [1] * len(arms),
        "scheme": wave.allocation_scheme,
        "seed_sha256": hashlib.sha256(wave.seed.encode()).hexdigest(),
        "strata": [name for name in wave.strata.split(",") if name],
    }
    if wave.randomised_elsewhere:
        # The platform's generator drew nothing: the design says who did, and how.
        del allocation["block_sizes"], allocation["generator"]
        allocation.update(
            scheme=AllocationScheme.EXTERNAL.value,
            strata=[],
            randomised_by=wave.randomised_by,
            declared_scheme=wave.declared_scheme,
            verifiable=False,
        )
    design = {
        "allocation": allocation,
        "arms": [{"code": arm.value, "nudges": list(arm.nudges)} for arm in arms],
        "council": wave.council_id,
        "experiment_on": wave.experiment_on,
        "nudge_texts": [
            {
                "nudge": text.nudge,
                "text_cy": text.text_cy,
                "text_en": text.text_en,
                "theme": text.theme_id,
                "version": text.version,
            }
            for (_, _), text in sorted(latest.items())
        ],
        "themes": list(
            wave.wave_themes.order_by("position", "id").values_list("theme_id", flat=True)
        ),
        "version": DESIGN_VERSION,
        "wave": wave.pk,
    }
    for name, compute in _PARTS.items():
        design[name] = compute(wave)
    return _sorted(design)


def design_hash(design: dict[str, Any]) -> str:
    """Return the SHA-256 of the design's canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(design, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def freeze_design(wave: Wave) -> tuple[str, dict[str, Any]]:
    """Record the wave's design and hash unless already frozen; return what is recorded.

    Call inside the transaction that opens the wave. The conditional update makes a
    second call (or a concurrent one) keep the first recorded design.
    """
    design = frozen_design(wave)
    digest = design_hash(design)
    Wave.objects.filter(pk=wave.pk, design_hash="").update(design=design, design_hash=digest)
    digest, design = Wave.objects.values_list("design_hash", "design").get(pk=wave.pk)
    wave.design_hash, wave.design = digest, design
    return digest, design


def ensure_design_frozen(wave: Wave) -> tuple[str, dict[str, Any]]:
    """Return the wave's recorded design, freezing it first for a wave opened without one.

    Waves opened through `experiments.waves.open_wave` are frozen already; this covers
    waves created open directly (fixtures, the demo) so that every assignment still
    records the design it was drawn under.
    """
    row = Wave.objects.values_list("design_hash", "design").get(pk=wave.pk)
    if row[0]:
        return row
    with transaction.atomic():
        return freeze_design(Wave.objects.get(pk=wave.pk))


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
