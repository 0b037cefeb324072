"""The results report of a wave as one HTML document, for the page, a download or a bundle."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from analysis.report import build_report


def results_css() -> str:
    path = finders.find("css/results.css")
    return Path(path).read_text(encoding="utf-8") if path else ""


def render_results_html(wave, run, *, standalone: bool = False, request=None) -> str:
    """Render the report of `run` (or the no-results page when None).

    The page links its style sheet (the CSP allows no inline style); a standalone document,
    opened from disk or from a bundle, carries the same rules inline.
    """
    report = build_report(run.results) if run else None
    if report:
        for key in ("levels_svg", "forest_svg", "consort_svg"):
            report[key] = mark_safe(report[key])  # built from escaped text only
    inline_css = mark_safe(results_css()) if standalone else ""
    return render_to_string(
        "analysis/results.html",
        {
            "wave": wave,
            "run": run,
            "report": report,
            "inline_css": inline_css,
            "standalone": standalone,
        },
        request=request,
    )
