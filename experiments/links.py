"""Personal invitation links: issue them, and resolve a presented token."""

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from experiments.models import EarlierInvitationToken, Invitation, Wave
from panel.models import MemberStatus, PanelMember


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str

    @property
    def url(self) -> str:
        return settings.PUBLIC_BASE_URL + reverse("experiments:invitation", args=[self.token])


def issue_invitation(wave: Wave, *, member: PanelMember) -> IssuedInvitation:
    """Create the member's invitation to the wave, or give an existing one another link.

    The plain token exists only in the return value: the database keeps its hash, so a
    lost link can be replaced but never recovered. Earlier links keep working until the
    invitation expires, because members click whichever e-mail they find first.
    """
    if member.council_id != wave.council_id:
        raise ValueError("A member can only be invited to a wave of their own council.")
    token = secrets.token_urlsafe(32)  # 256 bits
    with transaction.atomic():
        invitation, created = Invitation.objects.select_for_update().get_or_create(
            wave=wave, member=member, defaults={"token_hash": hash_token(token)}
        )
        if not created:
            EarlierInvitationToken.objects.create(
                invitation=invitation, token_hash=invitation.token_hash
            )
            invitation.token_hash = hash_token(token)
            invitation.save(update_fields=["token_hash"])
    return IssuedInvitation(invitation=invitation, token=token)


def find_invitation(token: str) -> Invitation | None:
    """Return the live invitation for a token, or None for unknown, expired or withdrawn.

    Every failure answers the same None so that a caller cannot tell them apart.
    """
    if not token or len(token) > 100:
        return None
    token_hash = hash_token(token)
    # The wave's frozen design and analysis plan are large JSON nobody opening a link reads.
    invitations = Invitation.objects.select_related("wave", "member").defer(
        "wave__design", "wave__analysis_plan"
    )
    invitation = invitations.filter(token_hash=token_hash).first()
    if invitation is None:
        invitation = invitations.filter(earlier_tokens__token_hash=token_hash).first()
    if invitation is None:
        return None
    if invitation.expires_at is not None and invitation.expires_at <= timezone.now():
        return None
    if invitation.member.status != MemberStatus.ACTIVE:
        return None
    return invitation
