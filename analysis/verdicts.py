"""What a result may be said to show: one decision per estimate, for every sentence of the report.

A councillor reads "raised", "lowered", "no clear difference" or "too few answers to tell",
so the decision must follow the analysis plan exactly: the p-value adjusted within the
test's family (frozen at opening), the plan's alpha, the direction of the estimate, and
the plan's minimum number of answers in each group compared.
"""

from dataclasses import dataclass

RAISED = "raised"
LOWERED = "lowered"
NO_CLEAR_DIFFERENCE = "no_clear_difference"
TOO_FEW = "too_few"
NOT_ESTIMABLE = "not_estimable"
KINDS = (RAISED, LOWERED, NO_CLEAR_DIFFERENCE, TOO_FEW, NOT_ESTIMABLE)


@dataclass(frozen=True)
class Verdict:
    kind: str
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    p: float | None = None
    group_sizes: tuple[int, ...] = ()
    min_per_group: int = 0

    @property
    def is_clear(self) -> bool:
        return self.kind in (RAISED, LOWERED)

    @property
    def points(self) -> float | None:
        return None if self.estimate is None else 100 * self.estimate


def decide(
    estimate: float | None,
    *,
    p: float | None,
    group_sizes,
    alpha: float,
    min_per_group: int,
    low: float | None = None,
    high: float | None = None,
) -> Verdict:
    """Return the verdict on one estimate.

    `p` is the p-value the plan judges by (for a nudge contrast, adjusted within its
    family); `group_sizes` are the answers in each group compared (the nudge's group and
    the no-nudge group). A group below the plan's minimum makes the verdict "too few to
    tell" whatever the p-value, since a significant difference of a handful of answers is
    as likely a fluke of who answered as an effect.
    """
    sizes = tuple(int(n) for n in group_sizes)
    common = {
        "estimate": estimate,
        "low": low,
        "high": high,
        "p": p,
        "group_sizes": sizes,
        "min_per_group": min_per_group,
    }
    if estimate is None or p is None:
        return Verdict(NOT_ESTIMABLE, **common)
    if not sizes or min(sizes) < min_per_group:
        return Verdict(TOO_FEW, **common)
    if p < alpha and estimate > 0:
        return Verdict(RAISED, **common)
    if p < alpha and estimate < 0:
        return Verdict(LOWERED, **common)
    return Verdict(NO_CLEAR_DIFFERENCE, **common)


def decide_term(term: dict, *, analysed_n: dict, arm: str, plan) -> Verdict:
    """Return the verdict on a stored arm-versus-none contrast under the plan.

    The contrast is judged by its adjusted p-value (the unadjusted one if it belongs to
    no family) and by the answers in its arm and in the no-nudge group.
    """
    p = term.get("p_adjusted")
    if p is None:
        p = term.get("p")
    return decide(
        term.get("estimate"),
        p=p,
        low=term.get("low"),
        high=term.get("high"),
        group_sizes=(analysed_n.get(arm, 0), analysed_n.get("none", 0)),
        alpha=plan.alpha,
        min_per_group=plan.min_per_group,
    )
