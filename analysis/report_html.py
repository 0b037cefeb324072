"""The results report of a wave as one HTML document, for the page, a download or a bundle."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from analysis import datasets
from analysis.report import arm_labels, build_report

LANGUAGES = ("en", "cy")


def results_css() -> str:
    path = finders.find("css/results.css")
    return Path(path).read_text(encoding="utf-8") if path else ""


def report_heading(wave, scope) -> str:
    """Name what the report covers: the wave, or every wave of a run over several."""
    if wave is not None:
        return f"{wave.title} — {wave.council.name}"
    waves = scope.waves.select_related("council").order_by("council__name", "pk")
    return "; ".join(f"{w.title} — {w.council.name}" for w in waves)


def report_language(wave, requested: str | None) -> str:
    """Return the report's language: the one asked for (`?lang=`), else the active one."""
    if requested in LANGUAGES:
        return requested
    active = (translation.get_language() or "en")[:2]
    return active if active in LANGUAGES else "en"


def deviation_text(deviation: dict) -> str:
    """Return a deviation record in the active language."""
    if deviation["kind"] == "plan_changed":
        return _("The analysis plan differs from the one frozen when the wave opened.")
    if deviation["kind"] == "nudge_text":
        welsh = translation.get_language() == "cy" and deviation.get("theme_cy")
        return _(
            "The text of nudge %(nudge)s on %(theme)s was edited after opening (version "
            "%(version)s, %(at)s UTC)."
        ) % {
            "nudge": deviation["nudge"].upper(),
            "theme": deviation["theme_cy"] if welsh else deviation["theme"],
            "version": deviation["version"],
            "at": deviation["at"][:16].replace("T", " "),
        }
    return deviation.get("text", deviation["kind"])


def report_waves(wave, scope) -> list:
    if wave is not None:
        return [wave]
    if scope is None:
        return []
    return list(scope.waves.select_related("council").order_by("council__name", "pk"))


def randomised_elsewhere(waves) -> list[dict]:
    """Return, for the definitions box, each wave whose groups were allocated elsewhere."""
    from experiments.randomised_elsewhere import declared_allocation

    declared = [(wave, declared_allocation(wave)) for wave in waves]
    return [
        {"wave": wave.title, "by": each.randomised_by, "scheme": each.declared_scheme}
        for wave, each in declared
        if each is not None
    ]


def render_results_html(
    wave,
    run,
    *,
    standalone: bool = False,
    request=None,
    scope=None,
    language: str | None = None,
    in_bundle: bool = False,
) -> str:
    """Render the report of `run` (or the no-results page when None).

    `scope` is the run over several waves being shown (then `wave` is None); until it is
    done the page says how far it got and reloads itself. The page links its style sheet
    (the CSP allows no inline style); a standalone document, opened from disk or from a
    bundle, carries the same rules inline. `language` ("en" or "cy") renders the whole
    report in that language; by default it follows the request. In a bundle the links to
    the pre-registration and the waves' own reports point at the bundle's files.
    """
    language = report_language(wave, language)
    waves = report_waves(wave, scope)
    # Without a completed response every table would be empty: the page says so instead,
    # with how far the wave got.
    counts = datasets.load_response_counts(wave.pk) if wave is not None else None
    no_answers = (run is not None and not run.results.get("n_respondents")) or (
        run is None and counts is not None and not counts["completed"]
    )
    with translation.override(language):
        several = wave is None and len(waves) > 1
        report = (
            build_report(
                run.results,
                several_waves=several,
                randomised_elsewhere=randomised_elsewhere(waves),
            )
            if run and not no_answers
            else None
        )
        if report:
            for key in ("levels_svg", "forest_svg", "consort_svg"):
                report[key] = mark_safe(report[key])  # built from escaped text only
        wave_entries = []
        for each in waves:
            deviations = [deviation_text(d) for d in datasets.load_deviations(each.pk)]
            wave_entries.append(
                {
                    "wave": each,
                    "report_url": (
                        f"wave-{each.pk}.html"
                        if in_bundle
                        else reverse("analysis:wave_results", args=[each.pk])
                    ),
                    "preregistration_url": (
                        f"../preregistration/wave-{each.pk}.{language}.html"
                        if in_bundle
                        else reverse("analysis:preregistration", args=[each.pk])
                        + f"?lang={language}"
                    ),
                    "preregistration_pdf_url": (
                        ""
                        if in_bundle
                        else reverse("analysis:preregistration", args=[each.pk])
                        + f"?download=pdf&lang={language}"
                    ),
                    "opened": each.opened_at is not None,
                    "frozen": bool(each.design_hash),
                    "deviations": deviations,
                }
            )
        inline_css = mark_safe(results_css()) if standalone else ""
        return render_to_string(
            "analysis/results.html",
            {
                "wave": wave,
                "run": run,
                "scope": scope,
                "heading": report_heading(wave, scope),
                "refresh": scope is not None
                and run is None
                and scope.status in ("pending", "running"),
                "report": report,
                "no_answers": no_answers,
                "counts": counts,
                "inline_css": inline_css,
                "standalone": standalone,
                "language": language,
                "other_language": "cy" if language == "en" else "en",
                "welsh_council": any(w.council.nation == "wales" for w in waves),
                "wave_entries": wave_entries,
                "several_waves": wave is None and len(waves) > 1,
                "arm_labels": arm_labels(),
            },
            request=request,
        )


def render_preregistration_html(
    wave, *, language: str | None = None, standalone: bool = False, request=None
) -> str | None:
    """Render the wave's pre-analysis plan; None for a wave that has not opened."""
    from analysis.preregistration import build_preregistration

    facts = datasets.load_preregistration_facts(wave.pk)
    if facts is None:
        return None
    language = report_language(wave, language)
    with translation.override(language):
        return render_to_string(
            "analysis/preregistration.html",
            {
                "wave": wave,
                "doc": build_preregistration(facts, language=language),
                "language": language,
                "standalone": standalone,
                "inline_css": mark_safe(results_css()) if standalone else "",
            },
            request=request,
        )
