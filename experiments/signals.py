"""Audit-log events of the experiments' own models, whichever screen or command made them:
role changes, and first assignments (blind: the entry never names the arm).

Connected in `ExperimentsConfig.ready`.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from audit.log import record_action
from experiments.models import Assignment, CouncilMembership


@receiver(post_save, sender=CouncilMembership, dispatch_uid="audit_role_saved")
def audit_role_saved(sender, instance, created, **kwargs):
    record_action(
        None,
        action="grant_role" if created else "change_role",
        council=instance.council,
        target=instance,
        summary=f"user #{instance.user_id}: {instance.role}",
        details={"user": instance.user_id, "role": instance.role},
    )


@receiver(post_delete, sender=CouncilMembership, dispatch_uid="audit_role_deleted")
def audit_role_deleted(sender, instance, **kwargs):
    record_action(
        None,
        action="revoke_role",
        council_id=instance.council_id,
        summary=f"user #{instance.user_id}: {instance.role}",
        details={"user": instance.user_id, "role": instance.role},
    )


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
