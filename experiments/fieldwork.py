"""Fieldwork as staff actions: personal links for letters and for one member.

Invitation e-mails and reminders are staff actions of `experiments.invitations`; a
personal link is issued by `experiments.links` and exists only in the answer that issues
it (it is stored as a hash).
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from experiments.links import IssuedInvitation, issue_invitation
from experiments.models import Wave, WaveStatus
from experiments.policy import Right, staff_action
from experiments.randomised_elsewhere import is_randomised_elsewhere
from panel.models import MemberStatus, PanelMember
from surveyplatform.domain import InvalidInput, InvalidState


def _refuse_unless_open(wave: Wave, message: str) -> None:
    """Refuse unless the wave is open and collects answers through personal links."""
    if wave.status != WaveStatus.OPEN:
        raise InvalidState(message)
    if is_randomised_elsewhere(wave):
        raise InvalidState(
            _(
                "This wave was randomised elsewhere: its answers are imported with each "
                "member's group, so it sends no links."
            )
        )


@dataclass(frozen=True)
class LetterLink:
    """One row of the letters file: who to write to, and their personal link."""

    external_id: str
    name: str
    preferred_language: str
    url: str


def issue_letter_links(actor, wave: Wave) -> list[LetterLink]:
    """Issue a fresh personal link for every active member of the wave's council.

    Each call issues new links; earlier links keep working. Contact names are read here,
    in panel management, for the letters the council prints.
    """
    with staff_action(actor, Right.PANEL, wave.council_id, action="download_links") as note:
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        _refuse_unless_open(wave, _("Links can only be issued for an open wave."))
        members = (
            PanelMember.objects.filter(council=wave.council, status=MemberStatus.ACTIVE)
            .select_related("contact")
            .order_by("external_id")
        )
        links = []
        for member in members:
            issued = issue_invitation(wave, member=member)
            contact = getattr(member, "contact", None)
            links.append(
                LetterLink(
                    external_id=member.external_id,
                    name=contact.name if contact else "",
                    preferred_language=member.preferred_language,
                    url=issued.url,
                )
            )
        note.target, note.summary = wave, f"{len(links)} personal links issued for letters"
        note.details = {"links": len(links)}
    return links


def issue_member_link(actor, wave: Wave, *, external_id: str) -> IssuedInvitation:
    """Issue (or replace) one active member's personal link to an open wave."""
    with staff_action(actor, Right.FIELDWORK, wave.council_id, action="issue_link") as note:
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        _refuse_unless_open(wave, _("Links can only be issued for an open wave."))
        member = PanelMember.objects.filter(
            council=wave.council, external_id=external_id, status=MemberStatus.ACTIVE
        ).first()
        if member is None:
            message = _("No active member of the wave's council has this id.")
            raise InvalidInput(message, fields={"external_id": [message]})
        issued = issue_invitation(wave, member=member)
        note.target = wave
        note.summary = f"Personal link issued for {member.external_id}"
    return issued
