"""The results page of a wave: the five tables, charts and summaries, as HTML."""

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from analysis.access import can_view_results
from analysis.report import build_report
from analysis.runs import latest_done_run
from experiments.models import Wave


def _results_css() -> str:
    path = finders.find("css/results.css")
    return Path(path).read_text(encoding="utf-8") if path else ""


@login_required(login_url="admin:login")
def wave_results(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Show the latest finished analysis of a wave; `?download=html` saves it as a file."""
    wave = get_object_or_404(Wave.objects.select_related("council"), pk=wave_id)
    # A wave of another council answers 404, as if it did not exist.
    if not can_view_results(request.user, wave):
        raise Http404
    run = latest_done_run(wave.pk)
    report = build_report(run.results) if run else None
    if report:
        for key in ("levels_svg", "forest_svg", "consort_svg"):
            report[key] = mark_safe(report[key])  # built from escaped text only
    download = request.GET.get("download") == "html"
    # The page links its style sheet (the CSP allows no inline style); the saved file,
    # opened from disk, carries the same rules inline.
    inline_css = mark_safe(_results_css()) if download else ""
    html = render_to_string(
        "analysis/results.html",
        {"wave": wave, "run": run, "report": report, "inline_css": inline_css},
        request=request,
    )
    response = HttpResponse(html)
    if download:
        response["Content-Disposition"] = f'attachment; filename="results-wave-{wave.pk}.html"'
    return response
