"""The statistics against independent references: closed forms and published values."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from analysis.inference import (
    NotEstimable,
    adjust_pvalues,
    mcnemar,
    minimum_detectable_effect,
    ols,
    paired_difference,
    power_two_sample_t,
    stars,
    t_interval,
    wilson_interval,
)


def _hc2_sandwich(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form OLS with the HC2 sandwich: (X'X)⁻¹ X' diag(e²/(1−h)) X (X'X)⁻¹."""
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ X.T @ y
    residuals = y - X @ beta
    leverage = np.einsum("ij,jk,ik->i", X, bread, X)
    meat = X.T @ (X * (residuals**2 / (1 - leverage))[:, None])
    return beta, np.sqrt(np.diag(bread @ meat @ bread))


def test_ols_hc2_equals_the_closed_form_sandwich():
    # given a regression with heteroskedastic errors and two regressors
    rng = np.random.default_rng(7)
    n = 80
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, size=n).astype(float)
    y = 1 + 0.5 * x1 - 0.3 * x2 + rng.normal(size=n) * (1 + np.abs(x1))
    X = pd.DataFrame({"const": 1.0, "x1": x1, "x2": x2})

    # when it is fitted with HC2 errors
    fit = ols(y, X)

    # then the estimates and errors equal the numpy sandwich
    beta, se = _hc2_sandwich(X.to_numpy(), y)
    assert [c.estimate for c in fit.coefficients] == pytest.approx(beta, rel=1e-10)
    assert [c.se for c in fit.coefficients] == pytest.approx(se, rel=1e-10)
    assert fit.get("x1").df == n - 3


def test_saturated_arm_model_hc2_error_equals_the_neyman_error():
    # given four arms of different sizes and spreads
    rng = np.random.default_rng(11)
    arms = np.repeat(["none", "a", "b", "ab"], [30, 25, 35, 20])
    y = rng.normal(size=len(arms)) * np.where(arms == "ab", 3.0, 1.0) + (arms == "a") * 0.4
    X = pd.DataFrame(
        {
            "const": 1.0,
            "arm_a": (arms == "a").astype(float),
            "arm_b": (arms == "b").astype(float),
            "arm_ab": (arms == "ab").astype(float),
        }
    )

    fit = ols(y, X)

    # then each arm's coefficient is the difference in means, with the Neyman error
    none = y[arms == "none"]
    for arm in ("a", "b", "ab"):
        treated = y[arms == arm]
        neyman = math.sqrt(treated.var(ddof=1) / len(treated) + none.var(ddof=1) / len(none))
        assert fit.get(f"arm_{arm}").estimate == pytest.approx(treated.mean() - none.mean())
        assert fit.get(f"arm_{arm}").se == pytest.approx(neyman, rel=1e-10)


def test_holm_on_a_hand_worked_example():
    # sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = .02, .03, .06, .04 → running max
    assert adjust_pvalues([0.01, 0.04, 0.03, 0.005], method="holm") == pytest.approx(
        [0.03, 0.06, 0.06, 0.02]
    )


def test_benjamini_hochberg_on_a_hand_worked_example():
    # sorted 0.005, 0.01, 0.03, 0.04 → ×4/1, ×4/2, ×4/3, ×4/4 = .02, .02, .04, .04
    assert adjust_pvalues([0.01, 0.04, 0.03, 0.005], method="fdr_bh") == pytest.approx(
        [0.02, 0.04, 0.04, 0.02]
    )


def test_adjusted_p_values_never_exceed_one():
    assert adjust_pvalues([0.6, 0.9], method="holm") == pytest.approx([1.0, 1.0])


def test_power_of_the_two_sample_t_test_matches_gpower():
    # G*Power 3.1, t tests, two groups, two-tailed: d = 0.5, α = .05, n = 64 + 64 → 0.8014596
    assert power_two_sample_t(0.5, 64, 64) == pytest.approx(0.8014596, abs=1e-6)


def test_minimum_detectable_effect_is_the_closed_form_multiple_of_the_error():
    # with many degrees of freedom the multiplier is z(.975) + z(.80) = 1.959964 + 0.841621
    assert minimum_detectable_effect(0.1, df=1e9) == pytest.approx(0.2801585, abs=1e-6)
    # with few, the printed t table's quantiles: t(.975, 20) + t(.80, 20) = 2.086 + 0.860
    assert minimum_detectable_effect(1.0, df=20) == pytest.approx(2.946, abs=1e-3)


def test_t_interval_of_three_values():
    interval = t_interval([0.2, 0.4, 0.6])
    half = 4.302653 * 0.2 / math.sqrt(3)
    assert interval.estimate == pytest.approx(0.4)
    assert (interval.low, interval.high) == pytest.approx((0.4 - half, 0.4 + half), abs=1e-6)
    assert interval.n == 3


def test_wilson_interval_matches_the_textbook_values():
    # Newcombe (1998), Table I: 81/263 → 0.2553 to 0.3662
    interval = wilson_interval(81, 263)
    assert (interval.low, interval.high) == pytest.approx((0.2553, 0.3662), abs=5e-5)


def test_paired_difference_and_mcnemar_on_hand_built_pairs():
    first = [1, 1, 1, 0, 1, 0]
    second = [0, 0, 1, 0, 0, 1]
    paired = paired_difference(first, second)
    # differences 1, 1, 0, 0, 1, −1: mean 1/3, sd √(0.6667)
    assert paired.estimate == pytest.approx(1 / 3)
    assert paired.statistic == pytest.approx((1 / 3) / (math.sqrt(2 / 3) / math.sqrt(6)))
    test = mcnemar(first, second)
    # 3 vs 1 discordant: exact two-sided binomial p = 2 × P(X ≤ 1 | 4, ½) = 0.625
    assert test.p == pytest.approx(0.625)


def test_stars_follow_the_levels():
    assert [stars(p) for p in (0.001, 0.03, 0.2)] == ["**", "*", ""]
    assert stars(0.07, (0.01, 0.05, 0.10)) == "*"


@pytest.mark.parametrize(
    ("y", "X", "reason"),
    [
        (
            [1.0] * 12,
            pd.DataFrame({"const": 1.0, "x": np.arange(12.0)}),
            "the outcome is constant",
        ),
        (
            np.arange(12.0),
            pd.DataFrame({"const": 1.0, "x": np.arange(12.0), "x2": 2 * np.arange(12.0)}),
            "perfect collinearity among the regressors",
        ),
        (
            np.arange(9.0),
            pd.DataFrame({"const": 1.0, "x": np.arange(9.0) ** 2}),
            "fewer than 10 respondents (9)",
        ),
    ],
)
def test_degenerate_regressions_say_why_they_are_not_estimable(y, X, reason):
    with pytest.raises(NotEstimable, match=r"^" + re.escape(reason) + "$"):
        ols(y, X)
