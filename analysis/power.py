"""Power planning for a wave before it opens: the minimum detectable effect of each contrast.

Pure functions: plain numbers in, frozen dataclasses out. The MDE itself comes from
`analysis.inference.minimum_detectable_effect` (the same formula table 5 reports after
the wave), so the promise made before opening and the check made after it agree.

The 2×2 algebra, with outcome SD σ and n_k completes in arm k (none = 0):

- arm k versus none: Var = σ²(1/n_k + 1/n_0);
- main effect of A = ½(μ_ab + μ_a) − ½(μ_b + μ_0): Var = ¼σ²(Σ_k 1/n_k);
- A × B interaction = μ_ab − μ_a − μ_b + μ_0: Var = σ²(Σ_k 1/n_k).

With equal arms of n this gives SEs σ√(2/n), σ/√n and 2σ/√n. Allocating households
(clusters of average size m, intra-cluster correlation ρ) inflates every variance by the
design effect 1 + (m − 1)ρ (Kish; Donner & Klar). Stratification can only shrink the
variance, so ignoring it keeps the plan conservative.

Pooling the themes of a wave does not multiply the information by the number of themes:
the same people answer each theme, so the pooled estimate uses an effective sample of
K·n / (1 + (K − 1)·r), with r the correlation of one person's outcomes across themes
(default `DEFAULT_BETWEEN_THEME_CORRELATION`).
"""

import math
from dataclasses import asdict, dataclass, field

from analysis.inference import minimum_detectable_effect, power_two_sample_t

ALPHA = 0.05
POWER = 0.80
ARMS = ("ab", "a", "b", "none")
ARM_LABELS = {"ab": "A and B", "a": "A only", "b": "B only"}

# Documented defaults used when no earlier closed wave of the council gives a value.
DEFAULT_RESPONSE_RATE = 0.30
# Collective "any": Bernoulli with p = 0.3, SD = √(0.3 · 0.7) ≈ 0.458.
DEFAULT_SD = {"collective_any": math.sqrt(0.3 * 0.7), "individual": 0.25}
DEFAULT_ICC = 0.05
DEFAULT_BETWEEN_THEME_CORRELATION = 0.5
OUTCOMES = {"individual": "Individual index", "collective_any": "Collective index (any)"}


def design_effect(*, cluster_size: float, icc: float) -> float:
    """Return the variance inflation 1 + (m − 1)ρ of allocating clusters of average size m."""
    if cluster_size < 1:
        raise ValueError(f"The average cluster size must be at least 1, not {cluster_size}.")
    if not 0 <= icc <= 1:
        raise ValueError(f"The intra-cluster correlation must lie in [0, 1], not {icc}.")
    return 1 + (cluster_size - 1) * icc


def contrast_ses(arm_n: dict[str, float], *, sd: float, deff: float = 1.0) -> dict[str, float]:
    """Return the standard error of each arm-versus-none contrast, main effect and interaction."""
    if any(arm_n.get(arm, 0) <= 0 for arm in ARMS):
        raise ValueError("Every arm needs at least one expected complete.")
    inverse = {arm: 1 / arm_n[arm] for arm in ARMS}
    variance_scale = sd**2 * deff
    ses = {
        f"{ARM_LABELS[arm]} vs none": math.sqrt(variance_scale * (inverse[arm] + inverse["none"]))
        for arm in ("ab", "a", "b")
    }
    total = sum(inverse.values())
    ses["A main effect"] = math.sqrt(variance_scale * total / 4)
    ses["B main effect"] = math.sqrt(variance_scale * total / 4)
    ses["A × B interaction"] = math.sqrt(variance_scale * total)
    return ses


def sample_size_per_group(d: float, *, alpha: float = ALPHA, power: float = POWER) -> int:
    """Return the smallest n per group at which a two-sided two-sample t test reaches the power."""
    if d <= 0:
        raise ValueError("The standardised effect must be positive.")
    n = 2
    # Double, then bisect: the power rises monotonically with n.
    while power_two_sample_t(d, n, n, alpha=alpha) < power:
        n *= 2
    low, high = n // 2, n
    while high - low > 1:
        middle = (low + high) // 2
        if power_two_sample_t(d, middle, middle, alpha=alpha) >= power:
            high = middle
        else:
            low = middle
    return max(high, 2)


@dataclass(frozen=True)
class PowerInputs:
    """What the planner needs to know about one wave; every field is a plain value."""

    panel_by_stratum: dict[str, int]
    response_rate: float
    response_rate_source: str
    sd: dict[str, float]
    sd_source: dict[str, str]
    themes: list[str]
    experiment_on: bool = True
    scheme: str = "blocks"
    strata: list[str] = field(default_factory=list)
    cluster_size: float = 1.0
    icc: float = DEFAULT_ICC
    hoped_for_effect: float | None = None  # in outcome units (a share: 0.05 = 5 points)
    between_theme_correlation: float = DEFAULT_BETWEEN_THEME_CORRELATION
    alpha: float = ALPHA
    power: float = POWER


@dataclass(frozen=True)
class ContrastPower:
    contrast: str
    outcome: str
    se: float
    mde: float
    mde_standardised: float
    detects_hoped_for: bool | None


@dataclass(frozen=True)
class CasePower:
    case: str
    expected_completes: float
    effective_completes: float
    contrasts: tuple[ContrastPower, ...]

    @property
    def warnings(self) -> list[str]:
        return [
            f"{c.contrast} ({OUTCOMES[c.outcome]}): smallest detectable {c.mde:.3f}"
            for c in self.contrasts
            if c.detects_hoped_for is False
        ]


@dataclass(frozen=True)
class PowerPlan:
    inputs: PowerInputs
    panel_size: int
    expected_completes: float
    arm_n: dict[str, float]
    design_effect: float
    cases: tuple[CasePower, ...]
    pooled: CasePower | None
    not_applicable: str = ""

    @property
    def warnings(self) -> list[str]:
        out = []
        for case in (*self.cases, *([self.pooled] if self.pooled else [])):
            out.extend(f"{case.case}: {warning}" for warning in case.warnings)
        return out

    def to_dict(self) -> dict:
        """Return the plan as JSON-safe plain values rounded for the frozen design."""
        hoped = self.inputs.hoped_for_effect
        extras = {
            "warnings": self.warnings,
            "response_rate_percent": 100 * self.inputs.response_rate,
            "hoped_for_points": None if hoped is None else 100 * hoped,
        }
        out = asdict(self) | extras
        for case in (*out["cases"], *([out["pooled"]] if out["pooled"] else [])):
            for contrast in case["contrasts"]:
                contrast["mde_points"] = 100 * contrast["mde"]
        return _rounded(out)


def _case_power(
    name: str, completes: float, effective: float, inputs: PowerInputs, deff: float
) -> CasePower:
    arm_n = {arm: effective / len(ARMS) for arm in ARMS}
    df = max(effective - len(ARMS), 1.0)
    contrasts = []
    for outcome in OUTCOMES:
        sd = inputs.sd[outcome]
        for contrast, se in contrast_ses(arm_n, sd=sd, deff=deff).items():
            mde = minimum_detectable_effect(se, df=df, alpha=inputs.alpha, power=inputs.power)
            hoped = inputs.hoped_for_effect
            contrasts.append(
                ContrastPower(
                    contrast=contrast,
                    outcome=outcome,
                    se=se,
                    mde=mde,
                    mde_standardised=mde / sd,
                    detects_hoped_for=None if hoped is None else mde <= hoped,
                )
            )
    return CasePower(name, completes, effective, tuple(contrasts))


def plan_power(inputs: PowerInputs) -> PowerPlan:
    """Return the MDE of every contrast per theme (case) and pooled over the wave's themes."""
    panel_size = sum(inputs.panel_by_stratum.values())
    completes = panel_size * inputs.response_rate
    deff = (
        design_effect(cluster_size=inputs.cluster_size, icc=inputs.icc)
        if inputs.scheme == "cluster"
        else 1.0
    )
    arm_n = {arm: completes / len(ARMS) for arm in ARMS}
    empty = PowerPlan(inputs, panel_size, completes, arm_n, deff, (), None)
    if not inputs.experiment_on:
        return _replace_reason(empty, "The experiment is off: there are no contrasts to detect.")
    if not inputs.themes:
        return _replace_reason(empty, "Choose the wave's themes first.")
    if completes / len(ARMS) < 2:
        return _replace_reason(
            empty, f"Fewer than 2 expected completes per group ({completes:.1f} in all)."
        )
    cases = tuple(_case_power(theme, completes, completes, inputs, deff) for theme in inputs.themes)
    k = len(inputs.themes)
    pooled = None
    if k > 1:
        effective = k * completes / (1 + (k - 1) * inputs.between_theme_correlation)
        pooled = _case_power("All themes pooled", k * completes, effective, inputs, deff)
    return PowerPlan(inputs, panel_size, completes, arm_n, deff, cases, pooled)


def _replace_reason(plan: PowerPlan, reason: str) -> PowerPlan:
    return PowerPlan(
        plan.inputs,
        plan.panel_size,
        plan.expected_completes,
        plan.arm_n,
        plan.design_effect,
        (),
        None,
        reason,
    )


def _rounded(value):
    if isinstance(value, dict):
        return {str(k): _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value
