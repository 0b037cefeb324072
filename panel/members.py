"""Staff actions on one panel member's standing: withdraw, unsubscribe, reactivate."""

from django.utils.translation import gettext as _

from experiments.policy import Right, staff_action
from panel.models import MemberStatus, PanelMember
from surveyplatform.domain import InvalidInput, InvalidState


def change_member_status(actor, member: PanelMember, *, status: str) -> PanelMember:
    """Set a member's status; an erased member's record no longer changes."""
    if status not in MemberStatus.values:
        message = _("Choose what to do with the member.")
        raise InvalidInput(message, fields={"status": [message]})
    with staff_action(actor, Right.PANEL, member.council_id, action="change_member_status") as note:
        member = PanelMember.objects.select_for_update().get(pk=member.pk)
        if member.erased_at is not None:
            raise InvalidState(_("This member has been erased; their record no longer changes."))
        before = member.status
        member.status = status
        member.save(update_fields=["status"])
        note.target = member
        note.summary = f"member #{member.pk}: {before} → {status}"
    return member
