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
