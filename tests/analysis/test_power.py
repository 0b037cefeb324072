"""The power planner against independent references: closed forms and G*Power values."""

import math

import pytest
from scipy import stats

from analysis.power import (
    DEFAULT_SD,
    PowerInputs,
    contrast_ses,
    design_effect,
    plan_power,
    sample_size_per_group,
)


def test_the_2x2_standard_errors_match_the_hand_worked_closed_forms():
    """With n = 100 completes in each of the four arms and SD σ = 0.5:

    - arm k vs none: Var = σ²(1/n + 1/n) = 0.25 · 0.02 → SE = 0.5·√(2/100) = 0.0707107;
    - main effect of A = ½(μ_ab + μ_a) − ½(μ_b + μ_0): Var = ¼σ² · 4/n = σ²/n
      → SE = 0.5·√(1/100) = 0.05;
    - interaction μ_ab − μ_a − μ_b + μ_0: Var = σ² · 4/n → SE = 2 · 0.5/10 = 0.1.
    """
    # given four arms of 100 and an outcome SD of 0.5
    arms = {"ab": 100, "a": 100, "b": 100, "none": 100}

    # when the standard errors are computed
    ses = contrast_ses(arms, sd=0.5)

    # then they equal the closed forms
    for contrast in ("A and B vs none", "A only vs none", "B only vs none"):
        assert ses[contrast] == pytest.approx(0.5 * math.sqrt(2 / 100), abs=1e-12)
    assert ses["A main effect"] == pytest.approx(0.05, abs=1e-12)
    assert ses["B main effect"] == pytest.approx(0.05, abs=1e-12)
    assert ses["A × B interaction"] == pytest.approx(0.1, abs=1e-12)


def test_unequal_arms_follow_the_sum_of_inverse_sizes():
    """n = (ab 50, a 100, b 200, none 400), σ = 1: Σ 1/n = 0.02 + 0.01 + 0.005 + 0.0025 = 0.0375.

    A only vs none: √(0.01 + 0.0025) = 0.111803; main effect: √(0.0375/4) = 0.096825;
    interaction: √0.0375 = 0.193649.
    """
    ses = contrast_ses({"ab": 50, "a": 100, "b": 200, "none": 400}, sd=1.0)

    assert ses["A only vs none"] == pytest.approx(0.111803, abs=1e-6)
    assert ses["A main effect"] == pytest.approx(0.096825, abs=1e-6)
    assert ses["A × B interaction"] == pytest.approx(0.193649, abs=1e-6)


def test_the_sample_size_per_group_matches_gpower():
    # G*Power 3.1, t tests, difference between two independent means, a priori,
    # two tails, α = .05, power = .80, allocation ratio 1.
    assert sample_size_per_group(0.5) == 64
    assert sample_size_per_group(0.2) == 394
    assert sample_size_per_group(0.8) == 26


def test_the_standardised_mde_of_an_arm_contrast_matches_the_gpower_sensitivity_value():
    # given 100 completes per arm: G*Power's sensitivity analysis (two groups of 100,
    # α = .05 two-sided, power .80) gives d = 0.3981
    inputs = PowerInputs(
        panel_by_stratum={"All members": 1000},
        response_rate=0.4,
        response_rate_source="entered",
        sd={"individual": 0.25, "collective_any": 0.5},
        sd_source={"individual": "entered", "collective_any": "entered"},
        themes=["Environment"],
    )

    # when the wave is planned
    plan = plan_power(inputs)

    # then the arm-vs-none MDE, standardised, is G*Power's d within the t-approximation error
    (case,) = plan.cases
    contrast = next(
        c for c in case.contrasts if c.contrast == "A only vs none" and c.outcome == "individual"
    )
    assert plan.arm_n == {"ab": 100.0, "a": 100.0, "b": 100.0, "none": 100.0}
    assert contrast.mde_standardised == pytest.approx(0.3981, abs=0.003)
    # and in outcome units it is that d times the SD, with the SE of the closed form
    assert contrast.se == pytest.approx(0.25 * math.sqrt(2 / 100), abs=1e-12)
    assert contrast.mde == pytest.approx(0.3981 * 0.25, abs=0.001)


def test_the_normal_approximation_bounds_the_mde_from_below():
    # (z_.975 + z_.8)·SE is the large-sample MDE; the t version is slightly larger.
    inputs = PowerInputs(
        panel_by_stratum={"ward 1": 600, "ward 2": 400},
        response_rate=0.5,
        response_rate_source="entered",
        sd={"individual": 0.25, "collective_any": 0.458},
        sd_source={"individual": "entered", "collective_any": "entered"},
        themes=["Environment"],
    )
    plan = plan_power(inputs)
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    interaction = next(
        c
        for c in plan.cases[0].contrasts
        if c.contrast == "A × B interaction" and c.outcome == "collective_any"
    )
    # 500 completes → 125 per arm; interaction SE = 2·0.458/√125
    assert interaction.se == pytest.approx(2 * 0.458 / math.sqrt(125), abs=1e-12)
    assert z * interaction.se < interaction.mde < 1.01 * z * interaction.se


def test_a_cluster_design_effect_inflates_the_variance_by_one_plus_m_minus_one_rho():
    """Households of average size m = 5 with ICC ρ = 0.05: deff = 1 + 4 · 0.05 = 1.2.

    Four arms of 100 then behave like arms of 100/1.2 = 83.3: the arm SE becomes
    0.5 · √(2 · 1.2/100) = 0.0774597 (Donner & Klar 2000, eq. 2.1).
    """
    assert design_effect(cluster_size=5, icc=0.05) == pytest.approx(1.2)
    assert design_effect(cluster_size=1, icc=0.3) == 1.0
    ses = contrast_ses({"ab": 100, "a": 100, "b": 100, "none": 100}, sd=0.5, deff=1.2)
    assert ses["A only vs none"] == pytest.approx(0.0774597, abs=1e-7)

    inputs = PowerInputs(
        panel_by_stratum={"All members": 1000},
        response_rate=0.4,
        response_rate_source="entered",
        sd={"individual": 0.5, "collective_any": 0.5},
        sd_source={"individual": "entered", "collective_any": "entered"},
        themes=["Environment"],
        scheme="cluster",
        cluster_size=5,
        icc=0.05,
    )
    plan = plan_power(inputs)
    assert plan.design_effect == pytest.approx(1.2)
    assert plan.cases[0].contrasts[1].se == pytest.approx(0.0774597, abs=1e-7)


def test_an_invalid_cluster_size_or_icc_is_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"at least 1, not 0\.5"):
        design_effect(cluster_size=0.5, icc=0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\], not 1\.5"):
        design_effect(cluster_size=2, icc=1.5)


def test_pooling_themes_uses_the_effective_sample_of_correlated_answers():
    """K = 3 themes, r = 0.5: effective n = 3n / (1 + 2 · 0.5) = 1.5n."""
    inputs = PowerInputs(
        panel_by_stratum={"All members": 800},
        response_rate=0.5,
        response_rate_source="entered",
        sd=dict(DEFAULT_SD),
        sd_source=dict.fromkeys(DEFAULT_SD, "default"),
        themes=["Environment", "Health", "Housing"],
    )
    plan = plan_power(inputs)
    assert len(plan.cases) == 3
    assert plan.pooled.effective_completes == pytest.approx(600.0)
    pooled_arm = plan.pooled.contrasts[0]
    assert pooled_arm.se == pytest.approx(0.25 * math.sqrt(2 / 150), abs=1e-12)


def test_a_case_that_cannot_detect_the_hoped_for_effect_is_warned_about():
    # given 200 completes (50 per arm) and a hoped-for 5-point effect
    inputs = PowerInputs(
        panel_by_stratum={"All members": 400},
        response_rate=0.5,
        response_rate_source="entered",
        sd={"individual": 0.25, "collective_any": 0.458},
        sd_source={"individual": "entered", "collective_any": "entered"},
        themes=["Environment"],
        hoped_for_effect=0.05,
    )

    plan = plan_power(inputs)

    # then every contrast is flagged: the arm MDE alone is about 0.4581·√(2/50)·2.8 ≈ 0.26
    assert all(c.detects_hoped_for is False for c in plan.cases[0].contrasts)
    assert len(plan.warnings) == 12
    assert plan.warnings[0].startswith("Environment: A and B vs none (Individual index)")


def test_a_wave_without_the_experiment_has_nothing_to_plan():
    inputs = PowerInputs(
        panel_by_stratum={"All members": 400},
        response_rate=0.5,
        response_rate_source="entered",
        sd=dict(DEFAULT_SD),
        sd_source=dict.fromkeys(DEFAULT_SD, "default"),
        themes=["Environment"],
        experiment_on=False,
    )
    plan = plan_power(inputs)
    assert plan.cases == ()
    assert plan.not_applicable == "The experiment is off: there are no contrasts to detect."


def test_the_default_collective_sd_is_that_of_a_share_of_thirty_percent():
    assert DEFAULT_SD["collective_any"] == pytest.approx(0.458258, abs=1e-6)
    assert DEFAULT_SD["individual"] == 0.25
