from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class AnalysisRun(models.Model):
    """One computation of a wave's results; the Celery task fills it in."""

    wave = models.ForeignKey(
        "experiments.Wave", on_delete=models.CASCADE, related_name="analysis_runs"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    input_hash = models.CharField(max_length=64, blank=True)
    plan_hash = models.CharField(max_length=64, blank=True)
    design_hash = models.CharField(max_length=64, blank=True)
    software = models.JSONField(default=dict, blank=True)
    # A run whose inputs equal those of an earlier done run reuses its results.
    reused_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reused_by"
    )
    results = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"Analysis run #{self.pk} of {self.wave}"


from analysis.export_models import (  # noqa: E402, F401
    Export,
    ExportFormat,
    ExportStatus,
    LabelLanguage,
)
