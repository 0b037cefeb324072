"""Random assignment of panel members to the four arms of the 2×2 nudge experiment.

The arm is drawn once, at the member's first opening, and committed before any nudge is
shown. A unique constraint on (wave, member) makes concurrent first openings safe: the
loser of the race reads the winner's row instead of drawing again.
"""

import hashlib
import hmac

from django.db import IntegrityError, transaction

from experiments.models import AllocationScheme, Arm, Assignment, Wave
from panel.models import PanelMember

ARM_ORDER = (Arm.AB, Arm.A, Arm.B, Arm.NONE)


def simple_arm(seed: str, member_id: int) -> Arm:
    """Pick an arm from HMAC-SHA256(seed, member id): stateless and reproducible."""
    digest = hmac.new(seed.encode(), str(member_id).encode(), hashlib.sha256).digest()
    return ARM_ORDER[int.from_bytes(digest[:8], "big") % len(ARM_ORDER)]


def assign_member(wave: Wave, *, member: PanelMember) -> Assignment:
    """Return the member's assignment in the wave, drawing and storing it on first call."""
    existing = Assignment.objects.filter(wave=wave, member=member).first()
    if existing is not None:
        return existing
    arm = simple_arm(wave.seed, member.pk) if wave.experiment_on else Arm.NONE
    try:
        with transaction.atomic():
            return Assignment.objects.create(
                wave=wave, member=member, arm=arm, scheme=AllocationScheme.SIMPLE
            )
    except IntegrityError:
        # A concurrent first opening won the race; its arm is the member's arm.
        return Assignment.objects.get(wave=wave, member=member)
