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
    NUDGE_STAR_LEVELS,
    NotEstimable,
    adjust_pvalues,
    mcnemar,
    minimum_detectable_effect,
    not_estimable,
    ols,
    paired_difference,
    pearson,
    proportion,
    stars,
    t_interval,
)

INDICES = {"individual": "Individual index", "collective_any": "Collective index (any)"}
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
    except NotEstimable as reason:
        return not_estimable(str(reason))


def cases_of(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    return [(str(name), group) for name, group in frame.groupby("case", sort=True)]


def table_levels(frame: pd.DataFrame, plan) -> list[dict]:
    """Table 1: levels of individual and collective co-production per case."""
    rows = []
    for case, group in cases_of(frame):
        rows.append(
            {
                "case": case,
                "n": len(group),
                "individual": _safe(lambda g=group: t_interval(g["individual"], alpha=plan.alpha)),
                "collective_any": _safe(lambda g=group: proportion(g["collective_any"])),
                "collective_often": _safe(lambda g=group: proportion(g["collective_often"])),
                "collective_sometimes": _safe(
                    lambda g=group: proportion(g["collective_sometimes"])
                ),
                "difference": _safe(
                    lambda g=group: paired_difference(
                        g["individual"], g["collective_any"], alpha=plan.alpha
                    )
                ),
            }
        )
    return rows


def table_time(frame: pd.DataFrame, plan) -> list[dict]:
    """Table 2: giving at least a few hours a month, now and more, where asked."""
    rows = []
    for case, group in cases_of(frame):
        asked_now = group["gives_time_now"].notna().any()
        asked_more = group["gives_time_more"].notna().any()
        if not (asked_now or asked_more):
            continue
        row = {"case": case, "n": len(group)}
        row["now"] = _safe(lambda g=group: proportion(g["gives_time_now"])) if asked_now else None
        row["more"] = (
            _safe(lambda g=group: proportion(g["gives_time_more"])) if asked_more else None
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
            return f"not testable: {smallest} respondents in a category (< {plan.min_per_category})"
    elif len(values) < plan.min_per_category:
        return f"not testable: {len(values)} respondents (< {plan.min_per_category})"
    return None


def table_correlates(frame: pd.DataFrame, plan, *, index: str) -> dict:
    """Tables 3 and 4: Pearson correlates of an index per case, and the adjusted model."""
    cells = []
    for case, group in cases_of(frame):
        for variable in CORRELATES:
            reason = _testable(group, variable, plan)
            cell = {"case": case, "variable": variable}
            if reason:
                cell["not_testable"] = reason
            else:
                try:
                    result = pearson(group[variable], group[index])
                    cell.update(r=result.estimate, p=result.p, n=result.n)
                except NotEstimable as error:
                    cell["not_testable"] = f"not estimable: {error}"
            cells.append(cell)
    tested = [cell for cell in cells if "p" in cell]
    adjusted = adjust_pvalues([cell["p"] for cell in tested], method=plan.exploratory_adjustment)
    for cell, p_adj in zip(tested, adjusted, strict=True):
        cell["p_adjusted"] = p_adj
        cell["stars"] = stars(cell["p"])
        cell["negative"] = cell["r"] < 0
    n_cases = frame["case"].nunique()
    summary = []
    for variable, label in CORRELATES.items():
        mine = [c for c in tested if c["variable"] == variable]
        summary.append(
            {
                "variable": variable,
                "label": label,
                "positive": sum(1 for c in mine if c["r"] > 0 and c["p"] < 0.05),
                "negative": sum(1 for c in mine if c["r"] < 0 and c["p"] < 0.05),
                "tested": len(mine),
                "cases": n_cases,
            }
        )
    models = []
    for case, group in cases_of(frame):
        usable = [v for v in CORRELATES if _testable(group, v, plan) is None]
        if not usable:
            models.append({"case": case, **not_estimable("no testable correlate")})
            continue
        X = group[usable].assign(const=1.0)[["const", *usable]]
        try:
            fit = ols(group[index], X, min_n=plan.min_respondents, alpha=plan.alpha)
        except NotEstimable as error:
            models.append({"case": case, **not_estimable(str(error))})
            continue
        models.append(
            {
                "case": case,
                "n": fit.n,
                "r_squared": fit.r_squared,
                "coefficients": [
                    {**asdict(c), "stars": stars(c.p)}
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
        return not_estimable("the reference arm (none) is empty")
    if missing:
        return not_estimable(f"empty arm: {', '.join(missing)}")
    fit = ols(
        group[outcome],
        arm_dummies(group["arm"]),
        min_n=plan.min_respondents,
        alpha=plan.alpha,
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
                "stars": stars(c.p, NUDGE_STAR_LEVELS),
                "mde": minimum_detectable_effect(c.se, df=c.df, alpha=plan.alpha, power=plan.power),
            }
        )
    arm_counts = {arm: int((group["arm"] == arm).sum()) for arm in ("ab", "a", "b", "none")}
    return {
        "n": fit.n,
        "r_squared": fit.r_squared,
        "terms": terms,
        "reference_mean": float(group.loc[group["arm"] == "none", outcome].mean()),
        "arm_n": arm_counts,
    }


def table_nudges(frame: pd.DataFrame, plan) -> dict:
    """Table 5: nudge effects per case and index, with multiplicity and power."""
    rows = []
    for case, group in experiment_cases(frame):
        for outcome in INDICES:
            try:
                result = fit_nudges(group, outcome, plan)
            except NotEstimable as error:
                result = not_estimable(str(error))
            rows.append({"case": case, "outcome": outcome, **result})
    arm_terms = [t for row in rows for t in row.get("terms", []) if t["kind"] == "arm"]
    adjusted = adjust_pvalues([t["p"] for t in arm_terms], method=plan.confirmatory_adjustment)
    for term, p_adj in zip(arm_terms, adjusted, strict=True):
        term["p_adjusted"] = p_adj
    counts = {}
    for outcome in INDICES:
        mine = [
            t
            for row in rows
            if row["outcome"] == outcome
            for t in row.get("terms", [])
            if t["kind"] == "arm"
        ]
        counts[outcome] = {
            "tests": len(mine),
            "significant_10": sum(t["p"] < 0.10 for t in mine),
            "significant_05": sum(t["p"] < 0.05 for t in mine),
            "significant_adjusted_05": sum(t["p_adjusted"] < 0.05 for t in mine),
        }
    return {
        "rows": rows,
        "counts": counts,
        "pooled": pooled_nudges(frame, plan),
        "adjustment": ADJUSTMENT_NAMES[plan.confirmatory_adjustment],
        "method": "OLS on arm dummies (none = reference), HC2 errors, t inference",
    }


def pooled_nudges(frame: pd.DataFrame, plan) -> list[dict]:
    """Pool the experiment cases: arm dummies plus case fixed effects, clustered by respondent."""
    cases = [g for _, g in experiment_cases(frame)]
    out = []
    if not cases:
        return out
    stacked = pd.concat(cases)
    X = arm_dummies(stacked["arm"])
    case_names = sorted(stacked["case"].unique())
    for name in case_names[1:]:
        X[f"case: {name}"] = (stacked["case"] == name).astype(float)
    for outcome in INDICES:
        try:
            fit = ols(
                stacked[outcome],
                X,
                cov_type="cluster",
                groups=stacked["member_id"],
                min_n=plan.min_respondents,
                alpha=plan.alpha,
            )
        except NotEstimable as error:
            out.append({"outcome": outcome, **not_estimable(str(error))})
            continue
        out.append(
            {
                "outcome": outcome,
                "n": fit.n,
                "cases": len(case_names),
                "terms": [
                    {
                        **asdict(c),
                        "term": TREATMENT_TERMS[c.term.removeprefix("arm_")],
                        "stars": stars(c.p, NUDGE_STAR_LEVELS),
                    }
                    for c in fit.coefficients
                    if c.term.startswith("arm_")
                ],
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
