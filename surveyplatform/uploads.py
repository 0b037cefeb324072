"""Checked uploads: a file kept between its dry run and the import an admin confirms.

The abstract model is shared by the panel's member files and the responses keyed in from
paper and telephone; each app owns its concrete model.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from surveyplatform.domain import InvalidState


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

    @classmethod
    def lock_for_import(cls, pk: int):
        """Return the upload locked for its import; refuse one already imported or with problems.

        Call inside the import's transaction: a second confirmation of the same file waits
        for the first and then finds it imported.
        """
        upload = cls.objects.select_for_update().get(pk=pk)
        if not upload.importable:
            raise InvalidState(_("This file cannot be imported again; upload it anew."))
        return upload

    def mark_imported(self, **fields) -> None:
        """Record the import and drop the file's content, which is no longer needed."""
        self.imported_at = timezone.now()
        self.content = b""
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=["imported_at", "content", *fields])

    def replace_report(self, report) -> None:
        """Keep the report of a check that failed at import time, and drop the file."""
        type(self).objects.filter(pk=self.pk).update(
            report=without_nul(report.as_dict()), content=b""
        )
