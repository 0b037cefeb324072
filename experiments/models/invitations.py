"""Personal invitation links."""

from django.db import models

from experiments.models.waves import Wave


class Invitation(models.Model):
    """A personal link; only the SHA-256 of its 256-bit token is stored."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(
        "panel.PanelMember", on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "member"], name="one_invitation_per_wave")
        ]

    def __str__(self) -> str:
        return f"Invitation #{self.pk} ({self.wave})"


class EarlierInvitationToken(models.Model):
    """An earlier link of an invitation, which keeps working beside the newest one.

    Each e-mail carries a new link (the database keeps only hashes, so a link can be shown
    only when it is made), and a member may click the invitation after the reminder came.
    """

    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, related_name="earlier_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Earlier link of invitation #{self.invitation_id}"
