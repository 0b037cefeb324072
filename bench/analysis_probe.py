"""Time the analysis stages in a fresh process and print one JSON line (for bench.analysis).

python -m bench.analysis_probe compute --n 100000
python -m bench.analysis_probe load --wave 12
"""

import argparse
import importlib
import json
import time

import django

from bench.memory import peak_mb, reset_peak

# Stages after loading, in order; a stage whose function is not on this branch yet is
# reported as not available. Each takes the previous stage's output.
STAGES = [
    ("indices", ["analysis.indices:case_summaries"]),
    ("models", ["analysis.regressions:case_models", "analysis.regressions:fit_case_models"]),
    ("rendering", ["bench.analysis_probe:render_results"]),
]


def render_results(cases):
    """Serialise results as an analysis run stores them (the rendering this branch has)."""
    from django.core.serializers.json import DjangoJSONEncoder

    return json.dumps({"cases": cases}, cls=DjangoJSONEncoder)


def _resolve(candidates: list[str]):
    for dotted in candidates:
        module_name, _, attr = dotted.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, attr):
            return getattr(module, attr)
    return None


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
    rest = reset_peak()
    started = time.perf_counter()
    frame = synthetic_frame(n)
    generated = time.perf_counter() - started
    stages: dict[str, float | None] = {}
    value = frame
    for name, candidates in STAGES:
        function = _resolve(candidates)
        if function is None:
            stages[name] = None
            continue
        started = time.perf_counter()
        value = function(value) if name != "models" else (function(frame), value)[1]
        stages[name] = time.perf_counter() - started
    return {
        "n": n,
        "generate_s": generated,
        "stages": stages,
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
