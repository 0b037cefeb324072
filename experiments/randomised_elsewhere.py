"""Waves randomised elsewhere: an earlier study or a partner's trial analysed on the platform.

Such a wave's groups were allocated by someone else before its answers reach the
platform, so they arrive with the answers: the response import takes each member's group
from the file's `arm` column (`experiments.response_imports`), and nothing draws one here
(`experiments.assignment` refuses). A council declares this on a draft wave, saying who
randomised and the scheme as they declared it; opening freezes the declaration with the
design, which records that the platform cannot verify the allocation. The report says so
in its definitions, and `verify_allocation` reports the wave as not verifiable rather than
failing on a seed that drew nothing.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from experiments.models import AllocationScheme, Wave, WaveStatus
from experiments.policy import Right, staff_action
from surveyplatform.domain import InvalidInput, InvalidState

MAX_RANDOMISED_BY = 200
MAX_DECLARED_SCHEME = 1000


@dataclass(frozen=True)
class DeclaredAllocation:
    """Who allocated a wave's groups elsewhere, and how they say they did."""

    randomised_by: str
    declared_scheme: str


def declared_allocation(wave: Wave) -> DeclaredAllocation | None:
    """Return the wave's declaration if it was randomised elsewhere, else None.

    An opened wave answers from its frozen design, a draft from its current settings.
    """
    if wave.design_hash and wave.design:
        allocation = wave.design.get("allocation") or {}
        if allocation.get("scheme") != AllocationScheme.EXTERNAL:
            return None
        return DeclaredAllocation(
            allocation.get("randomised_by", ""), allocation.get("declared_scheme", "")
        )
    if not wave.randomised_elsewhere:
        return None
    return DeclaredAllocation(wave.randomised_by, wave.declared_scheme)


def is_randomised_elsewhere(wave: Wave) -> bool:
    return declared_allocation(wave) is not None


def _checked_text(name: str, value: str, *, limit: int, one_line: bool) -> str:
    text = (value or "").strip()
    if not text:
        message = {
            "randomised_by": _("Say who allocated the groups (a team, an organisation)."),
            "declared_scheme": _(
                "Describe the allocation scheme as it was declared: how members were "
                "randomised, in what ratio, and any strata or blocks."
            ),
        }[name]
        raise InvalidInput(message, fields={name: [message]})
    if len(text) > limit:
        message = _("At most %(limit)d characters.") % {"limit": limit}
        raise InvalidInput(message, fields={name: [message]})
    if one_line and ("\n" in text or "\r" in text):
        message = _("Write it on one line.")
        raise InvalidInput(message, fields={name: [message]})
    return text


def declare_randomised_elsewhere(
    actor, wave: Wave, *, randomised_by: str, declared_scheme: str
) -> Wave:
    """Record that a draft wave's groups were allocated elsewhere, by whom and how.

    From then on its answers are imported with each member's group, the platform draws
    no group for it, and opening the wave freezes the declaration with the design.
    """
    randomised_by = _checked_text(
        "randomised_by", randomised_by, limit=MAX_RANDOMISED_BY, one_line=True
    )
    declared_scheme = _checked_text(
        "declared_scheme", declared_scheme, limit=MAX_DECLARED_SCHEME, one_line=False
    )
    with staff_action(
        actor, Right.DESIGN, wave.council_id, action="declare_randomised_elsewhere"
    ) as note:
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if wave.status != WaveStatus.DRAFT:
            raise InvalidState(
                _(
                    "Only a draft wave can be declared randomised elsewhere: an opened "
                    "wave's allocation is part of its frozen design."
                )
            )
        if not wave.experiment_on:
            raise InvalidState(
                _(
                    "This wave runs without the experiment, so it has no groups to take "
                    "from a file: turn the experiment on first."
                )
            )
        wave.randomised_elsewhere = True
        wave.randomised_by = randomised_by
        wave.declared_scheme = declared_scheme
        wave.save(update_fields=["randomised_elsewhere", "randomised_by", "declared_scheme"])
        note.target, note.summary = wave, wave.title
        note.details = {"randomised_by": randomised_by, "declared_scheme": declared_scheme}
    return wave


def withdraw_randomised_elsewhere(actor, wave: Wave) -> Wave:
    """Make a draft wave allocate its own groups again, forgetting the declaration."""
    with staff_action(
        actor, Right.DESIGN, wave.council_id, action="withdraw_randomised_elsewhere"
    ) as note:
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if wave.status != WaveStatus.DRAFT:
            raise InvalidState(
                _("Only a draft wave can change how it is randomised: the design is frozen.")
            )
        before = {"randomised_by": wave.randomised_by, "declared_scheme": wave.declared_scheme}
        wave.randomised_elsewhere = False
        wave.randomised_by = ""
        wave.declared_scheme = ""
        wave.save(update_fields=["randomised_elsewhere", "randomised_by", "declared_scheme"])
        note.target, note.summary, note.details = wave, wave.title, {"before": before}
    return wave
