"""The audit entry of a first assignment, whichever path allocated the member (an online
opening, a printed copy): blind, it never names the arm.

Connected in `ExperimentsConfig.ready`.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from audit.log import record_action
from experiments.models import Assignment


@receiver(post_save, sender=Assignment, dispatch_uid="audit_assignment")
def audit_assignment(sender, instance, created, **kwargs):
    if created:
        record_action(
            None,
            action="assign",
            council_id=instance.wave.council_id,
            target=instance,
            summary=f"member #{instance.member_id} allocated in wave #{instance.wave_id}",
            details={"wave": instance.wave_id, "member": instance.member_id},
        )
