"""Staff actions on one panel member's standing: withdraw, unsubscribe, reactivate."""

from django.utils.translation import gettext as _

from experiments.policy import Right, SystemActor, staff_action
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


# A member acting on their own record through a signed link in an e-mail.
MEMBER_LINK = SystemActor(name="the member, from the link in an e-mail")


def unsubscribe_member(member: PanelMember) -> PanelMember:
    """Stop e-mails to a member who asked through their unsubscribe link (once)."""
    if member.status != MemberStatus.ACTIVE:
        return member
    with staff_action(MEMBER_LINK, Right.PANEL, member.council_id, action="unsubscribe") as note:
        member = PanelMember.objects.select_for_update().get(pk=member.pk)
        if member.status == MemberStatus.ACTIVE:
            member.status = MemberStatus.UNSUBSCRIBED
            member.save(update_fields=["status"])
        note.target = member
        note.summary = f"member #{member.pk} unsubscribed from the e-mail link"
    return member
