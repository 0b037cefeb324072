"""The results report of a wave as one HTML document, for the page, a download or a bundle."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from analysis.report import build_report


def results_css() -> str:
    path = finders.find("css/results.css")
    return Path(path).read_text(encoding="utf-8") if path else ""


def report_heading(wave, scope) -> str:
    """Name what the report covers: the wave, or every wave of a run over several."""
    if wave is not None:
        return f"{wave.title} — {wave.council.name}"
    waves = scope.waves.select_related("council").order_by("council__name", "pk")
    return "; ".join(f"{w.title} — {w.council.name}" for w in waves)


def render_results_html(wave, run, *, standalone: bool = False, request=None, scope=None) -> str:
    """Render the report of `run` (or the no-results page when None).

    `scope` is the run over several waves being shown (then `wave` is None); until it is
    done the page says how far it got and reloads itself. The page links its style sheet
    (the CSP allows no inline style); a standalone document, opened from disk or from a
    bundle, carries the same rules inline.
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
            "scope": scope,
            "heading": report_heading(wave, scope),
            "refresh": scope is not None and run is None and scope.status in ("pending", "running"),
            "report": report,
            "inline_css": inline_css,
            "standalone": standalone,
        },
        request=request,
    )
