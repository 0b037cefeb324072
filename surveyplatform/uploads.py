"""Checked uploads: a file kept between its dry run and the import an admin confirms.

The abstract model is shared by the panel's member files and the responses keyed in from
paper and telephone; each app owns its concrete model.
"""

from django.conf import settings
from django.db import models


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
    def keep(cls, report, *, content, filename: str, uploaded_by, **owner):
        """Store a dry run's report, and the file only when it can be imported as it is.

        `content` is bytes or the uploaded file; a file is read only when its dry run
        passed, which includes the check of its size.
        """
        if not report.ok:
            content = b""
        elif not isinstance(content, bytes | bytearray | memoryview):
            content.seek(0)
            content = content.read()
        return cls.objects.create(
            uploaded_by=uploaded_by,
            filename=without_nul(filename)[:255],
            content=content,
            report=without_nul(report.as_dict()),
            **owner,
        )

    @property
    def importable(self) -> bool:
        """Not imported yet, and its dry run found no problem."""
        return self.imported_at is None and not self.report.get("problems")
