"""Co-production indices: pure functions over the tidy case frame."""

import numpy as np
import pandas as pd

from experiments.models import Frequency

ARMS = ("ab", "a", "b", "none")


def individual_index(frame: pd.DataFrame) -> pd.Series:
    """Share of the theme's activities answered yes, among those answered.

    Defined only when at least half of the theme's activities were answered; otherwise
    missing, so that a member who skipped most items does not count as doing nothing.
    """
    answered = frame["activities_answered"].astype(float)
    enough = (answered > 0) & (answered >= frame["activities_total"] / 2)
    return (frame["activities_yes"] / answered).where(enough)


def collective_any(frame: pd.DataFrame) -> pd.Series:
    """1 when the member works with others in groups often or sometimes, 0 when never."""
    code = frame["collective"]
    joined = code.isin([Frequency.OFTEN, Frequency.SOMETIMES]).astype(float)
    return joined.where(code.notna())


def with_indices(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(individual=individual_index(frame), collective_any=collective_any(frame))


def _mean(series: pd.Series) -> float | None:
    value = series.mean()
    return None if pd.isna(value) else float(value)


def case_summaries(frame: pd.DataFrame) -> list[dict]:
    """Summarise each case (theme): n, the two index means, and both means per arm."""
    indexed = with_indices(frame)
    summaries = []
    for (theme_id, theme), case in indexed.groupby(["theme_id", "theme"], sort=True):
        by_arm = {}
        for arm in ARMS:
            in_arm = case[case["arm"] == arm]
            by_arm[arm] = {
                "n": len(in_arm),
                "individual_index": _mean(in_arm["individual"]),
                "collective_index": _mean(in_arm["collective_any"]),
            }
        summaries.append(
            {
                "theme_id": int(theme_id),
                "theme": theme,
                "council": case["council"].iloc[0],
                "n": len(case),
                "individual_index": _mean(case["individual"]),
                "collective_index": _mean(case["collective_any"]),
                "by_arm": by_arm,
            }
        )
    return summaries


def frame_digest(frame: pd.DataFrame) -> str:
    """Hash the frame's content so that a run can say exactly which inputs it used."""
    import hashlib

    hashed = pd.util.hash_pandas_object(frame.sort_index(axis=1), index=False)
    return hashlib.sha256(np.asarray(hashed).tobytes()).hexdigest()


# --- Recodes of the full frame (the analysis plan's definitions) -----------------------

# Stored Frequency codes (often=1, sometimes=2, never=3) → collective score 2/1/0.
COLLECTIVE_SCORE = {1: 2.0, 2: 1.0, 3: 0.0}
DONT_KNOW = 9
MALE = {"male", "man", "m"}
FEMALE = {"female", "woman", "f"}


def individual_index_by_plan(frame: pd.DataFrame, plan) -> pd.Series:
    """Return the individual index under the plan's missing-answer rule."""
    total = frame["activities_total"].astype(float)
    if plan.index_missing_rule == "missing_as_no":
        return (frame["activities_yes"] / total).where(total > 0)
    answered = frame["activities_answered"].astype(float)
    enough = (answered > 0) & (answered >= total * plan.index_min_answered_share)
    return (frame["activities_yes"] / answered).where(enough)


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


NOT_SAID = {"", "not_said", "prefer_not_to_say", "prefer not to say"}
# Qualification codes of a degree or higher: the questionnaire's own, and a plain word.
DEGREE = {"level_4", "degree"}


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
    """Add the analysis variables to the raw case frame (higher = more/better throughout)."""
    score = frame["collective"].map(COLLECTIVE_SCORE).astype(float)
    threshold = plan.time_threshold_code
    out = frame.assign(
        case=frame["council"].astype(str) + " — " + frame["theme"].astype(str),
        individual=individual_index_by_plan(frame, plan),
        collective_score=score,
        collective_any=(score >= 1).astype(float).where(score.notna()),
        collective_often=(score == 2).astype(float).where(score.notna()),
        collective_sometimes=(score == 1).astype(float).where(score.notna()),
        gives_time_now=(frame["time_now"] >= threshold)
        .astype(float)
        .where(frame["time_now"].notna()),
        gives_time_more=(frame["time_more"] >= threshold)
        .astype(float)
        .where(frame["time_more"].notna()),
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
    return out
