"""The `Export` job row: one file of research data, produced by a Celery task."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from outbox.models import Job, JobStatus

# An export's status is a job's (outbox.jobs moves it).
ExportStatus = JobStatus


class ExportFormat(models.TextChoices):
    CSV_TIDY = "csv_tidy", _("CSV, one row per response and theme")
    CSV_WIDE = "csv_wide", _("CSV, one row per response")
    STATA = "dta", _("Stata (.dta)")
    SPSS = "sav", _("SPSS (.sav)")
    CODEBOOK_HTML = "codebook_html", _("Codebook (HTML)")
    CODEBOOK_CSV = "codebook_csv", _("Codebook (CSV)")
    RESULTS_JSON = "results_json", _("Analysis results (JSON)")
    BUNDLE = "bundle", _("Reproducibility bundle (zip)")


class LabelLanguage(models.TextChoices):
    ENGLISH = "en", _("English")
    WELSH = "cy", _("Welsh")


class Export(Job):
    """A requested export of one or more closed waves; done rows point at a complete file."""

    format = models.CharField(max_length=20, choices=ExportFormat.choices)
    labels = models.CharField(
        max_length=2, choices=LabelLanguage.choices, default=LabelLanguage.ENGLISH
    )
    # The scope, sorted; the councils are stored too so that access checks need no join.
    wave_ids = models.JSONField()
    council_ids = models.JSONField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="exports",
    )
    input_hash = models.CharField(max_length=64, db_index=True)
    # Relative to MEDIA_ROOT; set only once the complete file has been moved into place.
    file_path = models.CharField(max_length=300, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="done") | ~models.Q(file_path=""),
                name="done_export_has_file",
            )
        ]

    def __str__(self) -> str:
        return f"Export #{self.pk} ({self.format})"
