"""Blinding: what each reader may learn of the arms, written once for every screen.

Council admins run the fieldwork, so they must not learn which member is in which arm,
nor which group of members is which arm, while they could still act on it:

- per member, no staff page, audit entry, e-mail, export or API answer of a council admin
  ever names an arm (the audit entry of an allocation says only that it happened);
- per group, a council admin sees neutral "Group 1–4" labels, drawn per wave from its seed
  so that the numbering gives nothing away (`experiments.monitoring.arm_labels`); the
  power plan, which names the arms' contrasts, is hidden while the wave is open;
- researchers (and superusers), who never run the fieldwork, see the arms by name, and
  member-level data by pseudonym only (`exports`).
"""

from experiments.models import Wave, WaveStatus
from experiments.policy import Right, can


def may_see_arms(actor, wave: Wave) -> bool:
    """Return whether the actor may see the wave's groups by arm name."""
    return can(actor, Right.EXPORT, wave.council_id)


def may_see_power_plan(actor, wave: Wave) -> bool:
    """Return whether the actor may see the power plan, which names the arms' contrasts.

    Before the wave opens there is nothing to act on; once it closed, the fieldwork is over.
    """
    return wave.status != WaveStatus.OPEN or may_see_arms(actor, wave)
