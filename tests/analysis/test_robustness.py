"""Robustness models against published references."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels
from scipy import stats

from analysis.plan import AnalysisPlan
from analysis.robustness import fit_ordered_logit, fractional_logit, ordered_logit

UCLA = Path(statsmodels.__file__).parent / "miscmodels/tests/results/ologit_ucla.csv"


def test_ordered_logit_matches_r_mass_polr_on_the_ucla_data():
    # given the UCLA ordinal example shipped in the statsmodels wheel (400 students)
    data = pd.read_csv(UCLA)
    codes = data["apply"].map({"unlikely": 0, "somewhat likely": 1, "very likely": 2})

    # when apply is regressed on pared, public and gpa
    fit = fit_ordered_logit(codes, data[["pared", "public", "gpa"]])

    # then it matches the values R's MASS::polr prints, as published by UCLA's statistical
    # consulting group: coefficients, standard errors and the two cut points
    coefficients = fit["coefficients"]
    assert [coefficients[v]["estimate"] for v in ("pared", "public", "gpa")] == pytest.approx(
        [1.04769, -0.05879, 0.61594], abs=5e-4
    )
    assert [coefficients[v]["se"] for v in ("pared", "public", "gpa")] == pytest.approx(
        [0.2658, 0.2979, 0.2606], abs=5e-4
    )
    assert fit["cut_points"] == pytest.approx([2.2039, 4.2994], abs=1e-3)
    assert fit["n"] == 400


def _arms(n_per_arm: int) -> np.ndarray:
    return np.repeat(np.array(["none", "a", "b", "ab"]), n_per_arm)


def test_the_fractional_logit_effect_is_the_difference_in_means_with_its_hc0_error():
    # given an individual index per respondent in four groups
    rng = np.random.default_rng(11)
    arms = _arms(60)
    index = np.clip(rng.beta(2, 3, size=len(arms)) + 0.1 * (arms == "b"), 0, 1)
    group = pd.DataFrame({"individual": index, "arm": arms})

    result = fractional_logit(group, AnalysisPlan())

    # the saturated model fits the group means; HC0 gives each mean the variance σ²/n
    b = next(t for t in result["terms"] if t["term"] == "B only")
    treated, control = index[arms == "b"], index[arms == "none"]
    assert b["estimate"] == pytest.approx(treated.mean() - control.mean(), abs=1e-9)
    se = np.sqrt(treated.var(ddof=0) / len(treated) + control.var(ddof=0) / len(control))
    assert b["se"] == pytest.approx(se, rel=1e-5)
    z = stats.norm.ppf(0.975)
    assert b["high"] - b["low"] == pytest.approx(2 * z * b["se"])


def test_the_ordered_logit_effect_recovers_a_planted_change_in_the_share_joining_groups():
    # given a proportional-odds model with cut points −0.5, 1.0 and A raising the latent score
    rng = np.random.default_rng(12)
    arms = _arms(15_000)
    beta = {"none": 0.0, "a": 0.6, "b": 0.0, "ab": 0.3}
    latent = np.array([beta[a] for a in arms]) + rng.logistic(size=len(arms))
    score = np.digitize(latent, [-0.5, 1.0]).astype(float)  # 0 never, 1 sometimes, 2 often
    group = pd.DataFrame({"collective_score": score, "arm": arms})

    result = ordered_logit(group, AnalysisPlan())

    # P(score ≥ 1) = expit(β − ζ₀): the planted effect of A on the share joining at all
    planted = stats.logistic.cdf(0.6 + 0.5) - stats.logistic.cdf(0.5)
    a = next(t for t in result["terms"] if t["term"] == "A only")
    assert a["estimate"] == pytest.approx(planted, abs=0.015)
    assert a["low"] < planted < a["high"]
