"""Time the analysis stages in a fresh process and print one JSON line (for bench.analysis).

python -m bench.analysis_probe compute --n 100000
python -m bench.analysis_probe load --wave 12
"""

import argparse
import json
import time

import django

from bench.memory import peak_mb, reset_peak


def render_results(results: dict, *, standalone: bool = False) -> str:
    """Render the results page as the view does (`console.views.results.wave_results`)."""
    from django.utils import timezone

    from analysis.models import AnalysisRun
    from analysis.report_html import render_results_html
    from experiments.models import Council, Wave

    council = Council(pk=1, name="Bench council", slug="bench")
    wave = Wave(pk=1, council=council, title="Bench wave")
    run = AnalysisRun(pk=1, wave=wave, results=results, finished_at=timezone.now())
    return render_results_html(wave, run, standalone=standalone)


def synthetic_frame(n: int, *, cases: int = 10, activities: int = 5, seed: int = 1):
    """Return an n-row case frame in the shape of datasets.load_case_frame, made with numpy."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    theme_id = np.arange(n) % cases + 1
    answered = rng.integers(0, activities + 1, size=n)
    return pd.DataFrame(
        {
            "response_id": np.arange(n) // cases + 1,
            "member_id": np.arange(n) // cases + 1,
            "council": np.array(["Bench council"], dtype=object).repeat(n),
            "theme_id": theme_id,
            "theme": np.array([f"Case {i}" for i in range(cases + 1)], dtype=object)[theme_id],
            "arm": rng.choice(np.array(["ab", "a", "b", "none"], dtype=object), size=n),
            "activities_total": np.full(n, activities),
            "activities_answered": answered,
            "activities_yes": rng.binomial(answered, 0.4),
            "collective": rng.integers(1, 4, size=n),
            "efficacy": rng.choice([1, 2, 3, 4, 5, 9], size=n),
            "time_now": rng.integers(1, 5, size=n),
            "time_more": rng.integers(1, 5, size=n),
            "conditions": rng.integers(1, 6, size=n),
            "satisfaction_information": rng.choice([1, 2, 3, 4, 5, 9], size=n),
            "satisfaction_consultation": rng.choice([1, 2, 3, 4, 5, 9], size=n),
            "satisfaction_response": rng.choice([1, 2, 3, 4, 5, 9], size=n),
            "theme_kind": np.array(["environment"], dtype=object).repeat(n),
            "birth_year": rng.integers(1930, 2008, size=n),
            "age_band": rng.choice(np.array(["18-34", "35-54", "55+"], dtype=object), size=n),
            "gender": rng.choice(np.array(["woman", "man"], dtype=object), size=n),
            "ethnic_group": rng.choice(np.array(["white_british", "asian"], dtype=object), size=n),
            "qualification": rng.choice(np.array(["degree", "none"], dtype=object), size=n),
            "ward": rng.choice(np.array(["Central", "North"], dtype=object), size=n),
            "panel_ward": rng.choice(np.array(["Central", "North"], dtype=object), size=n),
            "panel_age_band": rng.choice(np.array(["18-34", "35-54", "55+"], dtype=object), size=n),
            "panel_gender": rng.choice(np.array(["woman", "man"], dtype=object), size=n),
            "wave_year": np.full(n, 2026),
        }
    )


def compute(n: int) -> dict:
    """Run the real pipeline (`analysis.results.compute_results`) and the results page."""
    from analysis.datasets import CASE_COLUMNS
    from analysis.plan import DEFAULT_PLAN
    from analysis.results import compute_results

    frame = synthetic_frame(n)
    missing = sorted(set(CASE_COLUMNS) - set(frame.columns))
    if missing:
        raise SystemExit(f"the synthetic frame lacks {', '.join(missing)}")
    rest = reset_peak()
    started = time.perf_counter()
    results = compute_results(frame[CASE_COLUMNS], plan=DEFAULT_PLAN)
    computed = time.perf_counter() - started
    timings = results["timings_seconds"]
    started = time.perf_counter()
    html = render_results(results)
    rendered = time.perf_counter() - started
    # The PDF download: the standalone document laid out by WeasyPrint (not a stage of
    # the analysis; it runs when someone downloads the report).
    from analysis.report_pdf import html_to_pdf

    started = time.perf_counter()
    pdf = html_to_pdf(render_results(results, standalone=True))
    pdf_seconds = time.perf_counter() - started
    stages = {
        "indices": timings["indices"],
        "models: tables": timings["tables"],
        "models: robustness, RI": timings["robustness_and_diagnostics"],
        # What compute_results spends outside its own timings (JSON-safe conversion).
        "other": max(computed - sum(timings.values()), 0.0),
        "rendering": rendered,
    }
    return {
        "n": n,
        "stages": stages,
        "html_bytes": len(html),
        "pdf_seconds": pdf_seconds,
        "pdf_bytes": len(pdf),
        "rest_rss_mb": rest,
        "peak_rss_mb": peak_mb(),
    }


def load(wave_id: int) -> dict:
    from analysis.datasets import load_case_frame

    rest = reset_peak()
    started = time.perf_counter()
    frame = load_case_frame(wave_id)
    return {
        "seconds": time.perf_counter() - started,
        "rows": len(frame),
        "rest_rss_mb": rest,
        "peak_rss_mb": peak_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["compute", "load"])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--wave", type=int)
    args = parser.parse_args()
    django.setup()
    result = compute(args.n) if args.mode == "compute" else load(args.wave)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
