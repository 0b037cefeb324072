"""Indices, levels and the nudge table on small hand-built frames (no database)."""

import numpy as np
import pandas as pd
import pytest

from analysis.indices import prepare
from analysis.plan import AnalysisPlan
from analysis.results import compute_results
from analysis.synthetic import STUDY_COUNCILS, generate_council, to_case_frame
from analysis.tables import fit_nudges, table_correlates, table_levels, table_nudges, table_time

PLAN = AnalysisPlan()


def raw_frame(rows: list[dict]) -> pd.DataFrame:
    """Build a raw case frame; unspecified answers are missing."""
    defaults = {
        "council": "Testshire",
        "theme_id": 1,
        "theme": "Environment",
        "theme_kind": "environment",
        "arm": "none",
        "activities_total": 4,
        "activities_answered": 4,
        "activities_yes": 0,
        "collective": np.nan,
        "efficacy": np.nan,
        "time_now": np.nan,
        "time_more": np.nan,
        "conditions": np.nan,
        "satisfaction_information": np.nan,
        "satisfaction_consultation": np.nan,
        "satisfaction_response": np.nan,
        "birth_year": np.nan,
        "age_band": "",
        "gender": "",
        "ethnic_group": "",
        "qualification": "",
        "ward": "",
        "panel_ward": "",
        "panel_age_band": "",
        "panel_gender": "",
        "wave_year": 2026,
    }
    records = []
    for i, row in enumerate(rows, start=1):
        records.append({"response_id": i, "member_id": i, **defaults, **row})
    return pd.DataFrame.from_records(records)


def test_individual_index_needs_half_the_activities_answered_unless_missing_counts_as_no():
    raw = raw_frame(
        [
            {"activities_answered": 4, "activities_yes": 3},
            {"activities_answered": 2, "activities_yes": 1},
            {"activities_answered": 1, "activities_yes": 1},
        ]
    )
    assert prepare(raw, PLAN)["individual"].tolist() == pytest.approx(
        [0.75, 0.5, np.nan], nan_ok=True
    )
    as_no = AnalysisPlan(index_missing_rule="missing_as_no")
    assert prepare(raw, as_no)["individual"].tolist() == pytest.approx([0.75, 0.25, 0.25])


def test_recodes_make_higher_mean_more_and_dont_know_missing():
    raw = raw_frame(
        [
            {
                "collective": 1,
                "efficacy": 1,
                "time_now": 3,
                "conditions": 5,
                "satisfaction_response": 9,
            },
            {
                "collective": 2,
                "efficacy": 9,
                "time_now": 2,
                "conditions": 1,
                "satisfaction_response": 2,
            },
            {
                "collective": 3,
                "efficacy": 5,
                "time_now": 4,
                "conditions": 3,
                "satisfaction_response": 5,
            },
        ]
    )
    frame = prepare(raw, PLAN)
    assert frame["collective_score"].tolist() == [2.0, 1.0, 0.0]
    assert frame["collective_any"].tolist() == [1.0, 1.0, 0.0]
    assert frame["collective_often"].tolist() == [1.0, 0.0, 0.0]
    assert frame["gives_time_now"].tolist() == [1.0, 0.0, 1.0]
    assert frame["efficacy_score"].tolist() == pytest.approx([5.0, np.nan, 1.0], nan_ok=True)
    assert frame["conditions_score"].tolist() == [1.0, 5.0, 3.0]
    assert frame["sat_response"].tolist() == pytest.approx([np.nan, 4.0, 1.0], nan_ok=True)


def test_levels_table_of_a_hand_built_case():
    # given four respondents: individual 1, .5, .5, 0 and collective often, sometimes, never ×2
    raw = raw_frame(
        [
            {"activities_yes": 4, "collective": 1},
            {"activities_yes": 2, "collective": 2},
            {"activities_yes": 2, "collective": 3},
            {"activities_yes": 0, "collective": 3},
        ]
    )
    (row,) = table_levels(prepare(raw, PLAN), PLAN)
    assert row["n"] == 4
    assert row["individual"]["estimate"] == pytest.approx(0.5)
    assert row["collective_any"]["estimate"] == pytest.approx(0.5)
    assert row["collective_often"]["estimate"] == pytest.approx(0.25)
    assert row["collective_sometimes"]["estimate"] == pytest.approx(0.25)
    # paired differences 0, −.5, .5, 0: mean 0
    assert row["difference"]["estimate"] == pytest.approx(0.0)


def test_time_table_only_lists_cases_where_time_was_asked_and_tests_now_against_more():
    raw = raw_frame(
        [
            {"time_now": 3, "time_more": 3},
            {"time_now": 1, "time_more": 4},
            {"time_now": 1, "time_more": 1},
        ]
        + [{"theme_id": 2, "theme": "Health"}] * 3
    )
    (row,) = table_time(prepare(raw, PLAN), PLAN)
    assert row["case"] == "Testshire — Environment"
    assert row["now"]["estimate"] == pytest.approx(1 / 3)
    assert row["more"]["estimate"] == pytest.approx(2 / 3)
    assert row["now_vs_more"]["p"] == pytest.approx(1.0)


def test_a_correlate_with_fewer_than_thirty_in_a_category_is_not_testable():
    rng = np.random.default_rng(3)
    raw = raw_frame(
        [
            {
                "gender": "male" if i < 20 else "female",
                "efficacy": float(rng.integers(1, 6)),
                "activities_yes": int(rng.integers(0, 5)),
            }
            for i in range(100)
        ]
    )
    table = table_correlates(prepare(raw, PLAN), PLAN, index="individual")
    cells = {c["variable"]: c for c in table["cells"]}
    assert cells["male"]["not_testable"] == "not testable: 20 respondents in a category (< 30)"
    assert "r" in cells["efficacy_score"]
    assert table["adjustment"] == "Benjamini–Hochberg"


def test_an_empty_arm_is_not_estimable():
    raw = raw_frame(
        [
            {"arm": arm, "activities_yes": i % 5, "collective": 1 + i % 3}
            for i, arm in enumerate(["none", "a", "ab"] * 10)
        ]
    )
    result = fit_nudges(prepare(raw, PLAN), "individual", PLAN)
    assert result == {"not_estimable": "not estimable: empty arm: B only"}


def test_a_case_with_fewer_than_ten_respondents_is_reported_not_raised():
    raw = raw_frame(
        [
            {"arm": arm, "activities_yes": i % 5, "collective": 1 + i % 3}
            for i, arm in enumerate(["none", "a", "b", "ab"] * 2)
        ]
    )
    table = table_nudges(prepare(raw, PLAN), PLAN)
    assert [row["not_estimable"] for row in table["rows"]] == [
        "not estimable: fewer than 10 respondents (8)"
    ] * 2


def test_a_constant_outcome_is_not_estimable():
    raw = raw_frame(
        [{"arm": arm, "activities_yes": 2, "collective": 3} for arm in ["none", "a", "b", "ab"] * 5]
    )
    table = table_nudges(prepare(raw, PLAN), PLAN)
    assert [row["not_estimable"] for row in table["rows"]] == [
        "not estimable: the outcome is constant"
    ] * 2


def test_the_nudge_table_gives_the_difference_in_means_the_factorial_contrasts_and_holm():
    # given a balanced case where A+B adds .5 to the individual index and nothing else does
    rows = []
    for i in range(40):
        arm = ["none", "a", "b", "ab"][i % 4]
        rows.append(
            {
                "arm": arm,
                "activities_yes": (4 if arm == "ab" else 2) - (i // 4) % 2,
                "collective": 1 + i % 3,
            }
        )
    table = table_nudges(prepare(raw_frame(rows), PLAN), PLAN)
    individual = next(r for r in table["rows"] if r["outcome"] == "individual")
    terms = {t["term"]: t for t in individual["terms"]}
    assert terms["A and B"]["estimate"] == pytest.approx(0.5)
    assert terms["A only"]["estimate"] == pytest.approx(0.0)
    assert terms["A main effect"]["estimate"] == pytest.approx(0.25)
    assert terms["A × B interaction"]["estimate"] == pytest.approx(0.5)
    # one star convention in every table: the plan's (** p < .01, * p < .05 by default)
    assert terms["A and B"]["stars"] == "**"
    assert table["adjustment"] == "Holm"
    assert all("p_adjusted" in t for t in individual["terms"] if t["kind"] == "arm")
    assert terms["A only"]["mde"] > 0


def test_the_full_results_of_a_synthetic_council_are_plain_json():
    import json

    spec = STUDY_COUNCILS[1]  # Barnet: two experiment cases with time now and more
    raw = to_case_frame(generate_council(spec, seed=5), council=spec.council)
    results = compute_results(raw, plan=PLAN)
    json.dumps(results, allow_nan=False)
    assert len(results["levels"]) == 2
    assert len(results["nudges"]["rows"]) == 4
    assert results["nudges"]["pooled"][0]["cases"] == 2
    assert results["plan_hash"] == PLAN.plan_hash


def test_kr20_of_a_hand_worked_item_matrix():
    from analysis.diagnostics import kr20

    # p = .75, .5, .25 → Σpq = .625; totals 3, 2, 1, 0 (×3) → variance 1.25; 3/2 × (1 − .5)
    items = pd.DataFrame([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]] * 3)
    assert kr20(items) == {"kr20": pytest.approx(0.75), "items": 3, "n": 12}
    assert kr20(items.head(4))["not_estimable"] == (
        "not estimable: fewer than 10 complete answer sets (4)"
    )


def test_the_case_summaries_use_the_plans_index_as_the_tables_do():
    # given a respondent who answered one activity of four (yes) and one who answered all
    raw = raw_frame(
        [
            {"activities_answered": 1, "activities_yes": 1, "collective": 3},
            {"activities_answered": 4, "activities_yes": 2, "collective": 1},
        ]
    )
    as_no = AnalysisPlan(index_missing_rule="missing_as_no")

    results = compute_results(raw, plan=as_no)

    # missing answers count as no: (1/4 + 2/4) / 2, in the summaries as in table 1
    (case,) = results["cases"]
    (level,) = results["levels"]
    assert level["individual"]["estimate"] == pytest.approx(0.375)
    assert case["individual_index"] == pytest.approx(0.375)


def test_a_plan_reads_back_equal_from_its_stored_json():
    import json

    plan = AnalysisPlan(star_levels=(0.001, 0.01), confirmatory_outcomes=("individual",))

    stored = json.loads(json.dumps(plan.to_dict()))

    assert stored == plan.to_dict()
    assert AnalysisPlan.from_dict(stored) == plan
    assert AnalysisPlan.from_dict(stored).plan_hash == plan.plan_hash


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"collective_coding": "often"}, "collective_coding must be 'any' or 'frequency'"),
        ({"ci_level": 95}, "ci_level must lie between 0.5 and 1"),
        ({"star_levels": [0.05, 0.01]}, "star_levels must be distinct and in increasing order"),
        ({"confirmatory_outcomes": ["time"]}, "confirmatory_outcomes must name"),
        ({"family_scope": "run"}, "family_scope must be 'case' or 'wave'"),
        ({"min_per_group": 1}, "min_per_group must be a whole number of at least 2"),
        ({"colour": "red"}, "Unknown analysis plan options: colour."),
    ],
)
def test_an_invalid_plan_is_refused_with_the_reason(options, message):
    with pytest.raises(ValueError, match=message):
        AnalysisPlan.from_dict(options)


def test_a_plan_stored_before_the_new_options_reads_them_at_their_defaults():
    old = {"index_missing_rule": "defined", "alpha": 0.05, "power": 0.8}

    plan = AnalysisPlan.from_dict(old)

    assert plan.collective_coding == "any"
    assert plan.ci_level == 0.95
    assert plan.star_levels == (0.01, 0.05)
    assert plan.confirmatory_outcomes == ("collective",)
    assert plan.min_per_group == 20
