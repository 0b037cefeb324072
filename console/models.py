"""What the console records: the audit log, e-mail deliveries, reminder schedules, uploads."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One console action that changed a wave, a text or the panel. Never updated or deleted."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    council = models.ForeignKey(
        "experiments.Council", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only.")


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


def without_nul(value):
    """Replace NUL characters, which Postgres text and jsonb refuse, with U+FFFD.

    A problem message quotes the offending cell, so a file with a NUL byte in a cell
    would otherwise fail to store its own report.
    """
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {key: without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


class CheckedUpload(models.Model):
    """An uploaded file kept between its dry run and the import the admin confirms."""

    council = models.ForeignKey("experiments.Council", on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    report = models.JSONField(default=dict)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.filename

    @classmethod
    def keep(cls, report, *, content: bytes, filename: str, uploaded_by, **owner):
        """Store a dry run's report, and the file only when it can be imported as it is."""
        return cls.objects.create(
            uploaded_by=uploaded_by,
            filename=without_nul(filename)[:255],
            content=content if report.ok else b"",
            report=without_nul(report.as_dict()),
            **owner,
        )

    @property
    def importable(self) -> bool:
        """Not imported yet, and its dry run found no problem."""
        return self.imported_at is None and not self.report.get("problems")


class PanelUpload(CheckedUpload):
    """A panel file (members and their contact details) of one council."""


class ResponseUpload(CheckedUpload):
    """A file of paper or telephone responses kept between its dry run and the import.

    Scoped to the wave's council like every console object; the content is emptied once
    imported, and a file with problems is never kept.
    """

    wave = models.ForeignKey("experiments.Wave", on_delete=models.CASCADE, related_name="+")
    result = models.JSONField(default=dict, blank=True)
