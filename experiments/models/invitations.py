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
