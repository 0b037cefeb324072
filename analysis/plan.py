"""The analysis plan: every definition that changes a number or a sentence of the report.

The plan is frozen with the wave's design when the wave opens; the report's text (the
"Definitions used" box, the table notes, the verdicts) is written from it, so a plan
other than the default changes every sentence it affects.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, fields

INDEX_RULES = ("defined", "missing_as_no")
COLLECTIVE_CODINGS = ("any", "frequency")
OUTCOME_KEYS = ("collective", "individual")
FAMILY_SCOPES = ("case", "wave")
ADJUSTMENTS = ("holm", "fdr_bh", "bonferroni")
# The questionnaire's codes of the time questions (1 none … 4 a few hours a week or more).
TIME_CODES = (2, 3, 4)
# Columns of `analysis.indices.prepare` holding each coding of the collective index.
COLLECTIVE_COLUMNS = {"any": "collective_any", "frequency": "collective_frequency"}


@dataclass(frozen=True)
class AnalysisPlan:
    """Options of the analysis; the defaults are the paper's definitions.

    The plan is part of the wave's design: its hash is stored with every run, and a run
    with a plan other than the one frozen at opening reports that as a deviation. Plans
    stored before a field existed read it at its default, which is what those runs did.
    """

    # Individual index: defined when at least this share of the activities was answered
    # ("defined"), or every unanswered activity counts as no ("missing_as_no").
    index_missing_rule: str = "defined"
    index_min_answered_share: float = 0.5
    # Collective index in the correlates (table 4) and the nudge models (table 5): the
    # paper's "joins groups often or sometimes" (any = 1, never = 0), or the frequency
    # score (never 0, sometimes 1, often 2) scaled to 0–1 so effects read in points.
    # The other coding is reported beside it as a robustness row.
    collective_coding: str = "any"
    # "Gives time" = at least this TimeGiven code (3 = a few hours a month).
    time_threshold_code: int = 3
    # Correlates with fewer respondents than this in a category are "not testable".
    min_per_category: int = 30
    # Cases with fewer respondents than this are "not estimable".
    min_respondents: int = 10
    # A nudge verdict ("raised", "lowered", "no clear difference") needs at least this many
    # answers in the nudge's group and in the no-nudge group; fewer is "too few to tell".
    min_per_group: int = 20
    # Significance level of every test and verdict, and the level of every interval.
    alpha: float = 0.05
    ci_level: float = 0.95
    # One star per level a p-value is below (the paper's ** .01, * .05), in every table.
    star_levels: tuple[float, ...] = (0.01, 0.05)
    # Power for the minimum detectable effects.
    power: float = 0.80
    # Multiplicity. Confirmatory: the arm-versus-none contrasts (A only, B only, A and B)
    # of these outcomes, one family per case (or per wave), adjusted with this method.
    # Exploratory: the other outcomes' arm contrasts and the correlates, per case (or
    # wave) and per table. A family never spans waves, so pooling leaves verdicts alone.
    confirmatory_outcomes: tuple[str, ...] = ("collective",)
    family_scope: str = "case"
    confirmatory_adjustment: str = "holm"
    exploratory_adjustment: str = "fdr_bh"
    # Randomisation inference: draws, seed, and the case size below which it is reported.
    ri_draws: int = 2000
    ri_seed: int = 20260101
    ri_max_n: int = 200

    def __post_init__(self) -> None:
        # JSON gives lists; the plan keeps tuples so that it stays hashable and frozen.
        for name in ("star_levels", "confirmatory_outcomes"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        for problem in self._problems():
            raise ValueError(problem)

    def _problems(self):
        if self.index_missing_rule not in INDEX_RULES:
            yield (
                "index_missing_rule must be 'defined' or 'missing_as_no', "
                f"not {self.index_missing_rule!r}."
            )
        if not 0 < self.index_min_answered_share <= 1:
            yield "index_min_answered_share must be above 0 and at most 1."
        if self.collective_coding not in COLLECTIVE_CODINGS:
            yield f"collective_coding must be 'any' or 'frequency', not {self.collective_coding!r}."
        if self.time_threshold_code not in TIME_CODES:
            yield f"time_threshold_code must be 2, 3 or 4, not {self.time_threshold_code!r}."
        if not 0 < self.alpha < 0.5:
            yield f"alpha must lie between 0 and 0.5, not {self.alpha!r}."
        if not 0.5 < self.ci_level < 1:
            yield f"ci_level must lie between 0.5 and 1, not {self.ci_level!r}."
        if not self.star_levels or any(not 0 < level < 1 for level in self.star_levels):
            yield "star_levels must be one or more levels between 0 and 1."
        elif list(self.star_levels) != sorted(set(self.star_levels)):
            yield "star_levels must be distinct and in increasing order (e.g. [0.01, 0.05])."
        if not 0.5 <= self.power < 1:
            yield f"power must lie between 0.5 and 1, not {self.power!r}."
        if not self.confirmatory_outcomes or set(self.confirmatory_outcomes) - set(OUTCOME_KEYS):
            yield "confirmatory_outcomes must name 'collective', 'individual' or both."
        if self.family_scope not in FAMILY_SCOPES:
            yield f"family_scope must be 'case' or 'wave', not {self.family_scope!r}."
        for name in ("confirmatory_adjustment", "exploratory_adjustment"):
            if getattr(self, name) not in ADJUSTMENTS:
                yield f"{name} must be one of {', '.join(ADJUSTMENTS)}."
        for name in ("min_per_category", "min_respondents", "min_per_group"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 2:
                yield f"{name} must be a whole number of at least 2."

    def to_dict(self) -> dict:
        """Return the plan as plain JSON values (lists, not tuples), as it is stored."""
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> "AnalysisPlan":
        """Build a plan from stored options; unknown keys are an error, missing ones default."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"Unknown analysis plan options: {', '.join(unknown)}.")
        return cls(**data)

    @property
    def plan_hash(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def interval_alpha(self) -> float:
        """Return 1 − the interval level: the alpha every confidence interval is drawn at."""
        return round(1 - self.ci_level, 12)

    @property
    def collective_column(self) -> str:
        """Return the prepared frame's column of the collective index under this plan."""
        return COLLECTIVE_COLUMNS[self.collective_coding]

    @property
    def other_collective_column(self) -> str:
        """Return the column of the collective coding this plan reports as robustness."""
        other = next(c for c in COLLECTIVE_CODINGS if c != self.collective_coding)
        return COLLECTIVE_COLUMNS[other]

    @property
    def outcomes(self) -> tuple[str, str]:
        """Return the prepared frame's columns of the two indices, individual first."""
        return ("individual", self.collective_column)

    def outcome_key(self, column: str) -> str:
        """Return 'individual' or 'collective' for an index column of the prepared frame."""
        return "individual" if column == "individual" else "collective"

    def is_confirmatory(self, column: str) -> bool:
        return self.outcome_key(column) in self.confirmatory_outcomes


DEFAULT_PLAN = AnalysisPlan()
