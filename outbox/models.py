"""Background jobs recorded in Postgres before they reach the broker.

A job is written in the same transaction as the change that needs it, so the save path
depends on Postgres alone; a relay hands it to Celery after commit, and a sweeper hands it
over again while it is not done, so a Redis outage or flush loses nothing.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending: not yet accepted by the broker")
    SENT = "sent", _("Sent: accepted by the broker, not yet done")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class OutboxMessage(models.Model):
    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    sends = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The sweeper only ever looks at unfinished messages.
            models.Index(
                fields=["status", "created_at"],
                name="outbox_unfinished",
                condition=models.Q(status__in=["pending", "sent"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name} #{self.pk} ({self.status})"


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """A row that a background task fills in once (an export, an analysis run).

    Its status moves only through `outbox.jobs`: claimed by one delivery of the task at a
    time, then done or failed exactly once.
    """

    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Numbers the claims: a delivery writes the outcome only while its claim is the latest.
    attempts = models.PositiveSmallIntegerField(default=0)
    # A running job whose lease has passed lost its worker; the next delivery takes it over.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        abstract = True
