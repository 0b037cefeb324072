"""The results page of a wave: the five tables, charts and summaries, as HTML or PDF."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from analysis.access import can_view_results
from analysis.report_html import render_results_html
from analysis.report_pdf import PdfUnavailable, render_results_pdf
from analysis.runs import latest_done_run
from experiments.models import Wave


@login_required(login_url="admin:login")
def wave_results(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Show the latest finished analysis of a wave; `?download=html` or `pdf` saves it."""
    wave = get_object_or_404(Wave.objects.select_related("council"), pk=wave_id)
    # A wave of another council answers 404, as if it did not exist.
    if not can_view_results(request.user, wave):
        raise Http404
    return results_response(
        request, wave, latest_done_run(wave.pk), filename=f"results-wave-{wave.pk}"
    )


def results_response(request: HttpRequest, wave, run, *, filename: str) -> HttpResponse:
    """Answer with the report as a page, or as an HTML or PDF file to save."""
    download = request.GET.get("download")
    if download == "pdf":
        try:
            pdf = render_results_pdf(wave, run, request=request)
        except PdfUnavailable:
            return HttpResponse(
                _("The PDF report cannot be made on this server; download the HTML report."),
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
        return response
    standalone = download == "html"
    html = render_results_html(wave, run, standalone=standalone, request=request)
    response = HttpResponse(html)
    if standalone:
        response["Content-Disposition"] = f'attachment; filename="{filename}.html"'
    return response
