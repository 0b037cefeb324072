"""Audit-log events of the experiments' own models: role changes, first assignments and
changes of item wording, whichever screen or command made them.

Connected in `ExperimentsConfig.ready`.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from audit.log import record_action
from experiments.models import Assignment, CouncilMembership, ItemWording


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
            summary=f"member #{instance.member_id} in wave #{instance.wave_id}: {instance.arm}",
            details={"wave": instance.wave_id, "member": instance.member_id},
        )


@receiver(post_save, sender=ItemWording, dispatch_uid="audit_item_wording")
def audit_item_wording(sender, instance, created, **kwargs):
    record_action(
        None,
        action="change_item_wording",
        council_id=instance.wave.council_id,
        target=instance,
        summary=f"wave #{instance.wave_id}: {instance.item}"[:500],
    )
