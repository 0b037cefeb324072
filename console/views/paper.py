"""Paper questionnaires and telephone scripts, and importing their responses."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from console.forms import (
    PrintCopiesForm,
    ResponseUploadForm,
)
from console.gate import _wave, console_view
from console.refusals import show_refusal
from experiments.forms import AboutYouForm, ThemePageForm
from experiments.models import (
    ResponseUpload,
    Wave,
    WaveStatus,
)
from experiments.paper import parse_external_ids, print_paper_copies
from experiments.policy import Right, get_scoped
from experiments.questionnaires import (
    needs_welsh,
)
from experiments.response_uploads import check_response_upload, commit_response_upload
from surveyplatform.domain import ActionRefused


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
            copies = print_paper_copies(
                request.user,
                wave,
                external_ids=None if ids_text is None else parse_external_ids(ids_text),
                kind=kind,
            )
        except ActionRefused as refusal:
            error = str(refusal)
        else:
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
        try:
            stored = check_response_upload(request.user, wave, content=upload, filename=upload.name)
        except ActionRefused as refusal:
            show_refusal(form, refusal)
        else:
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
    upload = get_scoped(
        ResponseUpload.objects.filter(wave=wave),
        request.user,
        Right.FIELDWORK,
        pk=response_upload_id,
    )
    if request.method == "POST":
        try:
            result = commit_response_upload(request.user, upload)
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
            return redirect(
                "console:response_import_report", wave_id=wave.pk, response_upload_id=upload.pk
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
