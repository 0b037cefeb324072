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
