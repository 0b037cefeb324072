"""E-mails to members: each delivery, and the reminders an admin planned."""

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
