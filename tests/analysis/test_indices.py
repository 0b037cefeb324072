import math

import pandas as pd
import pytest

from analysis.indices import case_summaries, collective_any, individual_index


def _frame(rows):
    columns = [
        "response_id",
        "member_id",
        "council",
        "theme_id",
        "theme",
        "arm",
        "activities_total",
        "activities_answered",
        "activities_yes",
        "collective",
        "efficacy",
    ]
    return pd.DataFrame.from_records(rows, columns=columns)


def test_individual_index_is_yes_over_answered_when_half_were_answered():
    frame = _frame(
        [
            (1, 1, "C", 1, "T", "a", 4, 4, 3, 1, 1),  # 3/4
            (2, 2, "C", 1, "T", "a", 4, 2, 1, 1, 1),  # exactly half answered: 1/2
            (3, 3, "C", 1, "T", "a", 4, 1, 1, 1, 1),  # under half answered: missing
            (4, 4, "C", 1, "T", "a", 4, 0, 0, 1, 1),  # nothing answered: missing
        ]
    )

    index = individual_index(frame)

    assert index.iloc[0] == 0.75
    assert index.iloc[1] == 0.5
    assert math.isnan(index.iloc[2])
    assert math.isnan(index.iloc[3])


@pytest.mark.parametrize(("code", "expected"), [(1, 1.0), (2, 1.0), (3, 0.0)])
def test_collective_any_counts_often_and_sometimes(code, expected):
    assert collective_any(_frame([(1, 1, "C", 1, "T", "a", 2, 2, 1, code, 1)])).iloc[0] == expected


def test_collective_any_is_missing_when_unanswered():
    frame = _frame([(1, 1, "C", 1, "T", "a", 2, 2, 1, None, 1)])

    assert math.isnan(collective_any(frame).iloc[0])


def test_case_summaries_give_overall_and_per_arm_means():
    frame = _frame(
        [
            (1, 1, "C", 7, "Safety", "ab", 2, 2, 2, 1, 1),  # individual 1.0, collective 1
            (2, 2, "C", 7, "Safety", "ab", 2, 2, 0, 3, 1),  # individual 0.0, collective 0
            (3, 3, "C", 7, "Safety", "none", 2, 2, 1, 2, 1),  # individual 0.5, collective 1
            (4, 4, "C", 8, "Health", "a", 4, 4, 1, 3, 1),  # individual .25, collective 0
        ]
    )

    safety, health = case_summaries(frame)

    assert safety["theme"] == "Safety"
    assert safety["n"] == 3
    assert safety["individual_index"] == pytest.approx(0.5)
    assert safety["collective_index"] == pytest.approx(2 / 3)
    assert safety["by_arm"]["ab"] == {"n": 2, "individual_index": 0.5, "collective_index": 0.5}
    assert safety["by_arm"]["none"] == {"n": 1, "individual_index": 0.5, "collective_index": 1.0}
    assert safety["by_arm"]["a"] == {"n": 0, "individual_index": None, "collective_index": None}
    assert health["individual_index"] == pytest.approx(0.25)
    assert health["collective_index"] == 0.0
