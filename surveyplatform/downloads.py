"""One streamed download response, shared by every front end that serves a stored file."""

from pathlib import Path

from django.http import FileResponse


def attachment(path: Path, *, filename: str, content_type: str) -> FileResponse:
    """Stream a finished file as an attachment that no cache keeps."""
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "no-store"
    return response
