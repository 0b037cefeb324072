"""Export jobs: every export is a row (`Export`) that a Celery task fills in.

The file is written to a temporary name in the export directory and moved into place
with `os.replace` only when complete, so a crashed or killed worker never leaves a file
anyone can download. Exports are cached by the hash of their inputs: the same request
over the same data returns the file already made.
"""

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _

from experiments.models import Wave, WaveStatus
from experiments.policy import Right, staff_action
from exports.bundle import write_bundle
from exports.cells import ExportError
from exports.models import Export, ExportFormat, ExportStatus
from exports.scope import can_export, compute_input_hash, load_scope
from exports.writers import CONTENT_TYPES, EXTENSIONS, file_digest, write_file
from outbox import jobs
from outbox.relay import enqueue
from surveyplatform.domain import InvalidState, NotFound

EXPORT_DIR = "exports"
# Errors after which the task is delivered again (its autoretry), the job given back.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def request_export(actor, *, wave_ids: list[int], format: str, labels: str = "en") -> Export:
    """Return a done or queued export of these waves; reuse one made from the same inputs.

    Refuse, with a message saying why, a scope that is empty or not closed (ExportError),
    or outside the councils whose data the actor may export (NotFound, NotAllowed).
    """
    if format not in ExportFormat.values:
        raise ExportError(f"Unknown export format {format!r}.")
    if labels not in ("en", "cy"):
        raise ExportError(f"Unknown label language {labels!r}: use en or cy.")
    wave_ids = sorted({int(wave_id) for wave_id in wave_ids})
    if not wave_ids:
        raise ExportError("Choose at least one wave to export.")
    waves = list(Wave.objects.filter(pk__in=wave_ids))
    if set(wave_ids) - {wave.pk for wave in waves}:
        raise NotFound(_("No such waves among yours."))
    council_ids = sorted({wave.council_id for wave in waves})
    with staff_action(actor, Right.EXPORT, council_ids, action="request_export") as note:
        still_open = [wave.title for wave in waves if wave.status != WaveStatus.CLOSED]
        if still_open:
            raise ExportError(
                "Only closed waves can be exported; still open or in draft: "
                + ", ".join(sorted(still_open))
                + "."
            )
        digest = compute_input_hash(wave_ids, format=format, labels=labels)
        reusable = (
            Export.objects.select_for_update()
            .filter(
                input_hash=digest,
                status__in=[ExportStatus.PENDING, ExportStatus.RUNNING, ExportStatus.DONE],
            )
            .order_by("-requested_at")
            .first()
        )
        if reusable and (reusable.status != ExportStatus.DONE or _file_exists(reusable)):
            export = reusable
        else:
            export = Export.objects.create(
                format=format,
                labels=labels,
                wave_ids=wave_ids,
                council_ids=council_ids,
                requested_by=actor if getattr(actor, "is_authenticated", False) else None,
                input_hash=digest,
            )
            enqueue("exports.tasks.produce_export", export_id=export.pk)
        note.target = export
        note.summary = f"{export.format} of waves {export.wave_ids}"[:500]
        note.details = {"councils": export.council_ids, "reused": export is reusable}
    return export


def visible_export(actor, export_id) -> Export:
    """Return an export whose whole scope the actor may export, or refuse with NotFound."""
    export = Export.objects.filter(pk=export_id).first() if str(export_id).isdigit() else None
    if export is None or not can_export(actor, export.council_ids):
        raise NotFound(_("Not found."))
    return export


@dataclass(frozen=True)
class Download:
    """A finished export's file, ready for a front end to stream."""

    path: Path
    filename: str
    content_type: str


def download_export(actor, export: Export) -> Download:
    """Hand over an export's finished file, and record who downloaded it."""
    with staff_action(
        actor, Right.EXPORT, list(export.council_ids), action="download_export"
    ) as note:
        if export.status == ExportStatus.FAILED:
            raise InvalidState(_("The export failed; request it again."))
        if export.status != ExportStatus.DONE:
            raise InvalidState(_("The export is not ready yet; poll it until it is done."))
        path = export_path(export)
        if path is None:
            raise NotFound(_("The file of this export is no longer kept; request it again."))
        note.target, note.summary = export, download_name(export)
        note.details = {"councils": export.council_ids}
    return Download(
        path=path,
        filename=download_name(export),
        content_type=CONTENT_TYPES[EXTENSIONS[export.format]],
    )


def export_path(export: Export) -> Path | None:
    """Return the complete file of a done export, or None."""
    if export.status != ExportStatus.DONE or not export.file_path:
        return None
    path = Path(settings.MEDIA_ROOT) / export.file_path
    return path if path.is_file() else None


def _file_exists(export: Export) -> bool:
    return export_path(export) is not None


def download_name(export: Export) -> str:
    waves = "-".join(str(wave_id) for wave_id in export.wave_ids)
    suffix = {
        ExportFormat.CSV_TIDY: "tidy",
        ExportFormat.CSV_WIDE: "wide",
        ExportFormat.CODEBOOK_HTML: "codebook",
        ExportFormat.CODEBOOK_CSV: "codebook",
        ExportFormat.RESULTS_JSON: "results",
        ExportFormat.BUNDLE: "bundle",
    }.get(export.format, "data")
    return f"waves-{waves}-{suffix}.{EXTENSIONS[export.format]}"


def execute_export(export_id: int, *, outbox_id: int | None = None) -> Export:
    """Produce the export's file once; return the export as it stands.

    The job lifecycle (`outbox.jobs`) lets one delivery at a time write it: an export
    already done, failed, or being written by a live worker is left as it is.
    """
    return jobs.run(Export, export_id, _produce, outbox_id=outbox_id, transient=TRANSIENT_ERRORS)


def _produce(held: jobs.Claim[Export]) -> None:
    """Write the claimed export's file and put it in place as the job finishes."""
    export = held.job
    directory = Path(settings.MEDIA_ROOT) / EXPORT_DIR
    directory.mkdir(parents=True, exist_ok=True)
    sweep_partial_files(directory)
    relative = f"{EXPORT_DIR}/{export.pk}-{export.input_hash[:16]}.{EXTENSIONS[export.format]}"
    # The temporary file sits in the same directory so that os.replace is an atomic rename.
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".partial-", suffix=".tmp")
    os.close(handle)
    try:
        write_export(
            Path(temporary), wave_ids=export.wave_ids, format=export.format, labels=export.labels
        )
        digest, size = file_digest(Path(temporary))
        # Only the delivery that finishes the job puts its file in place.
        held.finish(
            file_path=relative,
            size=size,
            sha256=digest,
            before_commit=lambda: os.replace(temporary, Path(settings.MEDIA_ROOT) / relative),
        )
    finally:
        Path(temporary).unlink(missing_ok=True)


def sweep_partial_files(directory: Path, *, older_than: float = 6 * 3600) -> None:
    """Delete temporary files left by workers killed mid-write (older than any running job)."""
    cutoff = time.time() - older_than
    for leftover in directory.glob(".partial-*"):
        with contextlib.suppress(FileNotFoundError):
            if leftover.stat().st_mtime < cutoff:
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    leftover.unlink()


def write_export(path: Path, *, wave_ids: list[int], format: str, labels: str = "en") -> None:
    """Write one export of the waves to `path` (a plain function, without any job row)."""
    if format == ExportFormat.BUNDLE:
        write_bundle(path, scope=load_scope(wave_ids), wave_ids=wave_ids, labels=labels)
    else:
        write_file(path, wave_ids=wave_ids, format=format, labels=labels)
