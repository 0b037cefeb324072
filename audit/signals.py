"""Sign-ins and failed sign-ins in the audit log (never the password).

Connected in `AuditConfig.ready`.
"""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from audit.log import record_action


@receiver(user_logged_in, dispatch_uid="audit_sign_in")
def audit_sign_in(sender, request, user, **kwargs):
    record_action(user, action="sign_in", summary=user.get_username())


@receiver(user_login_failed, dispatch_uid="audit_failed_sign_in")
def audit_failed_sign_in(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record_action(None, action="sign_in_failed", summary=username, details={"username": username})
