"""The paper's five tables, plus the pooled nudge estimate, from the prepared case frame.

Each builder takes the frame of `analysis.indices.prepare` and the analysis plan and
returns plain dicts ready to store as JSON. A quantity that cannot be computed is
`{"not_estimable": "not estimable: <reason>"}`, never an exception.
"""

from dataclasses import asdict

import numpy as np
import pandas as pd

from analysis.inference import (
    ADJUSTMENT_NAMES,
    NotEstimable,
    adjust_pvalues,
    mcnemar,
    minimum_detectable_effect,
    not_estimable,
    ols,
    paired_difference,
    pearson,
    proportion,
    reason,
    stars,
    t_interval,
)

INDICES = {
    "individual": "Individual index",
    "collective_any": "Collective index (often or sometimes)",
    "collective_frequency": "Collective index (frequency score)",
}
CORRELATES = {
    "efficacy_score": "Self-efficacy",
    "sat_information": "Satisfaction with information",
    "sat_consultation": "Satisfaction with consultation",
    "sat_response": "Satisfaction with response",
    "conditions_score": "Perceived conditions",
    "age": "Age",
    "male": "Male",
    "ethnic_minority": "Ethnic minority",
}
BINARY_CORRELATES = {"male", "ethnic_minority"}
TREATMENTS = ("a", "b", "ab")
TREATMENT_TERMS = {"a": "A only", "b": "B only", "ab": "A and B"}
FACTORIAL = {
    "A main effect": {"arm_a": 0.5, "arm_ab": 0.5, "arm_b": -0.5},
    "B main effect": {"arm_b": 0.5, "arm_ab": 0.5, "arm_a": -0.5},
    "A × B interaction": {"arm_ab": 1.0, "arm_a": -1.0, "arm_b": -1.0},
}


def _safe(compute):
    try:
        return asdict(compute())
    except NotEstimable as error:
        return not_estimable(str(error))


def cases_of(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    return [(str(name), group) for name, group in frame.groupby("case", sort=True)]


def wave_of(group: pd.DataFrame) -> int:
    """Return the wave a case belongs to (0 for a frame of one unnamed wave)."""
    return int(group["wave_id"].iloc[0]) if "wave_id" in group.columns and len(group) else 0


def table_levels(frame: pd.DataFrame, plan) -> list[dict]:
    """Table 1: levels of individual and collective co-production per case."""
    level = plan.interval_alpha
    rows = []
    for case, group in cases_of(frame):
        rows.append(
            {
                "case": case,
                "n": len(group),
                "individual": _safe(lambda g=group: t_interval(g["individual"], alpha=level)),
                "collective_any": _safe(
                    lambda g=group: proportion(g["collective_any"], alpha=level)
                ),
                "collective_often": _safe(
                    lambda g=group: proportion(g["collective_often"], alpha=level)
                ),
                "collective_sometimes": _safe(
                    lambda g=group: proportion(g["collective_sometimes"], alpha=level)
                ),
                "difference": _safe(
                    lambda g=group: paired_difference(
                        g["individual"], g["collective_any"], alpha=level
                    )
                ),
            }
        )
    return rows


def table_time(frame: pd.DataFrame, plan) -> list[dict]:
    """Table 2: giving at least the plan's threshold of time, now and more, where asked."""
    level = plan.interval_alpha
    rows = []
    for case, group in cases_of(frame):
        asked_now = group["gives_time_now"].notna().any()
        asked_more = group["gives_time_more"].notna().any()
        if not (asked_now or asked_more):
            continue
        row = {"case": case, "n": len(group)}
        row["now"] = (
            _safe(lambda g=group: proportion(g["gives_time_now"], alpha=level))
            if asked_now
            else None
        )
        row["more"] = (
            _safe(lambda g=group: proportion(g["gives_time_more"], alpha=level))
            if asked_more
            else None
        )
        row["now_vs_more"] = (
            _safe(lambda g=group: mcnemar(g["gives_time_now"], g["gives_time_more"]))
            if asked_now and asked_more
            else None
        )
        rows.append(row)
    return rows


def _testable(group: pd.DataFrame, variable: str, plan) -> str | None:
    """Return why a correlate is not testable in this case, or None."""
    values = group[variable].dropna()
    if variable in BINARY_CORRELATES:
        counts = values.value_counts()
        smallest = int(min(counts.get(0.0, 0), counts.get(1.0, 0)))
        if smallest < plan.min_per_category:
            why = reason("few_in_category", n=smallest, min=plan.min_per_category)
            return f"not testable: {why}"
    elif len(values) < plan.min_per_category:
        return f"not testable: {reason('few_testable', n=len(values), min=plan.min_per_category)}"
    return None


def family_key(plan, role: str, *, wave_id: int, case: str) -> str:
    """Name the multiplicity family of a test: its role, its wave and (per case) its case.

    A family never spans waves, so a wave's adjusted p-values are the same in its own
    report and in any run that pools it with other waves.
    """
    scope = case if plan.family_scope == "case" else ""
    return f"{role}|wave {wave_id}|{scope}"


def _adjust_in_families(tests: list[dict], *, method_of) -> None:
    """Add `p_adjusted` and `family_size` to each test, adjusting within its `family`."""
    families: dict[str, list[dict]] = {}
    for test in tests:
        families.setdefault(test["family"], []).append(test)
    for members in families.values():
        adjusted = adjust_pvalues([t["p"] for t in members], method=method_of(members[0]["role"]))
        for test, p_adjusted in zip(members, adjusted, strict=True):
            test["p_adjusted"] = p_adjusted
            test["family_size"] = len(members)


def table_correlates(frame: pd.DataFrame, plan, *, index: str) -> dict:
    """Tables 3 and 4: Pearson correlates of an index per case, and the adjusted model.

    Stars use the unadjusted p, as in the paper; the exploratory family (the case's, or
    the wave's, correlates of this index) gives the adjusted p shown beside them.
    """
    cells = []
    for case, group in cases_of(frame):
        wave_id = wave_of(group)
        for variable in CORRELATES:
            why = _testable(group, variable, plan)
            cell = {"case": case, "variable": variable, "wave_id": wave_id}
            if why:
                cell["not_testable"] = why
            else:
                try:
                    result = pearson(group[variable], group[index])
                    cell.update(r=result.estimate, p=result.p, n=result.n)
                    cell["role"] = "exploratory"
                    cell["family"] = family_key(
                        plan, f"correlates {index}", wave_id=wave_id, case=case
                    )
                except NotEstimable as error:
                    cell["not_testable"] = f"not estimable: {error}"
            cells.append(cell)
    tested = [cell for cell in cells if "p" in cell]
    _adjust_in_families(tested, method_of=lambda role: plan.exploratory_adjustment)
    for cell in tested:
        cell["stars"] = stars(cell["p"], plan.star_levels)
        cell["negative"] = cell["r"] < 0
    n_cases = frame["case"].nunique()
    summary = []
    for variable, label in CORRELATES.items():
        mine = [c for c in tested if c["variable"] == variable]
        summary.append(
            {
                "variable": variable,
                "label": label,
                "positive": sum(1 for c in mine if c["r"] > 0 and c["p"] < plan.alpha),
                "negative": sum(1 for c in mine if c["r"] < 0 and c["p"] < plan.alpha),
                "positive_adjusted": sum(
                    1 for c in mine if c["r"] > 0 and c["p_adjusted"] < plan.alpha
                ),
                "negative_adjusted": sum(
                    1 for c in mine if c["r"] < 0 and c["p_adjusted"] < plan.alpha
                ),
                "tested": len(mine),
                "cases": n_cases,
            }
        )
    models = []
    for case, group in cases_of(frame):
        usable = [v for v in CORRELATES if _testable(group, v, plan) is None]
        if not usable:
            models.append({"case": case, **not_estimable(reason("no_testable_correlate"))})
            continue
        X = group[usable].assign(const=1.0)[["const", *usable]]
        try:
            fit = ols(group[index], X, min_n=plan.min_respondents, alpha=plan.interval_alpha)
        except NotEstimable as error:
            models.append({"case": case, **not_estimable(str(error))})
            continue
        models.append(
            {
                "case": case,
                "n": fit.n,
                "r_squared": fit.r_squared,
                "coefficients": [
                    {**asdict(c), "stars": stars(c.p, plan.star_levels)}
                    for c in fit.coefficients
                    if c.term != "const"
                ],
            }
        )
    return {
        "index": index,
        "cells": cells,
        "summary": summary,
        "models": models,
        "adjustment": ADJUSTMENT_NAMES[plan.exploratory_adjustment],
        "method": "Pearson r; adjusted model OLS with HC2 errors and t inference",
    }


def arm_dummies(arms: pd.Series) -> pd.DataFrame:
    """Return the constant and the A-only, B-only and A+B dummies (none is the reference)."""
    X = pd.DataFrame({"const": 1.0}, index=arms.index)
    for arm in TREATMENTS:
        X[f"arm_{arm}"] = (arms == arm).astype(float)
    return X


def experiment_cases(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Return the cases in which more than one arm was assigned."""
    return [(c, g) for c, g in cases_of(frame) if g["arm"].nunique() > 1]


def fit_nudges(group: pd.DataFrame, outcome: str, plan) -> dict:
    """Fit the saturated arm model of one outcome in one case (HC2, t inference)."""
    present = set(group["arm"].dropna())
    missing = [
        TREATMENT_TERMS[a] for a in (*TREATMENTS, "none") if a not in present and a != "none"
    ]
    if "none" not in present:
        return not_estimable(reason("empty_reference"))
    if missing:
        return not_estimable(reason("empty_arm", arms=", ".join(missing)))
    fit = ols(
        group[outcome],
        arm_dummies(group["arm"]),
        min_n=plan.min_respondents,
        alpha=plan.interval_alpha,
        contrasts=FACTORIAL,
    )
    terms = []
    for c in fit.coefficients:
        if c.term == "const":
            continue
        label = TREATMENT_TERMS.get(c.term.removeprefix("arm_"), c.term)
        terms.append(
            {
                **asdict(c),
                "term": label,
                "kind": "factorial" if c.term in FACTORIAL else "arm",
                "stars": stars(c.p, plan.star_levels),
                "mde": minimum_detectable_effect(c.se, df=c.df, alpha=plan.alpha, power=plan.power),
            }
        )
    known = group[group[outcome].notna()]
    return {
        "n": fit.n,
        "r_squared": fit.r_squared,
        "terms": terms,
        "reference_mean": float(group.loc[group["arm"] == "none", outcome].mean()),
        "arm_n": {arm: int((group["arm"] == arm).sum()) for arm in ("ab", "a", "b", "none")},
        # The answers each arm's estimate rests on: what a verdict's minimum n is judged by.
        "analysed_n": {arm: int((known["arm"] == arm).sum()) for arm in ("ab", "a", "b", "none")},
    }


def table_nudges(frame: pd.DataFrame, plan, *, outcomes=None, pooled: bool = True) -> dict:
    """Table 5: nudge effects per case and index, with the plan's families and power.

    Each arm-versus-none contrast belongs to one family: confirmatory for the plan's
    confirmatory outcomes, exploratory for the others, one family per case (or wave) as
    the plan says. Factorial contrasts are reported unadjusted.
    """
    outcomes = tuple(outcomes or plan.outcomes)
    rows = []
    for case, group in experiment_cases(frame):
        wave_id = wave_of(group)
        for outcome in outcomes:
            try:
                result = fit_nudges(group, outcome, plan)
            except NotEstimable as error:
                result = not_estimable(str(error))
            rows.append({"case": case, "outcome": outcome, "wave_id": wave_id, **result})
    arm_terms = []
    for row in rows:
        role = "confirmatory" if plan.is_confirmatory(row["outcome"]) else "exploratory"
        for term in row.get("terms", []):
            if term["kind"] == "arm":
                term["role"] = role
                term["family"] = family_key(plan, role, wave_id=row["wave_id"], case=row["case"])
                arm_terms.append(term)
            else:
                term["role"] = "factorial"
                term["p_adjusted"] = None
    _adjust_in_families(arm_terms, method_of=lambda role: _method(plan, role))
    counts = {}
    for outcome in outcomes:
        mine = [
            t
            for row in rows
            if row["outcome"] == outcome
            for t in row.get("terms", [])
            if t["kind"] == "arm"
        ]
        adjusted = sum(t["p_adjusted"] < plan.alpha for t in mine)
        counts[outcome] = {
            "tests": len(mine),
            "role": "confirmatory" if plan.is_confirmatory(outcome) else "exploratory",
            "significant": sum(t["p"] < plan.alpha for t in mine),
            "significant_adjusted": adjusted,
            # The name the debrief reads: significant after adjustment at the plan's alpha.
            "significant_adjusted_05": adjusted,
        }
    return {
        "rows": rows,
        "counts": counts,
        "pooled": pooled_nudges(frame, plan, outcomes=outcomes) if pooled else [],
        "adjustment": ADJUSTMENT_NAMES[plan.confirmatory_adjustment],
        "adjustments": {
            "confirmatory": ADJUSTMENT_NAMES[plan.confirmatory_adjustment],
            "exploratory": ADJUSTMENT_NAMES[plan.exploratory_adjustment],
        },
        "method": "OLS on arm dummies (none = reference), HC2 errors, t inference",
    }


def _method(plan, role: str) -> str:
    return plan.confirmatory_adjustment if role == "confirmatory" else plan.exploratory_adjustment


def pooled_nudges(frame: pd.DataFrame, plan, *, outcomes=None) -> list[dict]:
    """Pool the experiment cases: arm dummies plus case fixed effects, clustered by respondent.

    The pooled estimate answers another question than the per-case ones, so its three
    contrasts per outcome are a family of their own, adjusted like the outcome's cases.
    """
    cases = [g for _, g in experiment_cases(frame)]
    out = []
    if not cases:
        return out
    stacked = pd.concat(cases)
    X = arm_dummies(stacked["arm"])
    case_names = sorted(stacked["case"].unique())
    for name in case_names[1:]:
        X[f"case: {name}"] = (stacked["case"] == name).astype(float)
    for outcome in tuple(outcomes or plan.outcomes):
        try:
            fit = ols(
                stacked[outcome],
                X,
                cov_type="cluster",
                groups=stacked["member_id"],
                min_n=plan.min_respondents,
                alpha=plan.interval_alpha,
            )
        except NotEstimable as error:
            out.append({"outcome": outcome, **not_estimable(str(error))})
            continue
        role = "confirmatory" if plan.is_confirmatory(outcome) else "exploratory"
        terms = [
            {
                **asdict(c),
                "term": TREATMENT_TERMS[c.term.removeprefix("arm_")],
                "stars": stars(c.p, plan.star_levels),
                "role": "pooled",
            }
            for c in fit.coefficients
            if c.term.startswith("arm_")
        ]
        adjusted = adjust_pvalues([t["p"] for t in terms], method=_method(plan, role))
        for term, p_adjusted in zip(terms, adjusted, strict=True):
            term["p_adjusted"] = p_adjusted
            term["family_size"] = len(terms)
        known = stacked[stacked[outcome].notna()]
        out.append(
            {
                "outcome": outcome,
                "n": fit.n,
                "cases": len(case_names),
                "terms": terms,
                "adjustment": ADJUSTMENT_NAMES[_method(plan, role)],
                "analysed_n": {
                    arm: int((known["arm"] == arm).sum()) for arm in ("ab", "a", "b", "none")
                },
                "method": "OLS with case fixed effects, errors clustered by respondent",
            }
        )
    return out


def nan_to_none(value):
    """Make a nested result JSON-safe: NaN and infinities become None, numpy scalars plain."""
    if isinstance(value, dict):
        return {str(k): nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [nan_to_none(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
