"""Panel files as staff actions: check one (a dry run, kept), then import it when confirmed."""

from django.utils.translation import gettext as _

from experiments.models import Council
from experiments.policy import Right, staff_action
from panel.imports import ImportResult, PanelFileError, check_panel_file, import_panel_file
from panel.models import PanelUpload
from surveyplatform.domain import InvalidState


def check_panel_upload(actor, *, council: Council, content, filename: str) -> PanelUpload:
    """Check a panel file and keep it with its report; nothing is imported yet.

    `content` is the uploaded file (or its bytes): its size is checked before it is read.
    """
    with staff_action(actor, Right.PANEL, council, action="check_panel_file") as note:
        report = check_panel_file(content, filename=filename)
        upload = PanelUpload.keep(
            report,
            content=content,
            filename=filename,
            uploaded_by=None if not getattr(actor, "is_authenticated", False) else actor,
            council=council,
        )
        note.target, note.summary = upload, upload.filename
        note.details = {"ok": report.ok, "problems": len(report.problems)}
    return upload


def commit_panel_upload(actor, upload: PanelUpload) -> ImportResult:
    """Import a checked panel file, all or nothing."""
    with staff_action(actor, Right.PANEL, upload.council_id, action="import_panel") as note:
        upload = PanelUpload.lock_for_import(upload.pk)
        try:
            result = import_panel_file(
                upload.council, content=bytes(upload.content), filename=upload.filename
            )
        except PanelFileError as error:
            raise InvalidState(_("The file has problems; nothing was imported.")) from error
        upload.mark_imported()
        note.target = upload
        note.summary = f"{upload.filename}: {result.created} created, {result.updated} updated"
        note.details = {"created": result.created, "updated": result.updated}
    return result
