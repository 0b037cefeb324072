"""The results page of a wave: the five tables, charts and summaries, as HTML."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from analysis.access import can_view_results
from analysis.report_html import render_results_html
from analysis.runs import latest_done_run
from experiments.models import Wave


@login_required(login_url="admin:login")
def wave_results(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Show the latest finished analysis of a wave; `?download=html` saves it as a file."""
    wave = get_object_or_404(Wave.objects.select_related("council"), pk=wave_id)
    # A wave of another council answers 404, as if it did not exist.
    if not can_view_results(request.user, wave):
        raise Http404
    download = request.GET.get("download") == "html"
    html = render_results_html(wave, latest_done_run(wave.pk), standalone=download, request=request)
    response = HttpResponse(html)
    if download:
        response["Content-Disposition"] = f'attachment; filename="results-wave-{wave.pk}.html"'
    return response
