"""Paper questionnaires and telephone scripts, and importing their responses."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.log import record_action
from console.forms import (
    PrintCopiesForm,
    ResponseUploadForm,
)
from console.gate import ADMIN, _wave, console_view
from experiments.forms import AboutYouForm, ThemePageForm
from experiments.models import (
    ResponseUpload,
    Wave,
    WaveStatus,
)
from experiments.paper import PrintRefused, members_to_print, parse_external_ids, print_copies
from experiments.questionnaires import (
    needs_welsh,
)
from experiments.response_imports import (
    ResponseFileError,
    check_response_file,
    import_response_file,
)
from experiments.tenancy import get_scoped_or_404
from surveyplatform.uploads import without_nul


@console_view
def print_paper(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Choose members, allocate them as an online opening would, and print their copies."""
    wave = _wave(request, wave_id)
    form = PrintCopiesForm(request.POST or None, request.FILES or None)
    error = None
    if wave.status != WaveStatus.OPEN:
        error = _("Paper questionnaires can only be printed while the wave is open.")
    elif request.method == "POST" and form.is_valid():
        ids_text = form.cleaned_data["ids_text"]
        kind = form.cleaned_data["kind"]
        try:
            members = members_to_print(
                wave, external_ids=None if ids_text is None else parse_external_ids(ids_text)
            )
            copies = print_copies(wave, members=members, kind=kind)
        except PrintRefused as refused:
            error = str(refused)
        else:
            record_action(
                request.user,
                action="print_paper",
                council=wave.council,
                target=wave,
                summary=f"{len(copies)} {kind} copies printed; members allocated as needed",
                details={"kind": kind, "count": len(copies)},
            )
            return _printed_copies(request, wave, copies, kind=kind)
    return render(
        request,
        "console/print_paper.html",
        {"wave": wave, "form": form, "refusal": error},
        status=400 if request.method == "POST" else 200,
    )


def _printed_copies(request: HttpRequest, wave: Wave, copies, *, kind: str) -> HttpResponse:
    """Render the copies with the online page's forms, each in its member's language."""
    about = {}
    printed = []
    for copy in copies:
        with translation.override(copy.language):
            if copy.language not in about:
                about[copy.language] = AboutYouForm(in_wales=needs_welsh(wave), wards=[])
            forms = [
                ThemePageForm(page=page, manipulation_check=wave.manipulation_check)
                for page in copy.pages
            ]
        printed.append({"copy": copy, "forms": forms, "about": about[copy.language]})
    response = render(
        request,
        "experiments/paper_questionnaire.html",
        {"wave": wave, "printed": printed, "kind": kind},
    )
    response["Cache-Control"] = "no-store"
    return response


@console_view
def response_import(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Upload paper or telephone responses and see the dry run; nothing is imported yet."""
    wave = _wave(request, wave_id)
    form = ResponseUploadForm(request.POST or None, request.FILES or None)
    # A draft wave's page only says why nothing can be imported yet; the check refuses too.
    if request.method == "POST" and wave.status != WaveStatus.DRAFT and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload  # read by the check, only once its size is within the limit
        report = check_response_file(wave, content=content, filename=upload.name)
        stored = ResponseUpload.keep(
            report,
            content=content,
            filename=upload.name,
            uploaded_by=request.user,
            council=wave.council,
            wave=wave,
        )
        return redirect(
            "console:response_import_report", wave_id=wave.pk, response_upload_id=stored.pk
        )
    status = 400 if request.method == "POST" else 200
    uploads = ResponseUpload.objects.filter(wave=wave).order_by("-uploaded_at")[:10]
    return render(
        request,
        "console/response_import.html",
        {"form": form, "wave": wave, "uploads": uploads},
        status=status,
    )


@console_view
def response_import_report(
    request: HttpRequest, wave_id: int, response_upload_id: int
) -> HttpResponse:
    wave = _wave(request, wave_id)
    upload = get_scoped_or_404(
        ResponseUpload.objects.filter(wave=wave), request.user, roles=ADMIN, pk=response_upload_id
    )
    if request.method == "POST":
        if not upload.importable:
            messages.error(request, _("This file cannot be imported again; upload it anew."))
            return redirect(
                "console:response_import_report", wave_id=wave.pk, response_upload_id=upload.pk
            )
        try:
            result = import_response_file(
                wave, content=bytes(upload.content), filename=upload.filename
            )
        except ResponseFileError as error:
            # The panel or the wave changed since the dry run: show the new report.
            upload.report = without_nul(error.report.as_dict())
            upload.content = b""
            upload.save(update_fields=["report", "content"])
            messages.error(request, _("The file has problems; nothing was imported."))
            return redirect(
                "console:response_import_report", wave_id=wave.pk, response_upload_id=upload.pk
            )
        upload.imported_at = timezone.now()
        upload.content = b""
        upload.result = {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
        upload.save(update_fields=["imported_at", "content", "result"])
        record_action(
            request.user,
            action="import_responses",
            council=wave.council,
            target=upload,
            summary=(
                f"{upload.filename} into wave #{wave.pk}: {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged"
            ),
            details=upload.result,
        )
        messages.success(
            request,
            _(
                "Imported: %(created)d new responses, %(updated)d corrected, "
                "%(unchanged)d unchanged."
            )
            % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
        )
        return redirect("console:wave", wave_id=wave.pk)
    return render(
        request,
        "console/response_import_report.html",
        {"wave": wave, "upload": upload, "report": upload.report},
    )
