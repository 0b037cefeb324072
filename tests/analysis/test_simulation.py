"""Planted effects recovered over re-randomisations of a fixed synthetic population."""

import numpy as np
import pandas as pd
import pytest

from analysis.plan import AnalysisPlan
from analysis.synthetic import assign_arms
from analysis.tables import fit_nudges

PLAN = AnalysisPlan()
DRAWS = 300
N = 400


def _population(seed: int) -> pd.DataFrame:
    """Fixed units with a potential outcome under no nudge (individual index in [0, 1])."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"y0": rng.binomial(5, rng.beta(3, 2, size=N)) / 5, "member_id": np.arange(N)}
    )


def _simulate(effect: float, *, seed: int) -> dict:
    population = _population(seed)
    rng = np.random.default_rng(seed + 1)
    estimates, covered, rejected, ses = [], [], [], []
    for _ in range(DRAWS):
        arms = assign_arms(N, rng)
        y = population["y0"] + np.where(arms == "a", effect, 0.0)
        frame = pd.DataFrame({"arm": arms, "individual": y})
        result = fit_nudges(frame, "individual", PLAN)
        term = next(t for t in result["terms"] if t["term"] == "A only")
        estimates.append(term["estimate"])
        ses.append(term["se"])
        covered.append(term["low"] <= effect <= term["high"])
        rejected.append(term["p"] < 0.05)
    estimates = np.array(estimates)
    return {
        "bias": float(estimates.mean() - effect),
        "mc_se": float(estimates.std(ddof=1) / np.sqrt(DRAWS)),
        "coverage": float(np.mean(covered)),
        "rejection": float(np.mean(rejected)),
    }


@pytest.mark.slow
def test_a_planted_effect_is_recovered_without_bias_and_with_nominal_coverage():
    summary = _simulate(0.08, seed=2026)
    assert abs(summary["bias"]) < 3 * summary["mc_se"], summary
    assert 0.92 <= summary["coverage"] <= 0.98


@pytest.mark.slow
def test_the_false_positive_rate_of_a_null_case_stays_near_five_percent():
    summary = _simulate(0.0, seed=1999)
    assert summary["rejection"] <= 0.08
    assert 0.92 <= summary["coverage"] <= 0.98
