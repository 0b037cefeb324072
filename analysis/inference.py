"""Statistical primitives: intervals, tests, robust regressions, multiplicity and power.

Every function takes plain arrays or frames and returns plain values or frozen
dataclasses, so nothing from statsmodels is ever stored.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


class NotEstimable(Exception):
    """The quantity cannot be estimated from these data; the message says why."""


# Every reason a quantity is not estimable or not testable, in the English stored with
# the results; the report translates each one by its template (`analysis.report`).
REASONS = {
    "few_answers": "fewer than {min} answers ({n})",
    "no_answers": "no answers",
    "few_pairs": "fewer than {min} pairs ({n})",
    "constant_difference": "the paired difference is constant",
    "no_pairs": "no one answered both questions",
    "constant_variable": "a constant variable",
    "few_respondents": "fewer than {min} respondents ({n})",
    "constant_outcome": "the outcome is constant",
    "no_variation": "no variation in {column} (an empty group?)",
    "collinear": "perfect collinearity among the regressors",
    "no_df": "no residual degrees of freedom",
    "se_not_finite": "the standard errors are not finite (a cell with one observation?)",
    "empty_reference": "the reference arm (none) is empty",
    "empty_arm": "empty arm: {arms}",
    "an_empty_arm": "an empty arm",
    "no_testable_correlate": "no testable correlate",
    "few_categories": "fewer than three observed categories of the collective score",
    "one_arm": "only one arm was assigned",
    "few_activities": "fewer than two activities",
    "few_answer_sets": "fewer than 10 complete answer sets ({n})",
    "same_total": "every respondent has the same total",
    "few_in_category": "{n} respondents in a category (< {min})",
    "few_testable": "{n} respondents (< {min})",
}


def reason(code: str, **params) -> str:
    """Return the English reason of this code with its numbers filled in."""
    return REASONS[code].format(**params)


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class TestResult:
    estimate: float
    statistic: float
    p: float
    n: int
    low: float | None = None
    high: float | None = None
    method: str = ""


@dataclass(frozen=True)
class Coefficient:
    term: str
    estimate: float
    se: float
    t: float
    p: float
    low: float
    high: float
    df: float


@dataclass(frozen=True)
class Fit:
    coefficients: tuple[Coefficient, ...]
    n: int
    df_resid: float
    r_squared: float | None
    cov_type: str

    def get(self, term: str) -> Coefficient:
        for coefficient in self.coefficients:
            if coefficient.term == term:
                return coefficient
        raise KeyError(term)


def not_estimable(reason: str) -> dict:
    return {"not_estimable": f"not estimable: {reason}"}


def t_interval(values, *, alpha: float = 0.05) -> Interval:
    """Return the mean with its t interval."""
    x = np.asarray(pd.Series(values).dropna(), dtype=float)
    n = len(x)
    if n < 2:
        raise NotEstimable(reason("few_answers", min=2, n=n))
    mean = float(x.mean())
    se = float(x.std(ddof=1) / math.sqrt(n))
    half = float(stats.t.ppf(1 - alpha / 2, n - 1)) * se
    return Interval(mean, mean - half, mean + half, n)


def wilson_interval(successes: int, n: int, *, alpha: float = 0.05) -> Interval:
    """Return a proportion with its Wilson score interval."""
    if n == 0:
        raise NotEstimable(reason("no_answers"))
    z = float(stats.norm.ppf(1 - alpha / 2))
    p = successes / n
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), n)


def proportion(values, *, alpha: float = 0.05) -> Interval:
    x = pd.Series(values).dropna()
    return wilson_interval(int((x == 1).sum()), len(x), alpha=alpha)


def paired_difference(first, second, *, alpha: float = 0.05) -> TestResult:
    """Paired t test of first − second on the rows where both are known."""
    pair = pd.DataFrame({"a": np.asarray(first, float), "b": np.asarray(second, float)}).dropna()
    n = len(pair)
    if n < 2:
        raise NotEstimable(reason("few_pairs", min=2, n=n))
    d = (pair["a"] - pair["b"]).to_numpy()
    mean = float(d.mean())
    sd = float(d.std(ddof=1))
    if sd == 0:
        raise NotEstimable(reason("constant_difference"))
    se = sd / math.sqrt(n)
    t = mean / se
    p = float(2 * stats.t.sf(abs(t), n - 1))
    half = float(stats.t.ppf(1 - alpha / 2, n - 1)) * se
    return TestResult(mean, t, p, n, mean - half, mean + half, "paired t test")


def mcnemar(first, second) -> TestResult:
    """McNemar's exact test that two paired 0/1 variables have the same share."""
    pair = pd.DataFrame({"a": np.asarray(first, float), "b": np.asarray(second, float)}).dropna()
    n = len(pair)
    if n == 0:
        raise NotEstimable(reason("no_pairs"))
    only_first = int(((pair["a"] == 1) & (pair["b"] == 0)).sum())
    only_second = int(((pair["a"] == 0) & (pair["b"] == 1)).sum())
    discordant = only_first + only_second
    p = 1.0 if discordant == 0 else float(stats.binomtest(only_first, discordant, 0.5).pvalue)
    return TestResult(
        float(pair["a"].mean() - pair["b"].mean()),
        float(discordant),
        p,
        n,
        method=f"McNemar exact test ({only_first} vs {only_second} discordant)",
    )


def pearson(x, y) -> TestResult:
    pair = pd.DataFrame({"x": np.asarray(x, float), "y": np.asarray(y, float)}).dropna()
    n = len(pair)
    if n < 3:
        raise NotEstimable(reason("few_pairs", min=3, n=n))
    if pair["x"].nunique() < 2 or pair["y"].nunique() < 2:
        raise NotEstimable(reason("constant_variable"))
    r, p = stats.pearsonr(pair["x"], pair["y"])
    return TestResult(float(r), float(r), float(p), n, method="Pearson r")


def stars(p: float | None, levels: tuple[float, ...] = (0.01, 0.05)) -> str:
    """Return one star per level the p-value is below (the paper's ** .01, * .05).

    The report uses one convention throughout, the analysis plan's `star_levels`.
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "*" * sum(p < level for level in levels)


def ols(
    y,
    X: pd.DataFrame,
    *,
    cov_type: str = "HC2",
    groups=None,
    alpha: float = 0.05,
    min_n: int = 10,
    contrasts: dict[str, dict[str, float]] | None = None,
) -> Fit:
    """Fit OLS of y on X (X includes the constant) and return plain coefficients.

    HC2 with t inference by default; `cov_type="cluster"` with `groups` for errors
    clustered by respondent. Raise NotEstimable for degenerate data.
    """
    import statsmodels.api as sm

    data = pd.concat([pd.Series(np.asarray(y, float), index=X.index, name="__y"), X], axis=1)
    if groups is not None:
        data["__g"] = np.asarray(groups)
    data = data.dropna()
    n = len(data)
    if n < min_n:
        raise NotEstimable(reason("few_respondents", min=min_n, n=n))
    yv = data["__y"].to_numpy()
    if np.ptp(yv) == 0:
        raise NotEstimable(reason("constant_outcome"))
    Xv = data[X.columns].astype(float)
    for column in X.columns:
        if column != "const" and Xv[column].nunique() < 2:
            raise NotEstimable(reason("no_variation", column=column))
    # The rank of X'X (k × k) equals that of X and is far cheaper than an SVD of X.
    matrix = Xv.to_numpy()
    if np.linalg.matrix_rank(matrix.T @ matrix) < Xv.shape[1]:
        raise NotEstimable(reason("collinear"))
    if n <= Xv.shape[1]:
        raise NotEstimable(reason("no_df"))
    model = sm.OLS(yv, Xv)
    # QR instead of the default pseudo-inverse: the same estimates without an SVD of X.
    if cov_type == "cluster":
        result = model.fit(
            method="qr",
            cov_type="cluster",
            cov_kwds={"groups": data["__g"].to_numpy()},
            use_t=True,
        )
    else:
        result = model.fit(method="qr", cov_type=cov_type, use_t=True)
    if not np.all(np.isfinite(result.bse)):
        raise NotEstimable(reason("se_not_finite"))
    df = float(result.df_resid)
    if cov_type == "cluster":
        df = float(len(np.unique(data["__g"])) - 1)
    conf = np.asarray(result.conf_int(alpha=alpha))
    coefficients = [
        Coefficient(
            term=str(name),
            estimate=float(result.params.iloc[i]),
            se=float(result.bse.iloc[i]),
            t=float(result.tvalues.iloc[i]),
            p=float(result.pvalues.iloc[i]),
            low=float(conf[i, 0]),
            high=float(conf[i, 1]),
            df=df,
        )
        for i, name in enumerate(Xv.columns)
    ]
    for name, weights in (contrasts or {}).items():
        vector = np.array([weights.get(column, 0.0) for column in Xv.columns])
        test = result.t_test(vector)
        ci = np.asarray(test.conf_int(alpha=alpha)).ravel()
        coefficients.append(
            Coefficient(
                term=name,
                estimate=float(np.asarray(test.effect).ravel()[0]),
                se=float(np.asarray(test.sd).ravel()[0]),
                t=float(np.asarray(test.tvalue).ravel()[0]),
                p=float(np.asarray(test.pvalue).ravel()[0]),
                low=float(ci[0]),
                high=float(ci[1]),
                df=df,
            )
        )
    return Fit(
        coefficients=tuple(coefficients),
        n=n,
        df_resid=df,
        r_squared=float(result.rsquared),
        cov_type=cov_type,
    )


ADJUSTMENT_NAMES = {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg", "bonferroni": "Bonferroni"}


def adjust_pvalues(pvalues, *, method: str) -> list[float]:
    """Return Holm, Benjamini–Hochberg or Bonferroni adjusted p-values, in the input order."""
    p = np.asarray(list(pvalues), dtype=float)
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p, kind="mergesort")
    ranked = p[order]
    if method == "holm":
        adjusted = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif method == "fdr_bh":
        adjusted = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    elif method == "bonferroni":
        adjusted = m * ranked
    else:
        raise ValueError(f"Unknown adjustment {method!r}; use 'holm', 'fdr_bh' or 'bonferroni'.")
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return [float(v) for v in out]


def minimum_detectable_effect(
    se: float, *, df: float, alpha: float = 0.05, power: float = 0.80
) -> float:
    """Return the effect a two-sided test of this standard error detects with this power."""
    return float((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * se)


def power_two_sample_t(d: float, n1: int, n2: int, *, alpha: float = 0.05) -> float:
    """Return the power of a two-sided two-sample t test for standardised effect d."""
    df = n1 + n2 - 2
    noncentrality = d * math.sqrt(n1 * n2 / (n1 + n2))
    critical = stats.t.ppf(1 - alpha / 2, df)
    return float(
        stats.nct.sf(critical, df, noncentrality) + stats.nct.cdf(-critical, df, noncentrality)
    )
