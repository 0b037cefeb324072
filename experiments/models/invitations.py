"""Personal invitation links, the invitation e-mails' wording and whom each sending chose."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from experiments.models.councils import Council
from experiments.models.emails import EmailKind
from experiments.models.waves import Wave
from surveyplatform.text import validate_one_line

# The e-mails whose wording a council may change.
TEMPLATE_KINDS = (EmailKind.INVITATION, EmailKind.REMINDER)


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


class InvitationTemplate(models.Model):
    """A council's own wording of its invitation or reminder e-mail, in both languages.

    Placeholders in braces ({name}, {link}, …) are filled in for each member by
    `experiments.emails`; the unsubscribe line is added below every body, so no wording
    can leave it out. Without a row the council's e-mails use the standard wording.
    """

    council = models.ForeignKey(
        Council, on_delete=models.CASCADE, related_name="invitation_templates"
    )
    kind = models.CharField(max_length=12, choices=[(k.value, k.label) for k in TEMPLATE_KINDS])
    # Header text: one line each, so that no wording can add a header.
    sender_name = models.CharField(max_length=100, blank=True, validators=[validate_one_line])
    reply_to = models.EmailField(blank=True, validators=[validate_one_line])
    subject_en = models.CharField(max_length=200, validators=[validate_one_line])
    subject_cy = models.CharField(max_length=200, validators=[validate_one_line])
    body_en = models.TextField(max_length=5000)
    body_cy = models.TextField(max_length=5000)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["council", "kind"], name="one_invitation_template_of_a_kind_per_council"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} e-mail of {self.council}"


class RecipientRule(models.TextChoices):
    NOT_INVITED = "not_invited", _("Everyone not yet invited")
    SAMPLE = "sample", _("A random sample of those not yet invited")
    GROUPS = "groups", _("Those not yet invited in chosen wards or groups")


class InvitationBatch(models.Model):
    """One choice of whom to invite to a wave: the rule, the draw, who it gave, and the send.

    Planned first (the count and the e-mails are checked), sent once when confirmed. A
    random sample records its seed, so the same members can be drawn again from the same
    list (`experiments.invitations.draw_sample`).
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitation_batches")
    rule = models.CharField(max_length=12, choices=RecipientRule.choices)
    sample_size = models.PositiveIntegerField(null=True, blank=True)
    wards = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    age_bands = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    genders = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    seed = models.CharField(max_length=64, blank=True)
    # How many members the rule could choose from, and the ones it chose (by member id).
    eligible = models.PositiveIntegerField()
    member_ids = ArrayField(models.BigIntegerField(), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queued = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(rule="sample")
                | (models.Q(sample_size__gt=0) & ~models.Q(seed="")),
                name="a_sample_records_its_size_and_seed",
            ),
            models.CheckConstraint(
                condition=models.Q(sent_at__isnull=True) | models.Q(queued__isnull=False),
                name="a_sent_batch_records_how_many_were_queued",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitations #{self.pk} of wave #{self.wave_id}"

    @property
    def count(self) -> int:
        return len(self.member_ids)
