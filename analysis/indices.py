"""Co-production indices and the recodes of the analysis plan: pure functions over the case frame.

Each index has one definition here, under the plan: the tables, the per-arm summaries and
the power planner read the columns `prepare` adds, and the exports compute each row's
derived cells with the same functions (`individual_share`, `joins_groups`, `gives_time`).
"""

import hashlib

import numpy as np
import pandas as pd

ARMS = ("ab", "a", "b", "none")

# The questionnaire's codes of "how often do you work with others in groups"
# (often = 1, sometimes = 2, never = 3) → the frequency score 2/1/0.
COLLECTIVE_SCORE = {1: 2.0, 2: 1.0, 3: 0.0}
DONT_KNOW = 9
MALE = {"male", "man", "m"}
FEMALE = {"female", "woman", "f"}
NOT_SAID = {"", "not_said", "prefer_not_to_say", "prefer not to say"}
# Qualification codes of a degree or higher: the questionnaire's own, and a plain word.
DEGREE = {"level_4", "degree"}


def individual_share(yes, answered, total, *, plan) -> np.ndarray:
    """Return the share of the theme's activities answered yes, under the plan's rule.

    "defined": yes among those answered, when at least the plan's share of the theme's
    activities was answered (otherwise missing, so that a member who skipped most items
    does not count as doing nothing); "missing_as_no": yes among all the activities.
    Takes counts as numbers or aligned arrays (the case frame's columns, one exported row's
    counts) and returns NaN where the index is missing.
    """
    yes, answered, total = (np.asarray(value, dtype=float) for value in (yes, answered, total))
    if plan.index_missing_rule == "missing_as_no":
        denominator, defined = total, total > 0
    else:
        denominator = answered
        defined = (answered > 0) & (answered >= total * plan.index_min_answered_share)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(defined, yes / denominator, np.nan)


def individual_index(frame: pd.DataFrame, plan) -> pd.Series:
    """Return the individual index of each row of the case frame (`individual_share`)."""
    share = individual_share(
        frame["activities_yes"], frame["activities_answered"], frame["activities_total"], plan=plan
    )
    return pd.Series(share, index=frame.index)


def frequency_score(codes) -> np.ndarray:
    """Return the frequency score of collective codes: often 2, sometimes 1, never 0, else NaN."""
    codes = np.asarray(codes, dtype=float)
    score = np.full(codes.shape, np.nan)
    for code, value in COLLECTIVE_SCORE.items():
        score = np.where(codes == code, value, score)
    return score


def collective_score(codes: pd.Series) -> pd.Series:
    """Return the frequency score of a column of collective codes (`frequency_score`)."""
    return pd.Series(frequency_score(codes), index=codes.index)


def joins_groups(score) -> np.ndarray:
    """Return the collective index "any": 1 often or sometimes (score ≥ 1), 0 never, else NaN."""
    score = np.asarray(score, dtype=float)
    return np.where(np.isnan(score), np.nan, (score >= 1).astype(float))


def gives_time(codes, *, plan) -> np.ndarray:
    """Return 1 when the time given is at least the plan's threshold, 0 when less, else NaN."""
    codes = np.asarray(codes, dtype=float)
    return np.where(np.isnan(codes), np.nan, (codes >= plan.time_threshold_code).astype(float))


def reverse_five_point(series: pd.Series) -> pd.Series:
    """Recode a 1–5 scale so that higher is better/more; don't know (9) becomes missing."""
    values = series.astype(float)
    return (6 - values).where(values.between(1, 5))


def _gender_male(series: pd.Series) -> pd.Series:
    lowered = series.fillna("").astype(str).str.strip().str.lower()
    return pd.Series(
        np.where(lowered.isin(MALE), 1.0, np.where(lowered.isin(FEMALE), 0.0, np.nan)),
        index=series.index,
    )


def _ethnic_minority(series: pd.Series) -> pd.Series:
    lowered = series.fillna("").astype(str).str.strip().str.lower()
    known = ~lowered.isin(NOT_SAID)
    return pd.Series(
        np.where(known, (~lowered.str.startswith("white")).astype(float), np.nan),
        index=series.index,
    )


def _degree(series: pd.Series) -> pd.Series:
    lowered = series.fillna("").astype(str).str.strip().str.lower()
    return pd.Series(
        np.where(lowered.isin(NOT_SAID), np.nan, lowered.isin(DEGREE).astype(float)),
        index=series.index,
    )


def prepare(frame: pd.DataFrame, plan) -> pd.DataFrame:
    """Add the analysis variables to the raw case frame (higher = more/better throughout).

    `collective_any` (often or sometimes = 1) and `collective_frequency` (the score 0/1/2
    divided by 2) are both kept: the plan names the one its tables use, and the other is
    the robustness row. A frame without `wave_id` is one wave.
    """
    score = collective_score(frame["collective"])
    out = frame.assign(
        case=frame["council"].astype(str) + " — " + frame["theme"].astype(str),
        individual=individual_index(frame, plan),
        collective_score=score,
        collective_any=joins_groups(score),
        collective_frequency=score / 2,
        collective_often=(score == 2).astype(float).where(score.notna()),
        collective_sometimes=(score == 1).astype(float).where(score.notna()),
        gives_time_now=gives_time(frame["time_now"], plan=plan),
        gives_time_more=gives_time(frame["time_more"], plan=plan),
        efficacy_score=reverse_five_point(frame["efficacy"]),
        conditions_score=reverse_five_point(frame["conditions"]),
        sat_information=reverse_five_point(frame["satisfaction_information"]),
        sat_consultation=reverse_five_point(frame["satisfaction_consultation"]),
        sat_response=reverse_five_point(frame["satisfaction_response"]),
        age=(frame["wave_year"] - frame["birth_year"]).astype(float),
        male=_gender_male(frame["gender"]),
        ethnic_minority=_ethnic_minority(frame["ethnic_group"]),
        degree=_degree(frame["qualification"]),
    )
    if "wave_id" not in out.columns:
        out["wave_id"] = 0
    return out


def _mean(series: pd.Series) -> float | None:
    value = series.mean()
    return None if pd.isna(value) else float(value)


def case_summaries(frame: pd.DataFrame, plan) -> list[dict]:
    """Summarise each case (theme) of the prepared frame: n and both indices, overall and per arm.

    The collective index is the plan's coding, as in tables 4 and 5.
    """
    collective = plan.collective_column
    summaries = []
    for (theme_id, theme, case_name), case in frame.groupby(
        ["theme_id", "theme", "case"], sort=True
    ):
        by_arm = {}
        for arm in ARMS:
            in_arm = case[case["arm"] == arm]
            by_arm[arm] = {
                "n": len(in_arm),
                "individual_index": _mean(in_arm["individual"]),
                "collective_index": _mean(in_arm[collective]),
            }
        summaries.append(
            {
                "theme_id": int(theme_id),
                "theme": theme,
                "case": case_name,
                "council": case["council"].iloc[0],
                "n": len(case),
                "individual_index": _mean(case["individual"]),
                "collective_index": _mean(case[collective]),
                "by_arm": by_arm,
            }
        )
    return summaries


def frame_digest(frame: pd.DataFrame) -> str:
    """Hash the frame's content so that a run can say exactly which inputs it used."""
    hashed = pd.util.hash_pandas_object(frame.sort_index(axis=1), index=False)
    return hashlib.sha256(np.asarray(hashed).tobytes()).hexdigest()
