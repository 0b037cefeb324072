"""What a trial statistician adds: flow, balance, missingness, randomisation inference.

Attitudes are answered after the nudge, so they are outcomes of it, never covariates:
balance and any adjustment use only the panel's pre-treatment record (ward, age band,
gender).
"""

import numpy as np
import pandas as pd

from analysis.inference import reason

ARMS = ("ab", "a", "b", "none")
PRE_TREATMENT = ("panel_age_band", "panel_gender", "panel_ward")


def consort_flow(flow: pd.DataFrame, frame: pd.DataFrame) -> dict:
    """Count invited, assigned, exposed, partial, complete per arm, and analysed per case."""
    per_arm = {}
    for arm in ARMS:
        mine = flow[flow["arm"] == arm]
        per_arm[arm] = {
            "assigned": len(mine),
            "exposed": int(mine["exposed"].sum()),
            "partial": int((mine["status"] == "partial").sum()),
            "complete": int((mine["status"] == "complete").sum()),
        }
    analysed = {}
    for case, group in frame.groupby("case", sort=True):
        analysed[str(case)] = {
            arm: {
                "individual": int(group.loc[group["arm"] == arm, "individual"].notna().sum()),
                "collective": int(group.loc[group["arm"] == arm, "collective_any"].notna().sum()),
            }
            for arm in ARMS
        }
    return {
        "invited": int(flow["invited"].sum()),
        "assigned": int(flow["assigned"].sum()),
        "not_opened": int((flow["invited"] & ~flow["assigned"]).sum()),
        "per_arm": per_arm,
        "analysed": analysed,
    }


def missingness_by_arm(frame: pd.DataFrame) -> list[dict]:
    """Share of each index missing, per case and arm (differential attrition shows here)."""
    rows = []
    for case, group in frame.groupby("case", sort=True):
        for arm in ARMS:
            mine = group[group["arm"] == arm]
            if mine.empty:
                continue
            rows.append(
                {
                    "case": str(case),
                    "arm": arm,
                    "n": len(mine),
                    "individual_missing": float(mine["individual"].isna().mean()),
                    "collective_missing": float(mine["collective_any"].isna().mean()),
                }
            )
    return rows


UNKNOWN = "(unknown)"


def _dummies(units: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """Return one 0/1 column per category of each covariate, and each column's (variable,
    category), so that the report can label "age band: 16-24" without parsing names."""
    parts, names = [], {}
    for column in PRE_TREATMENT:
        values = units[column].fillna("").astype(str).replace("", UNKNOWN)
        variable = column.removeprefix("panel_")
        dummies = pd.get_dummies(values, prefix=variable, dtype=float)
        for category in sorted(values.unique()):
            names[f"{variable}_{category}"] = (variable, category)
        parts.append(dummies)
    frame = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=units.index)
    return frame, names


def _omnibus(dummies: np.ndarray, arms: np.ndarray, levels: list[str]) -> float:
    """Sum over covariate categories of the between-arm chi-square-like statistic."""
    overall = dummies.mean(axis=0)
    variance = overall * (1 - overall)
    keep = variance > 0
    statistic = 0.0
    for arm in levels:
        mask = arms == arm
        if not mask.any():
            continue
        diff = dummies[mask][:, keep].mean(axis=0) - overall[keep]
        statistic += float(mask.sum() * np.sum(diff**2 / variance[keep]))
    return statistic


def balance(flow: pd.DataFrame, *, draws: int, seed: int) -> dict:
    """Standardised differences of pre-treatment covariates (each arm vs none) and an
    omnibus test whose p-value comes from re-randomising the arms."""
    units = flow[flow["assigned"] & flow["arm"].notna()].reset_index(drop=True)
    levels = [a for a in ARMS if (units["arm"] == a).any()]
    if len(levels) < 2:
        return {"not_estimable": f"not estimable: {reason('one_arm')}"}
    dummies, names = _dummies(units)
    arms = units["arm"].to_numpy()
    rows = []
    reference = dummies[arms == "none"] if "none" in levels else None
    for column in dummies.columns:
        variable, category = names.get(column, (column, ""))
        row = {
            "covariate": column,
            "variable": variable,
            "category": category,
            "overall": float(dummies[column].mean()),
        }
        for arm in levels:
            row[arm] = float(dummies.loc[arms == arm, column].mean())
            if reference is not None and arm != "none":
                pooled = np.sqrt(
                    (dummies.loc[arms == arm, column].var() + reference[column].var()) / 2
                )
                row[f"smd_{arm}"] = (
                    float((row[arm] - reference[column].mean()) / pooled) if pooled > 0 else 0.0
                )
        rows.append(row)
    matrix = dummies.to_numpy()
    observed = _omnibus(matrix, arms, levels)
    rng = np.random.default_rng(seed)
    exceed = sum(
        _omnibus(matrix, rng.permutation(arms), levels) >= observed - 1e-12 for _ in range(draws)
    )
    return {
        "covariates": rows,
        "omnibus_statistic": observed,
        "omnibus_p_randomisation": (exceed + 1) / (draws + 1),
        "draws": draws,
        "method": "standardised mean differences vs none; omnibus statistic with a "
        "randomisation-inference p-value (arms re-randomised)",
    }


def randomisation_p(
    outcome: pd.Series, arms: pd.Series, *, treated: str, draws: int, seed: int
) -> float | None:
    """Two-sided randomisation-inference p-value of the treated-vs-none difference in means
    under the sharp null of no effect, permuting arm labels within the case."""
    data = pd.DataFrame({"y": outcome.to_numpy(float), "arm": arms.to_numpy()}).dropna()
    data = data[data["arm"].isin([treated, "none"])]
    y = data["y"].to_numpy()
    labels = (data["arm"] == treated).to_numpy()
    if labels.sum() < 2 or (~labels).sum() < 2:
        return None
    observed = abs(y[labels].mean() - y[~labels].mean())
    rng = np.random.default_rng(seed)
    count = 0
    for _ in range(draws):
        shuffled = rng.permutation(labels)
        count += abs(y[shuffled].mean() - y[~shuffled].mean()) >= observed - 1e-12
    return (count + 1) / (draws + 1)


def kr20(items: pd.DataFrame) -> dict:
    """Kuder–Richardson 20 (Cronbach's alpha for yes/no items) on respondents who answered
    every item: k/(k−1) · (1 − Σ p·q / var(total))."""
    complete = items.dropna().astype(float)
    k = complete.shape[1]
    n = len(complete)
    if k < 2:
        return {"not_estimable": f"not estimable: {reason('few_activities')}"}
    if n < 10:
        return {"not_estimable": f"not estimable: {reason('few_answer_sets', n=n)}"}
    p = complete.mean(axis=0)
    total_variance = float(complete.sum(axis=1).var(ddof=0))
    if total_variance == 0:
        return {"not_estimable": f"not estimable: {reason('same_total')}"}
    value = k / (k - 1) * (1 - float((p * (1 - p)).sum()) / total_variance)
    return {"kr20": value, "items": k, "n": n}


def reliability_by_case(items: pd.DataFrame) -> list[dict]:
    """KR-20 of each case's activities, from the long item frame (one row per answer)."""
    rows = []
    if items.empty:
        return rows
    for case, group in items.groupby("case", sort=True):
        wide = group.pivot_table(
            index="response_id", columns="activity_id", values="done", aggfunc="first"
        )
        rows.append({"case": str(case), **kr20(wide)})
    return rows
