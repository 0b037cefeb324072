"""Recompute Tables 1, 2 and 5 of every wave in this bundle and compare them with results.json.

Run it from the unzipped bundle, or give the bundle's folder:

    python reproduce/reproduce_tables.py [BUNDLE_FOLDER] [--tolerance 1e-9]

It needs Python 3.10 or later with pandas and statsmodels (which bring numpy and
scipy), and reads only the bundle's own files: data/tidy.csv, the codes of its coded
columns (reproduce/codes.json), each wave's analysis plan (plan/wave-<id>.json, the plan
frozen when the wave opened), results.json and manifest.json. Every definition is written
out below, from the paper and the plan, without any code of the platform that wrote the
bundle, so that agreement is evidence that both compute what the report says.

Exit status: 0 when every number agrees within the tolerance, 1 when any disagrees (each
disagreement is printed), 2 when the bundle cannot be read.

Definitions (the plan's option in brackets):

- Sample: complete responses, one row per response and theme answered; a case is one
  theme of one wave (its council's only one).
- Individual index: activities answered yes among those answered, when at least
  [index_min_answered_share] of the theme's activities were answered, else missing
  ([index_missing_rule] "defined"); or yes among all the theme's activities
  ("missing_as_no").
- Collective index: joins groups often or sometimes = 1, never = 0 ("any"); or the
  frequency score often 2, sometimes 1, never 0 divided by 2 ("frequency")
  [collective_coding]. Table 1 shows "any", often and sometimes whatever the plan.
- Gives time: a time answer at least [time_threshold_code] (3 = a few hours a month).
- Intervals at [ci_level]: t for the mean index, Wilson for shares, a paired t test for
  individual minus collective, McNemar's exact test for time now against time more.
- Table 5: OLS of each index on the A only, B only and A-and-B dummies (no nudge is the
  reference) in every case where more than one arm was assigned, HC2 standard errors with
  t inference on the residual degrees of freedom; the factorial contrasts (A main effect,
  B main effect, A x B interaction) from the same fit; minimum detectable effects at
  [alpha] and [power]. Arm contrasts are adjusted within their family: confirmatory for
  [confirmatory_outcomes] (method [confirmatory_adjustment]), exploratory otherwise
  ([exploratory_adjustment]); one family per case, or per wave ([family_scope]). The
  pooled rows stack the cases with case fixed effects and errors clustered by respondent.
  Estimates need at least [min_respondents] answers; stars mark p below each of
  [star_levels].
"""

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

ARMS = ("ab", "a", "b", "none")
TREATED = {"a": "A only", "b": "B only", "ab": "A and B"}
CONTRASTS = {
    "A main effect": {"a": 0.5, "ab": 0.5, "b": -0.5},
    "B main effect": {"b": 0.5, "ab": 0.5, "a": -0.5},
    "A × B interaction": {"ab": 1.0, "a": -1.0, "b": -1.0},
}
# The questionnaire's codes of "how often do you work with others in groups".
OFTEN, SOMETIMES, NEVER = 1, 2, 3
COLLECTIVE_COLUMNS = {"any": "collective_any", "frequency": "collective_frequency"}
# The paper's definitions: what a plan stored before an option existed means by it.
PAPER_DEFAULTS = {
    "index_missing_rule": "defined",
    "index_min_answered_share": 0.5,
    "collective_coding": "any",
    "time_threshold_code": 3,
    "min_respondents": 10,
    "alpha": 0.05,
    "ci_level": 0.95,
    "star_levels": [0.01, 0.05],
    "power": 0.80,
    "confirmatory_outcomes": ["collective"],
    "family_scope": "case",
    "confirmatory_adjustment": "holm",
    "exploratory_adjustment": "fdr_bh",
}


class NotEstimable(Exception):
    """The quantity cannot be estimated from these data."""


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical_hash(value, *, ascii_only: bool) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- The variables --------------------------------------------------------------------------


def read_cases(folder: Path, codes: dict) -> pd.DataFrame:
    """Return the complete responses' rows of the tidy file with every analysis variable."""
    raw = pd.read_csv(folder / "data" / "tidy.csv", encoding="utf-8-sig", low_memory=False)
    status = {int(code): value for code, value in codes["status"].items()}
    arm = {int(code): value for code, value in codes["arm"].items()}
    complete = [code for code, value in status.items() if value == "complete"]
    frame = raw[raw["status"].isin(complete)].copy()
    frame["arm_key"] = frame["arm"].map(arm)
    frame["wave"] = frame["wave"].astype(int)
    frame["theme"] = frame["theme"].astype(int)
    return frame


def analysis_variables(frame: pd.DataFrame, plan: dict) -> pd.DataFrame:
    """Add the indices and recodes the tables use, under the plan."""
    out = frame.copy()
    total = out["activities_total"].astype(float)
    answered = pd.Series(0.0, index=out.index)
    yes = pd.Series(0.0, index=out.index)
    for position in range(1, int(total.max()) + 1 if len(out) else 1):
        column = out.get(f"act{position}")
        if column is None:
            continue
        in_theme = total >= position
        answered += (column.notna() & in_theme).astype(float)
        yes += ((column == 1) & in_theme).astype(float)
    if plan["index_missing_rule"] == "missing_as_no":
        out["individual"] = (yes / total).where(total > 0)
    else:
        enough = (answered > 0) & (answered >= total * plan["index_min_answered_share"])
        out["individual"] = (yes / answered).where(enough)
    code = out["collective"]
    known = code.isin([OFTEN, SOMETIMES, NEVER])
    score = code.map({OFTEN: 2.0, SOMETIMES: 1.0, NEVER: 0.0})
    out["collective_any"] = (score >= 1).astype(float).where(known)
    out["collective_often"] = (code == OFTEN).astype(float).where(known)
    out["collective_sometimes"] = (code == SOMETIMES).astype(float).where(known)
    out["collective_frequency"] = score / 2
    threshold = plan["time_threshold_code"]
    for name, column in (("gives_time_now", "time_now"), ("gives_time_more", "time_more")):
        out[name] = (out[column] >= threshold).astype(float).where(out[column].notna())
    return out


# --- Intervals and tests --------------------------------------------------------------------


def interval_alpha(plan: dict) -> float:
    return round(1 - plan["ci_level"], 12)


def mean_interval(values: pd.Series, alpha: float) -> dict:
    x = values.dropna().to_numpy(dtype=float)
    if len(x) < 2:
        raise NotEstimable("fewer than 2 answers")
    low, high = sm.stats.DescrStatsW(x).tconfint_mean(alpha=alpha)
    return {"estimate": float(x.mean()), "low": float(low), "high": float(high), "n": len(x)}


def share_interval(values: pd.Series, alpha: float) -> dict:
    x = values.dropna()
    if len(x) == 0:
        raise NotEstimable("no answers")
    count = int((x == 1).sum())
    low, high = proportion_confint(count, len(x), alpha=alpha, method="wilson")
    return {
        "estimate": count / len(x),
        "low": max(0.0, float(low)),
        "high": min(1.0, float(high)),
        "n": len(x),
    }


def paired_t(first: pd.Series, second: pd.Series, alpha: float) -> dict:
    pair = pd.DataFrame({"a": first, "b": second}).dropna()
    if len(pair) < 2:
        raise NotEstimable("fewer than 2 pairs")
    difference = (pair["a"] - pair["b"]).to_numpy(dtype=float)
    if difference.std(ddof=1) == 0:
        raise NotEstimable("the difference is constant")
    described = sm.stats.DescrStatsW(difference)
    t, p, _df = described.ttest_mean(0)
    low, high = described.tconfint_mean(alpha=alpha)
    return {
        "estimate": float(difference.mean()),
        "statistic": float(t),
        "p": float(p),
        "low": float(low),
        "high": float(high),
        "n": len(pair),
    }


def mcnemar_exact(first: pd.Series, second: pd.Series) -> dict:
    pair = pd.DataFrame({"a": first, "b": second}).dropna()
    if len(pair) == 0:
        raise NotEstimable("no pairs")
    only_first = int(((pair["a"] == 1) & (pair["b"] == 0)).sum())
    only_second = int(((pair["a"] == 0) & (pair["b"] == 1)).sum())
    both = int(((pair["a"] == 1) & (pair["b"] == 1)).sum())
    neither = int(((pair["a"] == 0) & (pair["b"] == 0)).sum())
    test = mcnemar([[both, only_first], [only_second, neither]], exact=True)
    return {
        "estimate": float(pair["a"].mean() - pair["b"].mean()),
        "statistic": float(only_first + only_second),
        "p": float(test.pvalue),
        "n": len(pair),
    }


def guarded(compute) -> dict:
    try:
        return compute()
    except NotEstimable as error:
        return {"not_estimable": str(error)}


def stars(p: float, levels) -> str:
    return "*" * sum(p < level for level in levels)


def adjusted(pvalues: list[float], method: str) -> list[float]:
    if not pvalues:
        return []
    return [float(p) for p in multipletests(pvalues, method=method)[1]]


# --- Tables 1 and 2 -------------------------------------------------------------------------


def table_1(cases: dict[str, pd.DataFrame], plan: dict) -> list[dict]:
    alpha = interval_alpha(plan)
    rows = []
    for case, group in cases.items():
        row = {"case": case, "n": len(group)}
        row["individual"] = guarded(lambda g=group: mean_interval(g["individual"], alpha))
        for name in ("collective_any", "collective_often", "collective_sometimes"):
            row[name] = guarded(lambda g=group, c=name: share_interval(g[c], alpha))
        row["difference"] = guarded(
            lambda g=group: paired_t(g["individual"], g["collective_any"], alpha)
        )
        rows.append(row)
    return rows


def table_2(cases: dict[str, pd.DataFrame], plan: dict) -> list[dict]:
    alpha = interval_alpha(plan)
    rows = []
    for case, group in cases.items():
        now, more = group["gives_time_now"], group["gives_time_more"]
        asked_now, asked_more = now.notna().any(), more.notna().any()
        if not (asked_now or asked_more):
            continue
        rows.append(
            {
                "case": case,
                "n": len(group),
                "now": guarded(lambda n=now: share_interval(n, alpha)) if asked_now else None,
                "more": guarded(lambda m=more: share_interval(m, alpha)) if asked_more else None,
                "now_vs_more": (
                    guarded(lambda n=now, m=more: mcnemar_exact(n, m))
                    if asked_now and asked_more
                    else None
                ),
            }
        )
    return rows


# --- Table 5 --------------------------------------------------------------------------------


def design_matrix(arms: pd.Series) -> pd.DataFrame:
    X = pd.DataFrame({"const": 1.0}, index=arms.index)
    for arm in TREATED:
        X[arm] = (arms == arm).astype(float)
    return X


def fit_ols(y: pd.Series, X: pd.DataFrame, plan: dict, *, clusters: pd.Series | None = None):
    """Fit OLS with HC2 (or clustered) errors and t inference, refusing degenerate data."""
    data = X.assign(__y=y)
    if clusters is not None:
        data["__cluster"] = clusters
    data = data.dropna()
    n = len(data)
    if n < plan["min_respondents"]:
        raise NotEstimable(f"fewer than {plan['min_respondents']} respondents ({n})")
    outcome = data["__y"].to_numpy(dtype=float)
    if outcome.max() == outcome.min():
        raise NotEstimable("the outcome is constant")
    regressors = data[list(X.columns)].astype(float)
    for column in X.columns:
        if column != "const" and regressors[column].nunique() < 2:
            raise NotEstimable(f"no variation in {column}")
    matrix = regressors.to_numpy()
    if np.linalg.matrix_rank(matrix.T @ matrix) < matrix.shape[1]:
        raise NotEstimable("collinear regressors")
    if n <= matrix.shape[1]:
        raise NotEstimable("no residual degrees of freedom")
    model = sm.OLS(outcome, regressors)
    # QR rather than statsmodels' default pseudo-inverse: the same estimates, and in a
    # case that fits its groups perfectly (every answer in a group alike) the same
    # leverages, so that HC2 errors near zero are computed alike too.
    if clusters is None:
        result = model.fit(method="qr", cov_type="HC2", use_t=True)
        df = float(result.df_resid)
    else:
        groups = pd.factorize(data["__cluster"])[0]
        result = model.fit(method="qr", cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        df = float(len(np.unique(groups)) - 1)
    if not np.all(np.isfinite(result.bse)):
        raise NotEstimable("standard errors not finite")
    return result, df, n


def coefficient(result, df: float, alpha: float, *, name=None, weights=None) -> dict:
    if weights is None:
        low, high = np.asarray(result.conf_int(alpha=alpha).loc[name])
        return {
            "estimate": float(result.params[name]),
            "se": float(result.bse[name]),
            "t": float(result.tvalues[name]),
            "p": float(result.pvalues[name]),
            "low": float(low),
            "high": float(high),
            "df": df,
        }
    vector = np.array([weights.get(column, 0.0) for column in result.params.index])
    test = result.t_test(vector)
    low, high = np.asarray(test.conf_int(alpha=alpha)).ravel()
    return {
        "estimate": float(np.asarray(test.effect).ravel()[0]),
        "se": float(np.asarray(test.sd).ravel()[0]),
        "t": float(np.asarray(test.tvalue).ravel()[0]),
        "p": float(np.asarray(test.pvalue).ravel()[0]),
        "low": float(low),
        "high": float(high),
        "df": df,
    }


def minimum_detectable(se: float, df: float, plan: dict) -> float:
    return float((stats.t.ppf(1 - plan["alpha"] / 2, df) + stats.t.ppf(plan["power"], df)) * se)


def nudge_row(group: pd.DataFrame, outcome: str, plan: dict) -> dict:
    present = set(group["arm_key"].dropna())
    if "none" not in present:
        raise NotEstimable("the reference arm is empty")
    if set(TREATED) - present:
        raise NotEstimable("an arm is empty")
    result, df, n = fit_ols(group[outcome], design_matrix(group["arm_key"]), plan)
    alpha = interval_alpha(plan)
    terms = []
    for arm, label in TREATED.items():
        term = coefficient(result, df, alpha, name=arm)
        terms.append({"term": label, "kind": "arm", **term})
    for label, weights in CONTRASTS.items():
        term = coefficient(result, df, alpha, weights=weights)
        terms.append({"term": label, "kind": "factorial", **term, "p_adjusted": None})
    for term in terms:
        term["stars"] = stars(term["p"], plan["star_levels"])
        term["mde"] = minimum_detectable(term["se"], term["df"], plan)
    known = group[group[outcome].notna()]
    return {
        "n": n,
        "r_squared": float(result.rsquared),
        "reference_mean": float(group.loc[group["arm_key"] == "none", outcome].mean()),
        "arm_n": {arm: int((group["arm_key"] == arm).sum()) for arm in ARMS},
        "analysed_n": {arm: int((known["arm_key"] == arm).sum()) for arm in ARMS},
        "terms": terms,
    }


def is_confirmatory(outcome: str, plan: dict) -> bool:
    key = "individual" if outcome == "individual" else "collective"
    return key in plan["confirmatory_outcomes"]


def adjustment_method(plan: dict, confirmatory: bool) -> str:
    return plan["confirmatory_adjustment"] if confirmatory else plan["exploratory_adjustment"]


def table_5(cases: dict[str, pd.DataFrame], plan: dict, outcomes, *, pooled: bool) -> dict:
    experiment = {c: g for c, g in cases.items() if g["arm_key"].nunique() > 1}
    rows = []
    for case, group in experiment.items():
        for outcome in outcomes:
            row = {"case": case, "outcome": outcome}
            try:
                row.update(nudge_row(group, outcome, plan))
            except NotEstimable as error:
                row["not_estimable"] = str(error)
            rows.append(row)
    families: dict[tuple, list[dict]] = {}
    for row in rows:
        confirmatory = is_confirmatory(row["outcome"], plan)
        scope = row["case"] if plan["family_scope"] == "case" else ""
        for term in row.get("terms", []):
            if term["kind"] == "arm":
                families.setdefault((confirmatory, scope), []).append(term)
    for (confirmatory, _scope), terms in families.items():
        method = adjustment_method(plan, confirmatory)
        for term, p in zip(terms, adjusted([t["p"] for t in terms], method), strict=True):
            term["p_adjusted"] = p
            term["family_size"] = len(terms)
    counts = {}
    for outcome in outcomes:
        arm_terms = [
            t
            for row in rows
            if row["outcome"] == outcome
            for t in row.get("terms", [])
            if t["kind"] == "arm"
        ]
        counts[outcome] = {
            "tests": len(arm_terms),
            "significant": sum(t["p"] < plan["alpha"] for t in arm_terms),
            "significant_adjusted": sum(t["p_adjusted"] < plan["alpha"] for t in arm_terms),
        }
    table = {"rows": rows, "counts": counts}
    if pooled:
        table["pooled"] = pooled_rows(experiment, plan, outcomes)
    return table


def pooled_rows(experiment: dict[str, pd.DataFrame], plan: dict, outcomes) -> list[dict]:
    if not experiment:
        return []
    names = sorted(experiment)
    stacked = pd.concat([experiment[name] for name in names])
    X = design_matrix(stacked["arm_key"])
    for name in names[1:]:
        X[f"case: {name}"] = (stacked["case"] == name).astype(float)
    out = []
    for outcome in outcomes:
        row = {"outcome": outcome}
        try:
            result, df, n = fit_ols(stacked[outcome], X, plan, clusters=stacked["pseudonym"])
        except NotEstimable as error:
            out.append({**row, "not_estimable": str(error)})
            continue
        alpha = interval_alpha(plan)
        terms = [
            {"term": label, **coefficient(result, df, alpha, name=arm)}
            for arm, label in TREATED.items()
        ]
        method = adjustment_method(plan, is_confirmatory(outcome, plan))
        for term, p in zip(terms, adjusted([t["p"] for t in terms], method), strict=True):
            term["p_adjusted"] = p
            term["family_size"] = len(terms)
            term["stars"] = stars(term["p"], plan["star_levels"])
        known = stacked[stacked[outcome].notna()]
        row.update(
            n=n,
            cases=len(names),
            terms=terms,
            analysed_n={arm: int((known["arm_key"] == arm).sum()) for arm in ARMS},
        )
        out.append(row)
    return out


# --- Comparing ------------------------------------------------------------------------------


class Comparison:
    def __init__(self, tolerance: float):
        self.tolerance = tolerance
        self.numbers = 0
        self.largest = 0.0
        self.problems: list[str] = []

    def same(self, path: str, expected, recomputed) -> None:
        """Compare what the bundle's results hold with what was recomputed here."""
        if isinstance(recomputed, dict):
            if not isinstance(expected, dict):
                self.problems.append(f"{path}: results.json has {expected!r}, recomputed a value")
                return
            if ("not_estimable" in expected) != ("not_estimable" in recomputed):
                self.problems.append(
                    f"{path}: estimable in one and not the other "
                    f"(results.json: {expected.get('not_estimable', 'estimable')}; "
                    f"recomputed: {recomputed.get('not_estimable', 'estimable')})"
                )
                return
            for key, value in recomputed.items():
                if key == "not_estimable":
                    continue
                if key not in expected:
                    self.problems.append(f"{path}.{key}: missing from results.json")
                    continue
                self.same(f"{path}.{key}", expected[key], value)
            return
        if isinstance(recomputed, list):
            if not isinstance(expected, list) or len(expected) != len(recomputed):
                self.problems.append(f"{path}: {len(recomputed)} entries recomputed")
                return
            for index, (left, right) in enumerate(zip(expected, recomputed, strict=True)):
                self.same(f"{path}[{index}]", left, right)
            return
        if isinstance(recomputed, str) or recomputed is None or isinstance(recomputed, bool):
            if expected != recomputed:
                self.problems.append(
                    f"{path}: results.json {expected!r}, recomputed {recomputed!r}"
                )
            return
        value = float(recomputed)
        if expected is None:
            if not math.isnan(value):
                self.problems.append(f"{path}: results.json has no value, recomputed {value!r}")
            return
        self.numbers += 1
        difference = abs(float(expected) - value)
        scale = max(1.0, abs(float(expected)))
        if not difference <= self.tolerance * scale:
            self.problems.append(f"{path}: results.json {expected!r}, recomputed {value!r}")
        else:
            self.largest = max(self.largest, difference)


def compare_rows(check: Comparison, name: str, expected: list, recomputed: list, key) -> None:
    """Match rows by their key and compare each; a row missing on either side disagrees."""
    stored = {key(row): row for row in expected}
    mine = {key(row): row for row in recomputed}
    for missing in sorted(set(stored) - set(mine), key=str):
        check.problems.append(f"{name} {missing}: in results.json, not recomputed")
    for extra in sorted(set(mine) - set(stored), key=str):
        check.problems.append(f"{name} {extra}: recomputed, not in results.json")
    for row_key in sorted(set(stored) & set(mine), key=str):
        row = dict(mine[row_key])
        terms = row.pop("terms", None)
        check.same(f"{name} {row_key}", stored[row_key], row)
        if terms is not None:
            compare_rows(
                check,
                f"{name} {row_key}",
                stored[row_key].get("terms", []),
                terms,
                key=lambda term: term["term"],
            )


def compare_table_5(check: Comparison, name: str, expected: dict, recomputed: dict) -> None:
    by_row = lambda row: (row["case"], row["outcome"])  # noqa: E731
    compare_rows(check, name, expected.get("rows", []), recomputed["rows"], key=by_row)
    check.same(f"{name} counts", expected.get("counts", {}), recomputed["counts"])
    if "pooled" in recomputed:
        compare_rows(
            check,
            f"{name} pooled",
            expected.get("pooled", []),
            recomputed["pooled"],
            key=lambda row: row["outcome"],
        )


# --- The bundle -----------------------------------------------------------------------------


def check_manifest(folder: Path, names: list[str]) -> list[str]:
    """Return the files read here whose SHA-256 is not the one in manifest.json."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    problems = []
    for name in names:
        recorded = manifest["files"].get(name, {}).get("sha256")
        if recorded != sha256_of(folder / name):
            problems.append(f"{name}: its SHA-256 is not the one in manifest.json")
    return problems


def check_designs(folder: Path) -> list[str]:
    """Return the waves whose recorded design does not match its hash."""
    designs = json.loads((folder / "design" / "design.json").read_text(encoding="utf-8"))
    return [
        f"wave {wave}: the design does not match its hash"
        for wave, entry in designs.items()
        if canonical_hash(entry["design"], ascii_only=False) != entry["design_hash"]
    ]


def plan_to_use(folder: Path, wave_id: int, results: dict) -> dict:
    """Return the plan the run used, saying whether it is the one frozen at opening."""
    run_plan = results["plan"]
    if canonical_hash(run_plan, ascii_only=True) != results["plan_hash"]:
        raise ValueError(f"wave {wave_id}: the plan in results.json does not match its hash")
    frozen_file = folder / "plan" / f"wave-{wave_id}.json"
    frozen = json.loads(frozen_file.read_text(encoding="utf-8")) if frozen_file.exists() else {}
    if frozen.get("plan_hash") == results["plan_hash"]:
        say(f"  Plan: the one frozen when the wave opened ({results['plan_hash'][:12]}).")
    elif frozen.get("analysis_plan"):
        changed = sorted(
            key
            for key in set(run_plan) | set(frozen["analysis_plan"])
            if run_plan.get(key) != frozen["analysis_plan"].get(key)
        )
        say(
            "  Plan: the run used a plan other than the one frozen at opening "
            f"(a deviation the report lists; options changed: {', '.join(changed)}). "
            "The tables are recomputed under the plan the run used."
        )
    else:
        say("  Plan: no plan was frozen for this wave; the run's own plan is used.")
    return {**PAPER_DEFAULTS, **run_plan}


def reproduce_wave(check: Comparison, data: pd.DataFrame, wave: dict, folder: Path) -> None:
    results = wave["results"]
    plan = plan_to_use(folder, wave["wave_id"], results)
    rows = analysis_variables(data[data["wave"] == wave["wave_id"]], plan)
    names = {int(case["theme_id"]): case["case"] for case in results.get("cases", [])}
    unnamed = sorted(set(rows["theme"]) - set(names))
    if unnamed:
        check.problems.append(f"wave {wave['wave_id']}: themes {unnamed} have no case in results")
    rows = rows[rows["theme"].isin(names)].assign(case=lambda f: f["theme"].map(names))
    cases = {case: group for case, group in rows.groupby("case", sort=True)}
    label = f"wave {wave['wave_id']}"
    before = (check.numbers, len(check.problems))

    def tally(title: str) -> None:
        numbers = check.numbers - before[0]
        problems = len(check.problems) - before[1]
        verdict = "all agree" if not problems else f"{problems} disagreement(s)"
        say(f"  {title}: {numbers} numbers compared, {verdict}.")

    by_case = lambda row: row["case"]  # noqa: E731
    compare_rows(check, f"{label} Table 1", results["levels"], table_1(cases, plan), by_case)
    tally("Table 1 (levels)")
    before = (check.numbers, len(check.problems))
    compare_rows(check, f"{label} Table 2", results["time"], table_2(cases, plan), by_case)
    tally("Table 2 (time)")
    before = (check.numbers, len(check.problems))
    collective = COLLECTIVE_COLUMNS[plan["collective_coding"]]
    other = next(c for k, c in COLLECTIVE_COLUMNS.items() if k != plan["collective_coding"])
    compare_table_5(
        check,
        f"{label} Table 5",
        results["nudges"],
        table_5(cases, plan, ("individual", collective), pooled=True),
    )
    if "nudges_other_coding" in results:
        compare_table_5(
            check,
            f"{label} Table 5 (other collective coding)",
            results["nudges_other_coding"],
            table_5(cases, plan, (other,), pooled=False),
        )
    tally("Table 5 (nudge effects, HC2)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=None, help="the unzipped bundle")
    parser.add_argument("--tolerance", type=float, default=1e-9)
    arguments = parser.parse_args(argv)
    folder = Path(arguments.folder) if arguments.folder else Path(__file__).resolve().parent.parent
    try:
        codes = json.loads((folder / "reproduce" / "codes.json").read_text(encoding="utf-8"))
        bundle = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        read = ["data/tidy.csv", "results.json", "reproduce/codes.json"]
        read += [
            f"plan/wave-{w['wave_id']}.json"
            for w in bundle["waves"]
            if (folder / "plan" / f"wave-{w['wave_id']}.json").exists()
        ]
        problems = check_manifest(folder, read) + check_designs(folder)
        data = read_cases(folder, codes)
    except (OSError, ValueError, KeyError) as error:
        say(f"Cannot read the bundle in {folder}: {error}")
        return 2
    check = Comparison(arguments.tolerance)
    check.problems += problems
    say(f"Reproducing Tables 1, 2 and 5 from {folder / 'data' / 'tidy.csv'}")
    say(f"pandas {pd.__version__}, statsmodels {sm.__version__}, numpy {np.__version__}")
    for wave in bundle["waves"]:
        say(f"Wave {wave['wave_id']} ({wave['wave']}, {wave['council']}):")
        if not wave.get("results"):
            say("  No finished analysis in results.json: nothing to compare.")
            continue
        try:
            reproduce_wave(check, data, wave, folder)
        except (KeyError, ValueError) as error:
            check.problems.append(f"wave {wave['wave_id']}: {error}")
    if check.problems:
        say(f"DISAGREE: {len(check.problems)} difference(s) beyond {arguments.tolerance:g}:")
        for problem in check.problems[:200]:
            say(f"  {problem}")
        return 1
    say(
        f"AGREE: all {check.numbers} numbers match results.json within "
        f"{arguments.tolerance:g} (largest difference {check.largest:.3g})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
