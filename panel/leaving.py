"""A member leaving, by their own choice, from the link in any panel e-mail.

Three ways, each one function that owns its transaction and writes the audit entry:

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

from console.audit import record_action
from panel.erasure import erase_member
from panel.models import MemberStatus, PanelMember


class Leaving(StrEnum):
    STOP_EMAILS = "stop_emails"
    LEAVE = "leave"
    LEAVE_AND_DELETE = "leave_and_delete"


def stop_emails(member: PanelMember) -> PanelMember:
    """Stop every e-mail to an active member; a member already gone is left as they are."""
    with transaction.atomic():
        member = PanelMember.objects.select_for_update().get(pk=member.pk)
        if member.status == MemberStatus.ACTIVE:
            member.status = MemberStatus.UNSUBSCRIBED
            member.save(update_fields=["status"])
            record_action(
                None,
                action="unsubscribe",
                council_id=member.council_id,
                target=member,
                summary=f"member #{member.pk} unsubscribed from the e-mail link",
            )
    return member


def leave_panel(member: PanelMember) -> PanelMember:
    """Withdraw the member: no more e-mails or surveys, their links stop working."""
    with transaction.atomic():
        member = PanelMember.objects.select_for_update().get(pk=member.pk)
        if member.status != MemberStatus.WITHDRAWN and member.erased_at is None:
            member.status = MemberStatus.WITHDRAWN
            member.save(update_fields=["status"])
            record_action(
                None,
                action="withdraw",
                council_id=member.council_id,
                target=member,
                summary=f"member #{member.pk} left the panel from the e-mail link",
            )
    return member


def leave_panel_and_delete_answers(member: PanelMember) -> PanelMember:
    """Withdraw the member and erase them now: contact details, links and answers."""
    with transaction.atomic():
        member = leave_panel(member)
        if member.erased_at is None:
            erase_member(member, keep_answers=False)
            member.refresh_from_db()
    return member


def carry_out(member: PanelMember, choice: Leaving) -> PanelMember:
    """Do what the member chose."""
    return {
        Leaving.STOP_EMAILS: stop_emails,
        Leaving.LEAVE: leave_panel,
        Leaving.LEAVE_AND_DELETE: leave_panel_and_delete_answers,
    }[choice](member)
