"""The results page of a wave: the five tables, charts and summaries, as HTML or PDF."""

from django import forms
from django.db.models import Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from analysis import runs
from analysis.access import analysable_waves, can_view_results, can_view_run, visible_waves
from analysis.models import AnalysisRun, RunStatus
from analysis.report_html import render_preregistration_html, render_results_html
from analysis.report_pdf import PdfUnavailable, kept_pdf, render_results_pdf
from console.gate import staff_view
from experiments.models import Wave, WaveStatus
from experiments.policy import Right, councils_with

PDF_UNAVAILABLE = gettext_lazy(
    "The PDF report cannot be made on this server; download the HTML report."
)


@staff_view(right=Right.RESULTS)
def results_list(request: HttpRequest) -> HttpResponse:
    """List the closed waves whose results the user may read, by council, with their reports."""
    waves = list(
        visible_waves(request.user)
        .filter(status=WaveStatus.CLOSED)
        .annotate(
            analysed_at=Max(
                "analysis_runs__finished_at",
                filter=Q(analysis_runs__status=RunStatus.DONE),
            )
        )
        .order_by("council__name", "council_id", "-closed_at", "-pk")
    )
    exporting = set(councils_with(request.user, Right.EXPORT).values_list("pk", flat=True))
    councils: dict[int, dict] = {}
    for wave in waves:
        entry = councils.setdefault(
            wave.council_id,
            {"council": wave.council, "waves": [], "exports": wave.council_id in exporting},
        )
        entry["waves"].append(wave)
    return render(
        request,
        "analysis/results_list.html",
        {"councils": list(councils.values()), "may_export": bool(exporting)},
    )


@staff_view(right=Right.RESULTS)
def wave_results(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Show the latest finished analysis of a wave; `?download=html` or `pdf` saves it."""
    wave = get_object_or_404(Wave.objects.select_related("council"), pk=wave_id)
    # A wave of another council answers 404, as if it did not exist.
    if not can_view_results(request.user, wave):
        raise Http404
    return results_response(
        request, wave, runs.latest_done_run(wave.pk), filename=f"results-wave-{wave.pk}"
    )


def results_response(
    request: HttpRequest, wave, done, *, filename: str, scope=None
) -> HttpResponse:
    """Answer with the report of the done run as a page, or as an HTML or PDF file to save.

    `scope` is the run over several waves the page is about (finished or not): it names
    the waves, and its progress shows until it is done.
    """
    download = request.GET.get("download")
    language = request.GET.get("lang")
    if download == "pdf":
        try:
            pdf = render_results_pdf(wave, done, scope=scope, request=request, language=language)
        except PdfUnavailable:
            return _pdf_unavailable()
        return _attachment(pdf, f"{filename}.pdf", content_type="application/pdf")
    standalone = download == "html"
    html = render_results_html(
        wave, done, scope=scope, standalone=standalone, request=request, language=language
    )
    if standalone:
        return _attachment(html, f"{filename}.html", content_type="text/html; charset=utf-8")
    return HttpResponse(html)


def _pdf_unavailable() -> HttpResponse:
    return HttpResponse(str(PDF_UNAVAILABLE), status=503, content_type="text/plain; charset=utf-8")


def _attachment(content, filename: str, *, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_view(right=Right.RESULTS)
def wave_preregistration(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Show the wave's pre-analysis plan (frozen at opening); `?download=html` or `pdf` saves it."""
    wave = get_object_or_404(Wave.objects.select_related("council"), pk=wave_id)
    if not can_view_results(request.user, wave):
        raise Http404
    download = request.GET.get("download")
    language = request.GET.get("lang")
    html = render_preregistration_html(
        wave, language=language, standalone=download in ("html", "pdf"), request=request
    )
    if html is None:
        raise Http404(_("This wave has not opened, so it has no pre-registration yet."))
    filename = f"preregistration-wave-{wave.pk}"
    if download == "pdf":
        try:
            return _attachment(kept_pdf(html), f"{filename}.pdf", content_type="application/pdf")
        except PdfUnavailable:
            return _pdf_unavailable()
    if download == "html":
        return _attachment(html, f"{filename}.html", content_type="text/html; charset=utf-8")
    return HttpResponse(html)


class RunRequestForm(forms.Form):
    waves = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Closed waves to analyse together (each council × theme is a case)"),
        error_messages={"required": gettext_lazy("Choose at least one wave.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["waves"]
        field.queryset = analysable_waves(user).order_by("council__name", "-closed_at", "pk")
        field.label_from_instance = lambda wave: f"{wave.council.name}: {wave.title}"


def _posted_wave_ids(request: HttpRequest) -> list[int]:
    """Return the wave ids of the form; a wave the user may not see answers 404."""
    try:
        ids = {int(value) for value in request.POST.getlist("waves")}
    except ValueError:
        return []  # not ids at all: the form says so
    if len(ids) != visible_waves(request.user).filter(pk__in=ids).count():
        raise Http404
    return sorted(ids)


@staff_view(right=Right.RESULTS)
@require_http_methods(["GET", "POST"])
def run_list(request: HttpRequest) -> HttpResponse:
    """Ask for an analysis over several closed waves, and list the runs already made."""
    if not request.user.is_staff:
        raise Http404
    if request.method == "POST":
        _posted_wave_ids(request)
    form = RunRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            run = runs.request_analysis_over(
                request.user, wave_ids=[wave.pk for wave in form.cleaned_data["waves"]]
            )
        except runs.AnalysisRequestError as error:
            form.add_error(None, str(error))
        else:
            return redirect("analysis:run_results", run_id=run.pk)
    return render(
        request,
        "analysis/runs.html",
        {"form": form, "runs": runs.visible_runs_over_waves(request.user)},
    )


@staff_view(right=Right.RESULTS)
def run_results(request: HttpRequest, run_id: int) -> HttpResponse:
    """Show a run over several waves (or its progress); `?download=html` or `pdf` saves it."""
    run = get_object_or_404(AnalysisRun.objects.select_related("wave__council"), pk=run_id)
    # A run holding a wave of another council answers 404, as if it did not exist.
    if not can_view_run(request.user, run):
        raise Http404
    done = run if run.status == RunStatus.DONE else None
    return results_response(request, run.wave, done, scope=run, filename=f"results-run-{run.pk}")
