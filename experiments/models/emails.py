"""E-mails to members: each delivery, the copies kept to read, and the planned reminders."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailKind(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Reminder")
    DEBRIEF = "debrief", _("Debrief")
    SUMMARY = "summary", _("You said, we did")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


class EmailDelivery(models.Model):
    """One e-mail to one member: queued, then sent or failed, and perhaps bounced later."""

    wave = models.ForeignKey("experiments.Wave", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey("panel.PanelMember", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=EmailKind.choices)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    # The sending that chose this member, for invitations sent through the console.
    batch = models.ForeignKey(
        "experiments.InvitationBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["wave", "kind", "status"])]
        verbose_name_plural = "e-mail deliveries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to member #{self.member_id}: {self.status}"


class ReminderSchedule(models.Model):
    """A reminder the admin planned for a wave; the beat task sends it once when it falls due."""

    wave = models.ForeignKey(
        "experiments.Wave", on_delete=models.CASCADE, related_name="reminder_schedules"
    )
    send_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["send_at", "id"]

    def __str__(self) -> str:
        return f"Reminder for wave #{self.wave_id} at {self.send_at:%Y-%m-%d %H:%M}"


class EmailCopy(models.Model):
    """An e-mail as it was sent, kept so that staff can read it in the console.

    A member's copy hides their name and their links (the delivery says who it went to;
    the address stays with the panel's contact details). A test e-mail that a member of
    staff sent to themselves is kept whole, with the address it went to.
    """

    wave = models.ForeignKey("experiments.Wave", on_delete=models.CASCADE, related_name="+")
    delivery = models.OneToOneField(
        EmailDelivery, null=True, blank=True, on_delete=models.CASCADE, related_name="copy"
    )
    kind = models.CharField(max_length=12, choices=EmailKind.choices)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_address = models.EmailField(blank=True)
    language_first = models.CharField(max_length=5, choices=settings.LANGUAGES, default="en")
    from_header = models.CharField(max_length=400)
    reply_to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=1000)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "e-mail copies"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(delivery__isnull=True) & ~models.Q(staff_address=""))
                | (models.Q(delivery__isnull=False) & models.Q(staff_address="")),
                name="an_email_copy_is_a_members_or_a_staff_test",
            )
        ]

    def __str__(self) -> str:
        return f"Copy of {self.get_kind_display().lower()} e-mail #{self.pk}"

    @property
    def is_test(self) -> bool:
        return self.delivery_id is None
