"""A synthetic response generator calibrated to the study's published numbers.

Pure numpy: it returns frames in the layout of the platform's own data (stored codes, not
recodes) so that the demo can write them through the ORM and tests can analyse them
directly. Planted nudge effects are added on the probability scale.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

ARM_CYCLE = ("ab", "a", "b", "none")
# The questionnaire's own stored codes (experiments.models.AgeBand, Gender, EthnicGroup,
# Qualification), so that generated waves export and analyse like real ones.
AGE_BANDS = ("16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
AGE_BAND_LOWER_BOUNDS = (25, 35, 45, 55, 65, 75)
GENDERS = ("woman", "man")
ETHNIC_GROUPS = ("white", "asian", "black", "mixed", "other")
QUALIFICATIONS = ("none", "level_1_2", "level_3", "level_4")
# Stored codes: efficacy Agreement 1 (strongly agree) … 5, 9 don't know.
EFFICACY_P = (0.14, 0.36, 0.26, 0.14, 0.07, 0.03)
EFFICACY_CODES = (1, 2, 3, 4, 5, 9)
# Slopes of the individual index, chosen so that over the ten study cases self-efficacy is
# significantly positive in about six and age significantly negative in about four (the
# paper's Table 3); collective co-production rises 0.3 on the logit scale per efficacy point.
INDIVIDUAL_PER_EFFICACY_POINT = 0.02
INDIVIDUAL_PER_YEAR_OF_AGE = -0.0008
COLLECTIVE_LOGIT_PER_EFFICACY_POINT = 0.3
EFFICACY_MEAN_SCORE = sum(
    (6 - c) * p for c, p in zip(EFFICACY_CODES[:5], EFFICACY_P[:5], strict=True)
) / sum(EFFICACY_P[:5])


@dataclass(frozen=True)
class ThemeSpec:
    """The calibration of one case: levels from the paper and planted nudge effects."""

    theme: str
    kind: str
    activities: int
    individual: float  # mean share of activities done
    often: float  # share joining groups often
    sometimes: float  # share joining groups sometimes
    time_more: float | None  # share willing to give at least a few hours a month (more)
    time_now: float | None = None  # share giving at least a few hours a month now
    # Planted effects by arm on the probability of any collective co-production and on
    # the individual index.
    collective_effect: dict = field(default_factory=dict)
    individual_effect: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CouncilSpec:
    council: str
    respondents: int
    themes: tuple[ThemeSpec, ...]
    experiment: bool
    ethnic_mix: tuple[float, ...] = (0.85, 0.06, 0.04, 0.03, 0.02)


@dataclass(frozen=True)
class SyntheticWave:
    respondents: pd.DataFrame  # one row per respondent: arm and profile
    answers: pd.DataFrame  # one row per respondent × theme: stored codes
    activities: pd.DataFrame  # one row per respondent × theme × activity: done


def assign_arms(n: int, rng: np.random.Generator, *, experiment: bool = True) -> np.ndarray:
    """Return a complete randomisation of n units to the four arms (sizes differ by ≤ 1)."""
    if not experiment:
        return np.array(["none"] * n, dtype=object)
    arms = np.array([ARM_CYCLE[i % 4] for i in range(n)], dtype=object)
    return rng.permutation(arms)


def generate_council(
    spec: CouncilSpec, *, seed: int, wave_year: int = 2026, arms=None
) -> SyntheticWave:
    """Draw the respondents and answers of one council's closed wave.

    `arms` (one per respondent) replaces the generator's own randomisation, for waves whose
    members were allocated by the platform; every other draw stays what the seed gives.
    """
    rng = np.random.default_rng(seed)
    n = spec.respondents
    drawn = assign_arms(n, rng, experiment=spec.experiment)
    arms = drawn if arms is None else np.asarray([str(arm) for arm in arms], dtype=object)
    if len(arms) != n:
        raise ValueError(f"{len(arms)} arms given for {n} respondents")
    birth_year = wave_year - rng.integers(18, 90, size=n)
    age = wave_year - birth_year
    age_band = np.array(AGE_BANDS, dtype=object)[
        np.searchsorted(AGE_BAND_LOWER_BOUNDS, age, "right")
    ]
    respondents = pd.DataFrame(
        {
            "respondent": np.arange(n),
            "arm": arms,
            "birth_year": birth_year,
            "age_band": age_band,
            "gender": rng.choice(GENDERS, size=n, p=(0.54, 0.46)),
            "ethnic_group": rng.choice(ETHNIC_GROUPS, size=n, p=spec.ethnic_mix),
            "qualification": rng.choice(QUALIFICATIONS, size=n, p=(0.1, 0.25, 0.25, 0.4)),
            "ward": rng.choice(("North", "South", "East", "West"), size=n),
        }
    )
    answer_rows = []
    activity_rows = []
    for theme in spec.themes:
        efficacy = rng.choice(EFFICACY_CODES, size=n, p=EFFICACY_P)
        score = np.where(efficacy == 9, EFFICACY_MEAN_SCORE, 6 - efficacy)
        centred = score - EFFICACY_MEAN_SCORE
        coll_shift = np.array([theme.collective_effect.get(a, 0.0) for a in arms])
        ind_shift = np.array([theme.individual_effect.get(a, 0.0) for a in arms])
        any_share = theme.often + theme.sometimes
        # Efficacy acts on the logit scale so that rare collective co-production stays rare;
        # the planted effect is added on the probability scale, as the OLS estimand.
        p_any = np.clip(
            _expit(_logit(any_share) + COLLECTIVE_LOGIT_PER_EFFICACY_POINT * centred) + coll_shift,
            0.005,
            0.995,
        )
        joined = rng.random(n) < p_any
        often_given_any = theme.often / any_share if any_share else 0.0
        often = joined & (rng.random(n) < often_given_any)
        collective = np.where(often, 1, np.where(joined, 2, 3))
        p_item = np.clip(
            theme.individual
            + INDIVIDUAL_PER_EFFICACY_POINT * centred
            + INDIVIDUAL_PER_YEAR_OF_AGE * (age - 50)
            + ind_shift,
            0.01,
            0.99,
        )
        done = rng.random((n, theme.activities)) < p_item[:, None]
        skipped = rng.random((n, theme.activities)) < 0.03
        for position in range(theme.activities):
            activity_rows.append(
                pd.DataFrame(
                    {
                        "respondent": np.arange(n),
                        "theme": theme.theme,
                        "position": position,
                        "done": np.where(skipped[:, position], None, done[:, position]),
                    }
                )
            )
        answer_rows.append(
            pd.DataFrame(
                {
                    "respondent": np.arange(n),
                    "theme": theme.theme,
                    "kind": theme.kind,
                    "collective": collective,
                    "efficacy": efficacy,
                    "time_now": _time_codes(rng, n, theme.time_now),
                    "time_more": _time_codes(rng, n, theme.time_more),
                    "conditions": rng.choice(
                        (1, 2, 3, 4, 5), size=n, p=(0.1, 0.35, 0.3, 0.17, 0.08)
                    ),
                    "satisfaction_information": _satisfaction(rng, n),
                    "satisfaction_consultation": _satisfaction(rng, n),
                    "satisfaction_response": _satisfaction(rng, n),
                }
            )
        )
    return SyntheticWave(
        respondents=respondents,
        answers=pd.concat(answer_rows, ignore_index=True),
        activities=pd.concat(activity_rows, ignore_index=True),
    )


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _time_codes(rng: np.random.Generator, n: int, share: float | None) -> np.ndarray:
    if share is None:
        return np.full(n, np.nan)
    gives = rng.random(n) < share
    return np.where(gives, rng.choice((3, 4), size=n, p=(0.7, 0.3)), rng.choice((1, 2), size=n))


def _satisfaction(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice((1, 2, 3, 4, 5, 9), size=n, p=(0.08, 0.3, 0.3, 0.17, 0.1, 0.05))


def to_case_frame(wave: SyntheticWave, *, council: str, wave_year: int = 2026) -> pd.DataFrame:
    """Return the raw case frame (`analysis.datasets.CASE_COLUMNS`) of a synthetic wave."""
    items = wave.activities
    counts = (
        items.assign(answered=items["done"].notna(), yes=items["done"].map(lambda v: v is True))
        .groupby(["respondent", "theme"])
        .agg(total=("position", "size"), answered=("answered", "sum"), yes=("yes", "sum"))
        .reset_index()
    )
    frame = wave.answers.merge(counts, on=["respondent", "theme"]).merge(
        wave.respondents, on="respondent"
    )
    theme_ids = {name: i + 1 for i, name in enumerate(dict.fromkeys(frame["theme"]))}
    out = pd.DataFrame(
        {
            "response_id": frame["respondent"] + 1,
            "member_id": frame["respondent"] + 1,
            "council": council,
            "theme_id": frame["theme"].map(theme_ids),
            "theme": frame["theme"],
            "arm": frame["arm"],
            "activities_total": frame["total"],
            "activities_answered": frame["answered"],
            "activities_yes": frame["yes"],
            "collective": frame["collective"].astype(float),
            "efficacy": frame["efficacy"].astype(float),
            "time_now": frame["time_now"].astype(float),
            "time_more": frame["time_more"].astype(float),
            "conditions": frame["conditions"].astype(float),
            "satisfaction_information": frame["satisfaction_information"].astype(float),
            "satisfaction_consultation": frame["satisfaction_consultation"].astype(float),
            "satisfaction_response": frame["satisfaction_response"].astype(float),
            "theme_kind": frame["kind"],
            "birth_year": frame["birth_year"].astype(float),
            "age_band": frame["age_band"],
            "gender": frame["gender"],
            "ethnic_group": frame["ethnic_group"],
            "qualification": frame["qualification"],
            "ward": frame["ward"],
            "panel_ward": frame["ward"],
            "panel_age_band": frame["age_band"],
            "panel_gender": frame["gender"],
            "wave_year": wave_year,
        }
    )
    return out.sort_values(["response_id", "theme_id"]).reset_index(drop=True)


def _nudges(a: float, b: float, ab: float) -> dict:
    return {"a": a, "b": b, "ab": ab}


# The five councils of the study. The paper does not name the three that ran the nudges;
# "6 of 15 potential cases" fits five nudge cases × three arms, which Barnet (2 themes),
# Wolverhampton (2) and Swansea (1) give.
STUDY_COUNCILS = (
    CouncilSpec(
        council="Derbyshire Dales District Council",
        respondents=420,
        experiment=False,
        themes=(
            ThemeSpec("Local environment", "environment", 5, 0.62, 0.30, 0.30, 0.40),
            ThemeSpec("Community safety", "community_safety", 5, 0.55, 0.12, 0.22, 0.28),
            ThemeSpec("Health", "health", 5, 0.58, 0.10, 0.18, 0.23),
        ),
    ),
    CouncilSpec(
        council="London Borough of Barnet",
        respondents=600,
        experiment=True,
        ethnic_mix=(0.62, 0.18, 0.09, 0.06, 0.05),
        themes=(
            ThemeSpec(
                "Community safety",
                "community_safety",
                5,
                0.50,
                # Base 9 %: with the planted effects the case's overall share is the paper's 13 %.
                0.03,
                0.06,
                0.20,
                time_now=0.08,
                collective_effect=_nudges(0.08, 0.02, 0.10),
            ),
            ThemeSpec(
                "Social well-being",
                "social_wellbeing",
                5,
                0.52,
                0.04,
                0.09,
                0.43,
                time_now=0.58,
                # The null case: no planted effect on anything.
            ),
        ),
    ),
    CouncilSpec(
        council="Bristol City Council",
        respondents=420,
        experiment=False,
        themes=(
            ThemeSpec("Local environment", "environment", 5, 0.68, 0.72, 0.18, 0.44),
            ThemeSpec("Community safety", "community_safety", 5, 0.52, 0.15, 0.25, 0.30),
        ),
    ),
    CouncilSpec(
        council="City of Wolverhampton Council",
        respondents=600,
        experiment=True,
        ethnic_mix=(0.64, 0.20, 0.09, 0.05, 0.02),
        themes=(
            ThemeSpec(
                "Local environment",
                "environment",
                5,
                0.60,
                0.10,
                0.20,
                0.35,
                collective_effect=_nudges(0.06, 0.04, 0.10),
                individual_effect=_nudges(0.02, 0.0, 0.03),
            ),
            ThemeSpec(
                "Community safety",
                "community_safety",
                5,
                0.50,
                0.06,
                0.14,
                0.25,
                collective_effect=_nudges(0.0, 0.05, 0.07),
            ),
        ),
    ),
    CouncilSpec(
        council="City and County of Swansea",
        respondents=600,
        experiment=True,
        themes=(
            ThemeSpec(
                "Local environment",
                "environment",
                5,
                0.64,
                0.25,
                0.30,
                0.52,
                collective_effect=_nudges(0.07, 0.03, 0.09),
            ),
        ),
    ),
)
