"""Changes made to a wave after its design was frozen, for the report to list."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviationKind(models.TextChoices):
    NUDGE_TEXT = "nudge_text", _("Nudge text corrected")
    CLOSING_TIME = "closing_time", _("Closing time moved")


class Deviation(models.Model):
    """One change to an open wave that its frozen design did not foresee. Never updated."""

    wave = models.ForeignKey(
        "experiments.Wave", on_delete=models.CASCADE, related_name="deviations"
    )
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=20, choices=DeviationKind.choices)
    summary = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.summary
