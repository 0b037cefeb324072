"""A member leaving, by their own choice, from the link in any panel e-mail.

Three ways, each one action that owns its transaction and writes the audit entry
(`experiments.policy.staff_action`, acting as the member through their signed link):

- `stop_emails`: the member stays on the panel but gets no more e-mails (unsubscribed);
- `leave_panel`: the member withdraws; their contact details and answers then follow the
  council's retention rule (`panel.erasure.members_due_for_erasure`);
- `leave_panel_and_delete_answers`: the member is erased at once, answers included
  (`panel.erasure.erase_member` without keeping answers).

Members act without signing in, so the audit entries have no user; they name the member
by internal id only.
"""

from enum import StrEnum

from django.db import transaction

from experiments.policy import Right, SystemActor, staff_action
from panel.erasure import erase_member
from panel.models import MemberStatus, PanelMember

# A member acting on their own record through the signed link in an e-mail.
MEMBER_LINK = SystemActor(name="the member, from the link in an e-mail")


class Leaving(StrEnum):
    STOP_EMAILS = "stop_emails"
    LEAVE = "leave"
    LEAVE_AND_DELETE = "leave_and_delete"


def stop_emails(member: PanelMember) -> PanelMember:
    """Stop every e-mail to an active member; a member already gone is left as they are."""
    with staff_action(MEMBER_LINK, Right.PANEL, member.council_id, action="unsubscribe") as note:
        member = PanelMember.objects.select_for_update().get(pk=member.pk)
        if member.status == MemberStatus.ACTIVE:
            member.status = MemberStatus.UNSUBSCRIBED
            member.save(update_fields=["status"])
        note.target = member
        note.summary = f"member #{member.pk} unsubscribed from the e-mail link"
    return member


def leave_panel(member: PanelMember) -> PanelMember:
    """Withdraw the member: no more e-mails or surveys, their links stop working."""
    with staff_action(MEMBER_LINK, Right.PANEL, member.council_id, action="withdraw") as note:
        member = PanelMember.objects.select_for_update().get(pk=member.pk)
        if member.status != MemberStatus.WITHDRAWN and member.erased_at is None:
            member.status = MemberStatus.WITHDRAWN
            member.save(update_fields=["status"])
        note.target = member
        note.summary = f"member #{member.pk} left the panel from the e-mail link"
    return member


def leave_panel_and_delete_answers(member: PanelMember) -> PanelMember:
    """Withdraw the member and erase them now: contact details, links and answers."""
    with transaction.atomic():  # both or neither
        member = leave_panel(member)
        if member.erased_at is None:
            erase_member(MEMBER_LINK, member, keep_answers=False)
            member.refresh_from_db()
    return member


def carry_out(member: PanelMember, choice: Leaving) -> PanelMember:
    """Do what the member chose."""
    return {
        Leaving.STOP_EMAILS: stop_emails,
        Leaving.LEAVE: leave_panel,
        Leaving.LEAVE_AND_DELETE: leave_panel_and_delete_answers,
    }[choice](member)
