"""The analysis plan: the options of every definition, frozen with the wave's design."""

import hashlib
import json
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class AnalysisPlan:
    """Options of the analysis; the defaults are the paper's definitions.

    The plan is part of the wave's design: its hash is stored with every run, and a run
    with a plan other than the one frozen at opening reports that as a deviation.
    """

    # Individual index: defined when at least this share of the activities was answered
    # ("defined"), or every unanswered activity counts as no ("missing_as_no").
    index_missing_rule: str = "defined"
    index_min_answered_share: float = 0.5
    # "Gives time" = at least this TimeGiven code (3 = a few hours a month).
    time_threshold_code: int = 3
    # Correlates with fewer respondents than this in a category are "not testable".
    min_per_category: int = 30
    # Cases with fewer respondents than this are "not estimable".
    min_respondents: int = 10
    alpha: float = 0.05
    power: float = 0.80
    # Multiplicity: the confirmatory family (nudge contrasts) and the exploratory one.
    confirmatory_adjustment: str = "holm"
    exploratory_adjustment: str = "fdr_bh"
    # Randomisation inference: draws, seed, and the case size below which it is reported.
    ri_draws: int = 2000
    ri_seed: int = 20260101
    ri_max_n: int = 200

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "AnalysisPlan":
        """Build a plan from stored options; unknown keys are an error, missing ones default."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"Unknown analysis plan options: {', '.join(unknown)}.")
        plan = cls(**data)
        if plan.index_missing_rule not in ("defined", "missing_as_no"):
            raise ValueError(
                "index_missing_rule must be 'defined' or 'missing_as_no', "
                f"not {plan.index_missing_rule!r}."
            )
        return plan

    @property
    def plan_hash(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


DEFAULT_PLAN = AnalysisPlan()
