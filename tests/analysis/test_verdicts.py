"""Each kind of verdict and sentence, decided on constructed results (no database).

The borderline cases are those an outside reading of the reports found: a difference at
p = .064 called "higher", a negative effect called a "clear effect", a clear effect on 15
respondents, "would give at least a few hours a month" without "more", "0 speeders" when
no response had timings, and "0 of 10" cases when only 4 were testable.
"""

import pytest
from django.utils import translation

from analysis import report
from analysis.plan import AnalysisPlan
from analysis.verdicts import (
    LOWERED,
    NO_CLEAR_DIFFERENCE,
    NOT_ESTIMABLE,
    RAISED,
    TOO_FEW,
    decide,
    decide_term,
)

PLAN = AnalysisPlan()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def arm_term(term="A only", *, estimate, p, p_adjusted, low=None, high=None):
    return {
        "term": term,
        "kind": "arm",
        "role": "confirmatory",
        "estimate": estimate,
        "low": estimate - 0.05 if low is None else low,
        "high": estimate + 0.05 if high is None else high,
        "se": 0.025,
        "p": p,
        "p_adjusted": p_adjusted,
        "family_size": 3,
        "stars": "",
        "mde": 0.07,
        "df": 596.0,
        "t": 2.0,
    }


def nudge_row(terms, *, n_per_arm=150, outcome="collective_any"):
    analysed = {"ab": n_per_arm, "a": n_per_arm, "b": n_per_arm, "none": n_per_arm}
    return {"case": "Avon — Health", "outcome": outcome, "terms": terms, "analysed_n": analysed}


@pytest.mark.parametrize(
    ("estimate", "p", "sizes", "kind"),
    [
        (0.19, 0.006, (150, 150), RAISED),
        (-0.09, 0.006, (150, 150), LOWERED),
        (0.19, 0.064, (150, 150), NO_CLEAR_DIFFERENCE),
        (0.19, 0.006, (4, 5), TOO_FEW),
        (0.19, 0.006, (19, 150), TOO_FEW),
        (0.19, 0.006, (20, 20), RAISED),
        (None, None, (150, 150), NOT_ESTIMABLE),
    ],
)
def test_each_verdict_follows_the_p_value_the_direction_and_the_group_sizes(
    estimate, p, sizes, kind
):
    verdict = decide(estimate, p=p, group_sizes=sizes, alpha=0.05, min_per_group=20)

    assert verdict.kind == kind


def test_a_contrast_is_judged_by_its_adjusted_p_value_not_the_raw_one():
    term = arm_term(estimate=0.08, p=0.02, p_adjusted=0.06)

    verdict = decide_term(term, analysed_n={"a": 150, "none": 150}, arm="a", plan=PLAN)

    assert verdict.kind == NO_CLEAR_DIFFERENCE


def test_a_clear_rise_is_said_with_its_size_interval_and_adjusted_p():
    row = nudge_row(
        [
            arm_term("A only", estimate=0.19, p=0.002, p_adjusted=0.006, low=0.08, high=0.30),
            arm_term("B only", estimate=0.01, p=0.8, p_adjusted=0.9),
            arm_term("A and B", estimate=0.02, p=0.7, p_adjusted=0.9),
        ]
    )

    sentences = report.nudge_sentences([row], PLAN)

    assert sentences[0] == (
        "Nudge A alone raised the collective index by 19.0 points "
        "(95% CI +8.0 to +30.0; Holm-adjusted p = .006)."
    )
    assert sentences[1].startswith("No clear difference between nudge B alone and no nudge")


def test_a_negative_effect_is_said_to_lower_the_index_never_called_a_clear_effect():
    row = nudge_row(
        [
            arm_term("A only", estimate=0.0, p=0.9, p_adjusted=0.9),
            arm_term("B only", estimate=-0.09, p=0.001, p_adjusted=0.003, low=-0.14, high=-0.04),
            arm_term("A and B", estimate=0.0, p=0.9, p_adjusted=0.9),
        ],
        outcome="individual",
    )
    for term in row["terms"]:
        term["role"] = "exploratory"

    sentences = report.nudge_sentences([row], PLAN)

    assert (
        "Exploratory: nudge B alone lowered the individual index by 9.0 points "
        "(95% CI −14.0 to −4.0; Benjamini–Hochberg-adjusted p = .003)."
    ) in sentences
    assert not any("clear effect" in s or "raised" in s for s in sentences)


def test_fifteen_respondents_are_too_few_to_tell_even_at_a_small_p_value():
    # given 15 respondents, 3 to 5 per group, and a contrast with adjusted p = .01
    row = nudge_row([arm_term("A only", estimate=0.4, p=0.004, p_adjusted=0.01)])
    row["analysed_n"] = {"ab": 4, "a": 3, "b": 3, "none": 5}

    (sentence, *_) = report.nudge_sentences([row], PLAN)

    assert sentence == (
        "Too few answers to tell whether nudge A alone changed the collective index: "
        "3 answers with it and 5 with no nudge (the plan needs at least 20 in each)."
    )


def test_a_difference_of_individual_and_collective_at_p_064_is_no_clear_difference():
    row = {
        "case": "Avon — Health",
        "individual": {"estimate": 0.64, "low": 0.62, "high": 0.66, "n": 600},
        "collective_any": {"estimate": 0.60, "low": 0.56, "high": 0.64, "n": 600},
        "difference": {"estimate": 0.04, "low": -0.002, "high": 0.081, "p": 0.064, "n": 600},
    }

    sentences = report.levels_sentence(row, PLAN)

    assert sentences[1] == (
        "No clear difference between individual and collective co-production "
        "(+4.0 points, 95% CI −0.2 to +8.1; paired t test, p = .064)."
    )
    assert "higher" not in " ".join(sentences)


def test_a_clear_difference_says_which_kind_of_co_production_is_higher():
    row = {
        "individual": {"estimate": 0.3, "low": 0.28, "high": 0.32},
        "collective_any": {"estimate": 0.5, "low": 0.46, "high": 0.54},
        "difference": {"estimate": -0.2, "low": -0.25, "high": -0.15, "p": 0.0001, "n": 400},
    }

    sentences = report.levels_sentence(row, PLAN)

    assert sentences[1].startswith("Collective co-production is higher than individual, by 20.0")


def test_willingness_to_give_time_is_said_as_more_time():
    row = {"now": None, "more": {"estimate": 0.5, "low": 0.47, "high": 0.54}}

    (sentence,) = report.time_sentence(row, PLAN)

    assert sentence == "50% would give at least a few hours a month more (95% CI 47% to 54%)."


def test_no_speeders_are_claimed_when_no_response_had_timings():
    quality = {
        "completes": 120,
        "timed_responses": 0,
        "speeder_rule_applies": False,
        "flagged_responses": {
            "speeder": 0,
            "straight_liner": 2,
            "duplicate_device": 0,
            "flagged": 2,
        },
    }

    sentences = report.quality_sentences(quality)

    assert sentences[0] == (
        "No complete response had page timings (answers on paper, by telephone or "
        "imported), so speeding could not be judged."
    )
    assert "0 of" not in sentences[0]


def test_a_correlate_tested_in_four_of_ten_cases_is_counted_out_of_four():
    # given ethnic minority testable in 4 of 10 cases, significant in none
    cells = [
        {
            "case": f"C{i}",
            "variable": "ethnic_minority",
            "r": 0.01,
            "p": 0.8,
            "p_adjusted": 0.9,
            "stars": "",
            "negative": False,
            "n": 400,
        }
        for i in range(4)
    ] + [
        {
            "case": f"C{i}",
            "variable": "ethnic_minority",
            "not_testable": "not testable: 12 respondents in a category (< 30)",
        }
        for i in range(4, 10)
    ]
    summary = [
        {"variable": "ethnic_minority", "positive": 0, "negative": 0, "tested": 4, "cases": 10}
    ]

    table = report.correlates_table({"cells": cells, "summary": summary}, {}, PLAN)

    row = next(r for r in table["rows"] if r["label"] == "Ethnic minority")
    assert row["count"] == "positive in 0 of 4 testable cases, negative in 0; 6 not testable"
    assert row["cells"][5]["na"] == "not testable: 12 respondents in a category (fewer than 30)"
