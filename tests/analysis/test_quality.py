"""Response-quality flags on constructed responses: a speeder, a straight-liner, a normal one."""

from datetime import UTC, datetime, timedelta

import pandas as pd

from analysis.quality import (
    flag_duplicate_devices,
    flag_speeders,
    flag_straight_lining,
    nudge_seconds,
    quality_flags,
    total_seconds,
)

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def visit(response_id, page, start_seconds, seconds):
    shown = T0 + timedelta(seconds=start_seconds)
    return {
        "response_id": response_id,
        "page": page,
        "shown_at": shown,
        "submitted_at": shown + timedelta(seconds=seconds) if seconds is not None else pd.NaT,
    }


def attitudes(response_id, theme_id, codes):
    keys = (
        "conditions",
        "satisfaction_information",
        "satisfaction_consultation",
        "satisfaction_response",
        "efficacy",
    )
    return {"response_id": response_id, "theme_id": theme_id, **dict(zip(keys, codes, strict=True))}


def test_a_speeder_is_under_a_third_of_the_median_and_a_normal_respondent_is_not():
    # given 100 completes of 300 s and one of 90 s (under 300/3 = 100 s) and one of 110 s
    durations = pd.Series([300.0] * 98 + [90.0, 110.0], index=range(1, 101))

    # when the speeders are flagged
    flags = flag_speeders(durations)

    # then only the 90-second response is a speeder
    assert flags[flags].index.tolist() == [99]


def test_the_speeder_rule_waits_for_one_hundred_completes():
    durations = pd.Series([300.0] * 98 + [10.0], index=range(1, 100))

    assert not flag_speeders(durations).any()


def test_total_time_sums_the_submitted_pages_only():
    visits = pd.DataFrame(
        [
            visit(1, "start", 0, 20),
            visit(1, "theme-7", 20, 100),
            visit(1, "theme-7", 400, 30),  # came back to the page
            visit(1, "about-you", 500, None),  # never sent
            visit(2, "start", 0, 5),
        ]
    )

    assert total_seconds(visits).to_dict() == {1: 150.0, 2: 5.0}
    assert nudge_seconds(visits).to_dict("records") == [
        {"response_id": 1, "theme_id": 7, "seconds": 130.0}
    ]


def test_a_straight_liner_gives_one_code_to_all_five_attitude_items():
    answers = pd.DataFrame(
        [
            attitudes(1, 7, (3, 3, 3, 3, 3)),  # straight-liner
            attitudes(2, 7, (2, 4, 3, 3, 1)),  # normal respondent
            attitudes(3, 7, (3, 3, 3, 3, None)),  # one item skipped: no line to judge
        ]
    )

    assert flag_straight_lining(answers).tolist() == [True, False, False]


def test_a_second_response_from_the_same_device_within_the_window_is_flagged():
    responses = pd.DataFrame(
        [
            {"response_id": 1, "device_hash": "d1", "first_seen_at": T0},
            {"response_id": 2, "device_hash": "d1", "first_seen_at": T0 + timedelta(minutes=10)},
            {"response_id": 3, "device_hash": "d1", "first_seen_at": T0 + timedelta(hours=5)},
            {"response_id": 4, "device_hash": "d2", "first_seen_at": T0 + timedelta(minutes=1)},
            {"response_id": 5, "device_hash": "", "first_seen_at": T0 + timedelta(minutes=2)},
            {"response_id": 6, "device_hash": "", "first_seen_at": T0 + timedelta(minutes=3)},
        ]
    )

    flags = flag_duplicate_devices(responses)

    assert flags[flags].index.tolist() == [2]


def test_the_flag_frame_marks_a_speeder_a_straight_liner_and_leaves_a_normal_respondent():
    # given 100 completes of 600 s; response 1 took 60 s, response 2 straight-lined theme 7
    cases = pd.DataFrame(
        [attitudes(1, 7, (2, 4, 3, 3, 1)), attitudes(2, 7, (5, 5, 5, 5, 5))]
        + [attitudes(r, 7, (2, 4, 3, 3, 1)) for r in range(3, 101)]
    )
    visits = pd.DataFrame(
        [visit(1, "theme-7", 0, 60)] + [visit(r, "theme-7", 0, 600) for r in range(2, 101)]
    )
    responses = pd.DataFrame(
        [{"response_id": r, "device_hash": f"d{r}", "first_seen_at": T0} for r in range(1, 101)]
    )

    # when the flags are computed
    flags = quality_flags(cases, visits=visits, responses=responses).set_index("response_id")

    # then the speeder and the straight-liner are flagged, the normal respondent is not
    assert flags.loc[1, ["speeder", "straight_liner", "duplicate_device", "flagged"]].tolist() == [
        True,
        False,
        False,
        True,
    ]
    assert flags.loc[2, ["speeder", "straight_liner", "flagged"]].tolist() == [False, True, True]
    assert flags.loc[3, ["speeder", "straight_liner", "duplicate_device", "flagged"]].tolist() == [
        False,
        False,
        False,
        False,
    ]
    assert flags.loc[1, "nudge_seconds"] == 60.0
    assert int(flags["flagged"].sum()) == 2
