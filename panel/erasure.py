"""GDPR erasure of panel members, one by one or by each council's retention period.

Erasing a member removes everything that identifies them:

- their contact details (`MemberContact`: e-mail and name) are deleted;
- their external id becomes a random tombstone, and the household key is cleared;
- every invitation's token hash becomes a random value and its earlier links are deleted
  (the links stop working, and the wave's count of invitations stays true);
- error texts of their e-mail deliveries (which may quote the address) are cleared;
- uploaded panel and response files of their council that mention them are emptied, and
  the stored import reports have their values replaced by "[erased]".

Their answers (`Response` and everything hanging off it) are deleted too, unless the
council recorded a research exemption (`Council.research_exemption`) and the caller asks
to keep them: then the pseudonymous answers stay, with the panel record's ward, age band
and gender, so that finished analyses still hold. The allocation log (`Assignment`)
stays either way: it holds no identifier and `verify_allocation` needs it.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from experiments.models import (
    Council,
    EarlierInvitationToken,
    EmailDelivery,
    Invitation,
    Response,
    ResponseUpload,
    WaveStatus,
)
from experiments.policy import SYSTEM, Right, staff_action
from panel.models import MemberContact, MemberStatus, PanelMember, PanelUpload
from surveyplatform.domain import InvalidState

ERASED = "[erased]"


class ErasureError(InvalidState):
    """An erasure that is not allowed; nothing was changed."""


@dataclass(frozen=True)
class ErasureResult:
    member_id: int
    answers_kept: bool
    responses_deleted: int
    invitations_voided: int


def _tombstone() -> str:
    return f"erased-{secrets.token_hex(16)}"


def _scrub(value, needles: list[str]):
    """Return a JSON-like value with every string that contains a needle replaced."""
    if isinstance(value, str):
        return ERASED if any(needle in value for needle in needles) else value
    if isinstance(value, list):
        return [_scrub(item, needles) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, needles) for key, item in value.items()}
    return value


def _scrub_uploads(council_id: int, needles: list[str]) -> int:
    """Empty the council's uploaded files that mention the member; scrub their reports."""
    scrubbed = 0
    uploads = [
        *PanelUpload.objects.select_for_update().filter(council_id=council_id),
        *ResponseUpload.objects.select_for_update().filter(council_id=council_id),
    ]
    for upload in uploads:
        content = bytes(upload.content or b"")
        in_content = any(needle.encode() in content for needle in needles)
        report = _scrub(upload.report, needles)
        if in_content or report != upload.report:
            upload.content = b"" if in_content else content
            upload.report = report
            upload.save(update_fields=["content", "report"])
            scrubbed += 1
    return scrubbed


def erase_member(actor, member: PanelMember, *, keep_answers: bool) -> ErasureResult:
    """Erase a member's identifiers, and their answers unless kept under an exemption.

    Refuses (ErasureError, nothing changed) to keep answers when the member's council has
    not recorded a research exemption, and to erase a member twice.
    """
    with staff_action(actor, Right.PANEL, member.council_id, action="erase_member") as note:
        member = PanelMember.objects.select_for_update().select_related("council").get(pk=member.pk)
        if member.erased_at is not None:
            raise ErasureError(_("This member has already been erased."))
        if keep_answers and not member.council.research_exemption:
            raise ErasureError(
                _("Answers can be kept only when the council has recorded a research exemption.")
            )
        contact = MemberContact.objects.filter(member=member).first()
        needles = [member.external_id]
        if contact is not None:
            needles += [value for value in (contact.email, contact.name) if len(value) >= 3]
            contact.delete()

        invitations = list(Invitation.objects.select_for_update().filter(member=member))
        for invitation in invitations:
            invitation.token_hash = secrets.token_hex(32)
            invitation.save(update_fields=["token_hash"])
        EarlierInvitationToken.objects.filter(invitation__in=invitations).delete()
        EmailDelivery.objects.filter(member=member).update(error="")
        _scrub_uploads(member.council_id, needles)

        responses_deleted = 0
        if not keep_answers:
            responses_deleted = Response.objects.filter(member=member).count()
            Response.objects.filter(member=member).delete()
            member.ward = member.age_band = member.gender = ""
        member.external_id = _tombstone()
        member.household_key = ""
        if member.status == MemberStatus.ACTIVE:
            member.status = MemberStatus.WITHDRAWN
        member.erased_at = timezone.now()
        member.save()
        note.target = member
        note.summary = f"member #{member.pk} erased" + (
            " (answers kept under the research exemption)" if keep_answers else ""
        )
        note.details = {"answers_kept": keep_answers, "responses_deleted": responses_deleted}
    return ErasureResult(
        member_id=member.pk,
        answers_kept=keep_answers,
        responses_deleted=responses_deleted,
        invitations_voided=len(invitations),
    )


def members_due_for_erasure(council: Council, *, now=None):
    """Members of a council past its retention period.

    Those who withdrew N days ago, or whose last wave closed N days ago (and who are in no
    wave still running).
    """
    if council.retention_days is None:
        return PanelMember.objects.none()
    cutoff = (now or timezone.now()) - timedelta(days=council.retention_days)
    members = PanelMember.objects.filter(council=council, erased_at__isnull=True).annotate(
        last_closed=Max("invitations__wave__closed_at"),
        still_running=Max(
            "invitations__wave__pk",
            filter=~Q(invitations__wave__status=WaveStatus.CLOSED),
        ),
    )
    return members.filter(
        Q(withdrawn_at__lte=cutoff) | Q(last_closed__lte=cutoff, still_running__isnull=True)
    )


def erase_expired_members(*, now=None) -> int:
    """Erase every member past their council's retention period; return how many."""
    erased = 0
    for council in Council.objects.filter(retention_days__isnull=False):
        for member in members_due_for_erasure(council, now=now).order_by("pk"):
            try:
                erase_member(SYSTEM, member, keep_answers=council.research_exemption)
            except ErasureError:
                continue
            erased += 1
    return erased
