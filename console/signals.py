"""Audit-log events that happen outside the console's own views.

Sign-ins and failed sign-ins (never the password), role changes, first assignments and
changes of item wording. Connected in `ConsoleConfig.ready`.
"""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from console.audit import record_action
from experiments.models import Assignment, CouncilMembership, ItemWording


@receiver(user_logged_in, dispatch_uid="audit_sign_in")
def audit_sign_in(sender, request, user, **kwargs):
    record_action(user, action="sign_in", summary=user.get_username())


@receiver(user_login_failed, dispatch_uid="audit_failed_sign_in")
def audit_failed_sign_in(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record_action(None, action="sign_in_failed", summary=username, details={"username": username})


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
