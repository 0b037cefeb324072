"""Files of paper and telephone responses as staff actions: check one, then import it.

A draft wave takes no responses (its design is not frozen and no copy was printed); an
open or closed wave does, and a closed wave's analysis is queued again with the import.
"""

from dataclasses import asdict

from django.utils.translation import gettext as _

from experiments.models import ResponseUpload, Wave, WaveStatus
from experiments.policy import Right, staff_action
from experiments.response_imports import (
    ResponseFileError,
    ResponseImportResult,
    check_response_file,
    import_response_file,
)
from surveyplatform.domain import InvalidState


def check_response_upload(actor, wave: Wave, *, content, filename: str) -> ResponseUpload:
    """Check a file of responses against the wave and keep it with its report.

    `content` is the uploaded file (or its bytes): its size is checked before it is read.
    """
    with staff_action(actor, Right.FIELDWORK, wave.council_id, action="check_responses") as note:
        if wave.status == WaveStatus.DRAFT:
            raise InvalidState(
                _("Responses can be imported once the wave is open and copies are printed.")
            )
        report = check_response_file(wave, content=content, filename=filename)
        upload = ResponseUpload.keep(
            report,
            content=content,
            filename=filename,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            council_id=wave.council_id,
            wave=wave,
        )
        note.target, note.summary = upload, upload.filename
        note.details = {"wave": wave.pk, "ok": report.ok, "problems": len(report.problems)}
    return upload


def commit_response_upload(actor, upload: ResponseUpload) -> ResponseImportResult:
    """Import a checked file of responses, all or nothing.

    The file is checked again under the import's lock; if the panel or the wave changed
    since the dry run and the file now has problems, the new report replaces the old one
    and nothing is imported.
    """
    try:
        with staff_action(
            actor, Right.FIELDWORK, upload.council_id, action="import_responses"
        ) as note:
            upload = ResponseUpload.lock_for_import(upload.pk)
            wave = upload.wave
            result = import_response_file(
                wave, content=bytes(upload.content), filename=upload.filename
            )
            upload.mark_imported(result=asdict(result))
            note.target = upload
            note.summary = (
                f"{upload.filename} into wave #{wave.pk}: {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged"
            )
            note.details = asdict(result)
    except ResponseFileError as error:
        upload.replace_report(error.report)
        raise InvalidState(_("The file has problems; nothing was imported.")) from error
    return result
