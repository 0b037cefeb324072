"""Response-quality flags: pure functions over the tidy frames and the page paradata.

A flag never removes anything by itself. The analysis reports its tables with every
response and, as a sensitivity check, again without the flagged ones.

- speeder: total page time under a third of the wave's median, applied only once the
  wave has at least `SPEEDER_MIN_COMPLETES` completes (a median of a few is no yardstick);
- straight-liner: the same code on all five attitude items of a theme (perceived
  conditions, the three satisfactions and self-efficacy);
- duplicate device: the same salted device hash as an earlier response whose first page
  came within `DUPLICATE_WINDOW`; the earliest response of a device is not flagged;
- nudge seconds: how long the theme page (which holds the information box) was on screen.
"""

from datetime import timedelta

import pandas as pd

SPEEDER_MIN_COMPLETES = 100
SPEEDER_FRACTION = 1 / 3
DUPLICATE_WINDOW = timedelta(minutes=30)
ATTITUDE_ITEMS = (
    "conditions",
    "satisfaction_information",
    "satisfaction_consultation",
    "satisfaction_response",
    "efficacy",
)
FLAGS = ("speeder", "straight_liner", "duplicate_device")


def page_seconds(visits: pd.DataFrame) -> pd.DataFrame:
    """Return the visits with `seconds` on screen (shown → submitted; unsent pages are NaN)."""
    seconds = (visits["submitted_at"] - visits["shown_at"]).dt.total_seconds()
    return visits.assign(seconds=seconds)


def total_seconds(visits: pd.DataFrame) -> pd.Series:
    """Return each response's total time on its submitted pages, in seconds."""
    timed = page_seconds(visits).dropna(subset=["seconds"])
    return timed.groupby("response_id")["seconds"].sum()


def flag_speeders(
    durations: pd.Series,
    *,
    min_completes: int = SPEEDER_MIN_COMPLETES,
    fraction: float = SPEEDER_FRACTION,
) -> pd.Series:
    """Flag the responses whose total time is under `fraction` of the median of all of them."""
    if len(durations) < min_completes:
        return pd.Series(False, index=durations.index, dtype=bool)
    return durations < fraction * durations.median()


def flag_straight_lining(answers: pd.DataFrame) -> pd.Series:
    """Flag each response × theme row whose five attitude items all carry the same code.

    A row with any item unanswered is not flagged: there is no line to be straight.
    """
    items = answers[list(ATTITUDE_ITEMS)]
    complete = items.notna().all(axis=1)
    return complete & (items.nunique(axis=1) == 1)


def flag_duplicate_devices(responses: pd.DataFrame, *, window=DUPLICATE_WINDOW) -> pd.Series:
    """Flag a response whose device hash began another response within `window` before it.

    `responses` has `response_id`, `device_hash` (blank when unknown) and `first_seen_at`.
    """
    flagged = pd.Series(False, index=responses["response_id"].to_numpy(), dtype=bool)
    known = responses[responses["device_hash"].fillna("") != ""]
    for _, group in known.sort_values("first_seen_at").groupby("device_hash"):
        times = group["first_seen_at"].tolist()
        ids = group["response_id"].tolist()
        for previous, current, response_id in zip(times, times[1:], ids[1:], strict=False):
            if current - previous <= window:
                flagged[response_id] = True
    return flagged


def nudge_seconds(visits: pd.DataFrame) -> pd.DataFrame:
    """Return seconds on screen of each response's theme pages: response_id, theme_id, seconds.

    A page shown more than once counts every submitted showing.
    """
    timed = page_seconds(visits)
    themes = timed[timed["page"].str.startswith("theme-")].dropna(subset=["seconds"])
    themes = themes.assign(theme_id=themes["page"].str.removeprefix("theme-").astype(int))
    return themes.groupby(["response_id", "theme_id"], as_index=False)["seconds"].sum()


def quality_flags(
    cases: pd.DataFrame,
    *,
    visits: pd.DataFrame,
    responses: pd.DataFrame,
    min_completes: int = SPEEDER_MIN_COMPLETES,
) -> pd.DataFrame:
    """Return the case rows' keys with every flag, `flagged` (any of them) and nudge seconds.

    `cases` is the raw case frame (one row per complete response × theme).
    """
    out = cases[["response_id", "theme_id"]].copy()
    durations = total_seconds(visits)
    durations = durations[durations.index.isin(cases["response_id"].unique())]
    speeders = flag_speeders(durations, min_completes=min_completes)
    out["total_seconds"] = out["response_id"].map(durations)
    out["speeder"] = out["response_id"].map(speeders).fillna(False).astype(bool)
    out["straight_liner"] = flag_straight_lining(cases).to_numpy()
    duplicates = flag_duplicate_devices(responses)
    out["duplicate_device"] = out["response_id"].map(duplicates).fillna(False).astype(bool)
    out["flagged"] = out[list(FLAGS)].any(axis=1)
    seconds = nudge_seconds(visits)
    out = out.merge(seconds.rename(columns={"seconds": "nudge_seconds"}), how="left")
    return out


def flag_summary(flags: pd.DataFrame, *, min_completes: int = SPEEDER_MIN_COMPLETES) -> dict:
    """Return counts of flagged case rows and responses, for the report and the console."""
    responses = flags.groupby("response_id")[[*FLAGS, "flagged"]].any()
    completes = len(responses)
    # Speeders are judged on page times: completes without them (paper, telephone, or
    # answers imported without paradata) can be neither flagged nor cleared.
    timed = int(flags.drop_duplicates("response_id")["total_seconds"].notna().sum())
    return {
        "completes": completes,
        "timed_responses": timed,
        "rows": len(flags),
        "flagged_rows": {flag: int(flags[flag].sum()) for flag in (*FLAGS, "flagged")},
        "flagged_responses": {flag: int(responses[flag].sum()) for flag in (*FLAGS, "flagged")},
        "speeder_rule_applies": timed >= min_completes,
        "median_total_seconds": (
            float(flags.drop_duplicates("response_id")["total_seconds"].median())
            if completes
            else None
        ),
        "median_nudge_seconds": (
            float(flags["nudge_seconds"].median()) if flags["nudge_seconds"].notna().any() else None
        ),
        "rules": {
            "speeder": (
                f"total time under a third of the median; applied only with at least "
                f"{min_completes} completes"
            ),
            "straight_liner": "same code on all five attitude items of the theme",
            "duplicate_device": (
                f"same device as a response begun up to {int(DUPLICATE_WINDOW.seconds / 60)} "
                "minutes earlier"
            ),
        },
    }
