"""Files of paper and telephone responses, kept between their dry run and the import."""

from django.db import models

from surveyplatform.uploads import CheckedUpload


class ResponseUpload(CheckedUpload):
    """A file of paper or telephone responses kept between its dry run and the import.

    Scoped to the wave's council like every staff object; the content is emptied once
    imported, and a file with problems is never kept.
    """

    wave = models.ForeignKey("experiments.Wave", on_delete=models.CASCADE, related_name="+")
    result = models.JSONField(default=dict, blank=True)
