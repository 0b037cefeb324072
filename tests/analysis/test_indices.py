"""The indices, each defined once under the analysis plan (no database)."""

import math

import pandas as pd
import pytest

from analysis.indices import case_summaries, collective_score, individual_index, prepare
from analysis.plan import AnalysisPlan
from tests.analysis.test_tables import raw_frame

PLAN = AnalysisPlan()


def _frame(rows):
    columns = ["activities_total", "activities_answered", "activities_yes"]
    return pd.DataFrame.from_records(rows, columns=columns)


def test_individual_index_is_yes_over_answered_when_half_were_answered():
    frame = _frame(
        [
            (4, 4, 3),  # 3/4
            (4, 2, 1),  # exactly half answered: 1/2
            (4, 1, 1),  # under half answered: missing
            (4, 0, 0),  # nothing answered: missing
        ]
    )

    index = individual_index(frame, PLAN)

    assert index.iloc[0] == 0.75
    assert index.iloc[1] == 0.5
    assert math.isnan(index.iloc[2])
    assert math.isnan(index.iloc[3])


def test_the_plans_share_of_activities_answered_decides_when_the_index_is_defined():
    frame = _frame([(4, 2, 1), (4, 3, 3)])

    index = individual_index(frame, AnalysisPlan(index_min_answered_share=0.75))

    assert math.isnan(index.iloc[0])
    assert index.iloc[1] == 1.0


@pytest.mark.parametrize(("code", "score"), [(1, 2.0), (2, 1.0), (3, 0.0)])
def test_the_frequency_score_counts_often_two_sometimes_one_never_zero(code, score):
    assert collective_score(pd.Series([code])).iloc[0] == score


def test_both_collective_codings_are_missing_when_unanswered():
    frame = prepare(raw_frame([{"collective": float("nan")}]), PLAN)

    assert math.isnan(frame["collective_any"].iloc[0])
    assert math.isnan(frame["collective_frequency"].iloc[0])


def test_case_summaries_give_overall_and_per_arm_means_of_the_plans_indices():
    raw = raw_frame(
        [
            {
                "theme_id": 7,
                "theme": "Safety",
                "arm": "ab",
                "activities_total": 2,
                "activities_answered": 2,
                "activities_yes": 2,
                "collective": 1,
            },
            {
                "theme_id": 7,
                "theme": "Safety",
                "arm": "ab",
                "activities_total": 2,
                "activities_answered": 2,
                "activities_yes": 0,
                "collective": 3,
            },
            {
                "theme_id": 7,
                "theme": "Safety",
                "arm": "none",
                "activities_total": 2,
                "activities_answered": 2,
                "activities_yes": 1,
                "collective": 2,
            },
            {
                "theme_id": 8,
                "theme": "Health",
                "arm": "a",
                "activities_total": 4,
                "activities_answered": 4,
                "activities_yes": 1,
                "collective": 3,
            },
        ]
    )

    safety, health = case_summaries(prepare(raw, PLAN), PLAN)
    frequency = AnalysisPlan(collective_coding="frequency")
    safety_score, _ = case_summaries(prepare(raw, frequency), frequency)

    assert safety["theme"] == "Safety"
    assert safety["n"] == 3
    assert safety["individual_index"] == pytest.approx(0.5)
    assert safety["collective_index"] == pytest.approx(2 / 3)
    assert safety["by_arm"]["ab"] == {"n": 2, "individual_index": 0.5, "collective_index": 0.5}
    assert safety["by_arm"]["none"] == {"n": 1, "individual_index": 0.5, "collective_index": 1.0}
    assert safety["by_arm"]["a"] == {"n": 0, "individual_index": None, "collective_index": None}
    assert health["individual_index"] == pytest.approx(0.25)
    assert health["collective_index"] == 0.0
    # often 1, never 0, sometimes ½ on the frequency score
    assert safety_score["collective_index"] == pytest.approx(0.5)
