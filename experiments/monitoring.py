"""Allocation monitoring per wave and per arm: flow counts, sample ratio and balance.

The domain functions here return plain frozen dataclasses so that the admin page, the
council console and the analysis can all use them. The statistics are pure functions of
plain values (`sample_ratio_check`, `standardised_difference`, `covariate_balance`,
`joint_balance_test`); only `monitor_wave` and `arm_counts` read the database.

Conventions:

- The sample-ratio check is Pearson's chi-square of the units allocated per arm against
  the design's ratio, flagged at p < 0.001 (a sample-ratio mismatch signals a broken
  allocation or lost records, not chance). In the cluster scheme the units are households.
- Covariate balance compares each arm with all other arms pooled, per level of each
  panel-record covariate, as the standardised difference of proportions
  (p1 - p0) / sqrt((p1(1 - p1) + p0(1 - p0)) / 2); |d| > 0.1 is the usual flag.
- The joint test is the score (Lagrange multiplier) test of the multinomial logit of arm
  on all covariates' level indicators against the intercept-only model, which equals n
  times Pillai's trace of the canonical correlations between arm and covariate indicators
  and is chi-square with (arms - 1) × (covariate columns) degrees of freedom. With one
  covariate it is exactly Pearson's chi-square of the arm × level table.
"""

import hashlib
import hmac
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _
from scipy import stats

from experiments.models import (
    AllocationScheme,
    Arm,
    Assignment,
    ClusterAllocation,
    Invitation,
    Response,
    ResponseStatus,
    Wave,
)
from panel.models import PanelMember

SRM_ALPHA = 0.001
IMBALANCE_FLAG = 0.1
COVARIATES = ("ward", "age_band", "gender")
MISSING_LEVEL = "(missing)"


@dataclass(frozen=True)
class ArmCounts:
    arm: str
    label: str
    opened: int
    # Hidden (None) from council admins: the one arm without any exposure is "none".
    exposed: int | None
    partial: int
    completed: int


@dataclass(frozen=True)
class SampleRatioCheck:
    observed: tuple[int, ...]
    expected: tuple[float, ...]
    statistic: float | None
    df: int
    p_value: float | None
    flagged: bool


@dataclass(frozen=True)
class LevelBalance:
    """One level of one covariate: its share in each arm and each arm's difference."""

    covariate: str
    level: str
    shares: dict[str, float]
    standardised_differences: dict[str, float]

    @property
    def groups(self) -> tuple[tuple[str, float, float], ...]:
        """Return (group, share, standardised difference) for each group."""
        return tuple(
            (group, share, self.standardised_differences[group])
            for group, share in self.shares.items()
        )

    @property
    def largest_difference(self) -> float:
        return max((abs(d) for d in self.standardised_differences.values()), default=0.0)

    @property
    def flagged(self) -> bool:
        return self.largest_difference > IMBALANCE_FLAG


@dataclass(frozen=True)
class JointBalanceTest:
    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class WaveMonitor:
    wave_id: int
    experiment_on: bool
    scheme: str
    units: str
    invited: int
    opened: int
    # Hidden (None) from council admins: the one arm without any exposure is "none".
    exposed: int | None
    partial: int
    completed: int
    arms: tuple[ArmCounts, ...]
    sample_ratio: SampleRatioCheck | None
    balance: tuple[LevelBalance, ...]
    joint_balance: JointBalanceTest | None


def sample_ratio_check(
    observed: Sequence[int], ratio: Sequence[float], *, alpha: float = SRM_ALPHA
) -> SampleRatioCheck:
    """Return Pearson's chi-square of observed counts against the design's ratio."""
    total = sum(observed)
    expected = tuple(total * r / sum(ratio) for r in ratio)
    df = len(observed) - 1
    if total == 0 or df < 1:
        return SampleRatioCheck(tuple(observed), expected, None, df, None, False)
    statistic = float(sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True)))
    p_value = float(stats.chi2.sf(statistic, df))
    return SampleRatioCheck(tuple(observed), expected, statistic, df, p_value, p_value < alpha)


def standardised_difference(p1: float, p0: float) -> float:
    """Return the standardised difference of two proportions (pooled-variance convention)."""
    difference = p1 - p0
    spread = ((p1 * (1 - p1) + p0 * (1 - p0)) / 2) ** 0.5
    if spread == 0:
        return 0.0 if difference == 0 else float(np.sign(difference)) * float("inf")
    return difference / spread


def covariate_balance(
    arms: Sequence[str], covariates: Sequence[dict[str, str]]
) -> tuple[LevelBalance, ...]:
    """Return, per covariate level, each arm's share and its difference from the other arms."""
    arm_codes = sorted(set(arms), key=_arm_rank)
    size = Counter(arms)
    result = []
    names = sorted({name for row in covariates for name in row})
    for name in names:
        levels = sorted({row.get(name, MISSING_LEVEL) for row in covariates})
        for level in levels:
            having = Counter(
                arm for arm, row in zip(arms, covariates, strict=True) if row.get(name) == level
            )
            shares, differences = {}, {}
            for arm in arm_codes:
                rest_size = len(arms) - size[arm]
                share = having[arm] / size[arm]
                rest = (sum(having.values()) - having[arm]) / rest_size if rest_size else 0.0
                shares[arm] = share
                differences[arm] = standardised_difference(share, rest)
            result.append(LevelBalance(name, level, shares, differences))
    return tuple(result)


def joint_balance_test(
    arms: Sequence[str], covariates: Sequence[dict[str, str]]
) -> JointBalanceTest | None:
    """Return the joint score test of all covariates against arm, or None if not defined."""
    arm_codes = sorted(set(arms), key=_arm_rank)
    n = len(arms)
    columns = []
    for name in sorted({name for row in covariates for name in row}):
        levels = sorted({row.get(name, MISSING_LEVEL) for row in covariates})
        # One level per covariate is the reference, as in a regression with an intercept.
        columns.extend(
            [row.get(name, MISSING_LEVEL) == level for row in covariates] for level in levels[1:]
        )
    if len(arm_codes) < 2 or not columns or n < 3:
        return None
    y = np.array([[arm == code for code in arm_codes[1:]] for arm in arms], dtype=float)
    z = np.array(columns, dtype=float).T
    y -= y.mean(axis=0)
    z -= z.mean(axis=0)
    syy, szz, syz = y.T @ y, z.T @ z, y.T @ z
    pillai = float(np.trace(np.linalg.pinv(syy) @ syz @ np.linalg.pinv(szz) @ syz.T))
    df = int(np.linalg.matrix_rank(y) * np.linalg.matrix_rank(z))
    if df == 0:
        return None
    statistic = n * pillai
    return JointBalanceTest(statistic, df, float(stats.chi2.sf(statistic, df)))


def arm_labels(wave: Wave, *, reveal: bool) -> dict[str, str]:
    """Return the label of each arm: its name, or a neutral "Group n" that hides it.

    The neutral numbering is a permutation drawn from the wave's seed, so "Group 1" is not
    the same arm in every wave and the label order gives nothing away.
    """
    if reveal:
        return {arm.value: str(arm.label) for arm in Arm}
    key = hmac.new(wave.seed.encode(), b"surveyplatform/labels/v1", hashlib.sha256).digest()
    order = sorted(Arm, key=lambda arm: hmac.new(key, arm.value.encode(), "sha256").digest())
    return {arm.value: _("Group %(number)d") % {"number": n} for n, arm in enumerate(order, 1)}


def arm_counts(wave: Wave, *, reveal: bool) -> tuple[ArmCounts, ...]:
    """Return opened (assigned), exposed, partial and completed members per arm."""
    arm_of = dict(Assignment.objects.filter(wave=wave).values_list("member_id", "arm"))
    exposed = Counter(
        arm_of.get(member_id)
        for member_id in Response.objects.filter(wave=wave, exposures__isnull=False)
        .values_list("member_id", flat=True)
        .distinct()
    )
    by_status: dict[str, Counter] = defaultdict(Counter)
    for member_id, status in Response.objects.filter(wave=wave).values_list("member_id", "status"):
        by_status[status][arm_of.get(member_id)] += 1
    opened = Counter(arm_of.values())
    labels = arm_labels(wave, reveal=reveal)
    arms = _design_arms(wave)
    if arms == [Arm.NONE.value]:
        # Nothing to conceal: the wave ran without the experiment.
        labels = {Arm.NONE.value: _("Everyone (experiment off)")}
    rows = [
        ArmCounts(
            arm=arm if reveal else "",
            label=labels[arm],
            opened=opened[arm],
            exposed=exposed[arm] if reveal else None,
            partial=by_status[ResponseStatus.PARTIAL][arm],
            completed=by_status[ResponseStatus.COMPLETE][arm],
        )
        for arm in arms
    ]
    if not reveal:
        rows.sort(key=lambda row: row.label)
    return tuple(rows)


def monitor_wave(wave: Wave, *, reveal: bool) -> WaveMonitor:
    """Return the allocation monitor of a wave; reveal=False hides the arms' names."""
    design = wave.design or {}
    allocation = design.get("allocation", {})
    experiment_on = design.get("experiment_on", wave.experiment_on)
    scheme = allocation.get("scheme", wave.allocation_scheme) if experiment_on else "off"
    arms = _design_arms(wave)
    rows = arm_counts(wave, reveal=reveal)
    if scheme == AllocationScheme.CLUSTER:
        units = Counter(ClusterAllocation.objects.filter(wave=wave).values_list("arm", flat=True))
        unit_name = _("households")
    else:
        units = Counter(Assignment.objects.filter(wave=wave).values_list("arm", flat=True))
        unit_name = _("members")
    sample_ratio = None
    if experiment_on:
        ratio = allocation.get("ratio", [1] * len(arms))
        sample_ratio = sample_ratio_check([units[arm] for arm in arms], ratio)
    assigned = list(
        Assignment.objects.filter(wave=wave).values_list("arm", "member_id").order_by("member_id")
    )
    members = PanelMember.objects.in_bulk([member_id for _, member_id in assigned])
    arm_list = [arm for arm, _ in assigned]
    covariates = [
        {name: getattr(members[m], name) or MISSING_LEVEL for name in COVARIATES}
        for _, m in assigned
    ]
    balance, joint = (), None
    if experiment_on and assigned:
        balance = covariate_balance(arm_list, covariates)
        joint = joint_balance_test(arm_list, covariates)
        labels = arm_labels(wave, reveal=reveal)
        balance = tuple(_relabel(level, labels, reorder=not reveal) for level in balance)
    responses = Response.objects.filter(wave=wave)
    return WaveMonitor(
        wave_id=wave.pk,
        experiment_on=experiment_on,
        scheme=scheme,
        units=unit_name,
        invited=Invitation.objects.filter(wave=wave).count(),
        opened=len(assigned),
        exposed=responses.filter(exposures__isnull=False).distinct().count(),
        partial=responses.filter(status=ResponseStatus.PARTIAL).count(),
        completed=responses.filter(status=ResponseStatus.COMPLETE).count(),
        arms=rows,
        sample_ratio=sample_ratio,
        balance=balance,
        joint_balance=joint,
    )


def _design_arms(wave: Wave) -> list[str]:
    design = wave.design or {}
    if "arms" in design:
        return [arm["code"] for arm in design["arms"]]
    return [arm.value for arm in Arm] if wave.experiment_on else [Arm.NONE.value]


def _arm_rank(arm: str) -> int:
    order = [a.value for a in Arm]
    return order.index(arm) if arm in order else len(order)


def _relabel(level: LevelBalance, labels: dict[str, str], *, reorder: bool) -> LevelBalance:
    # Neutral labels are listed in group order, so the design's arm order gives nothing away.
    def relabelled(values: dict[str, float]) -> dict[str, float]:
        pairs = [(labels[arm], value) for arm, value in values.items()]
        return dict(sorted(pairs) if reorder else pairs)

    return LevelBalance(
        level.covariate,
        level.level,
        relabelled(level.shares),
        relabelled(level.standardised_differences),
    )
