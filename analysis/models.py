from django.conf import settings
from django.db import models

from outbox.models import Job, JobStatus

# A run's status is a job's (outbox.jobs moves it).
RunStatus = JobStatus


class AnalysisRun(Job):
    """One computation of the results of a wave, or of a set of waves; the Celery task fills it in.

    A wave's own run (made when it closes) has `wave` set; a run a researcher asks for
    over several waves has no `wave`. Both list their waves in `waves` and, sorted, in
    `wave_key`, which finds an earlier run over the same set.
    """

    wave = models.ForeignKey(
        "experiments.Wave",
        on_delete=models.CASCADE,
        related_name="analysis_runs",
        null=True,
        blank=True,
    )
    waves = models.ManyToManyField("experiments.Wave", related_name="covering_runs")
    wave_key = models.CharField(max_length=1000, blank=True, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="analysis_runs",
    )
    # Cheap facts about the inputs (answer counts, last change, plan), known before the
    # frames are loaded: a request with the same facts reuses the run instead of queuing one.
    request_hash = models.CharField(max_length=64, blank=True, db_index=True)
    input_hash = models.CharField(max_length=64, blank=True)
    plan_hash = models.CharField(max_length=64, blank=True)
    design_hash = models.CharField(max_length=64, blank=True)
    software = models.JSONField(default=dict, blank=True)
    # A run whose inputs equal those of an earlier done run reuses its results.
    reused_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reused_by"
    )
    results = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        if self.wave_id:
            return f"Analysis run #{self.pk} of {self.wave}"
        return f"Analysis run #{self.pk} of waves {self.wave_key}"

    @property
    def wave_ids(self) -> list[int]:
        return [int(part) for part in self.wave_key.split(",") if part]
