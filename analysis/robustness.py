"""Robustness models for the nudge effects: Lin adjustment, ordered and fractional logit.

Only pre-treatment covariates from the panel record are used for adjustment; attitudes
are answered after the nudge and would bias the estimates.
"""

import functools
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from analysis.inference import NotEstimable, not_estimable, ols, reason
from analysis.tables import TREATMENT_TERMS, TREATMENTS, arm_dummies

PRE_TREATMENT = ("panel_age_band", "panel_gender")


def lin_adjusted(group: pd.DataFrame, outcome: str, plan) -> dict:
    """Lin (2013): arm dummies, centred pre-treatment covariates and their interactions, HC2."""
    X = arm_dummies(group["arm"])
    covariates = pd.concat(
        [
            pd.get_dummies(
                group[c].fillna("").replace("", "(unknown)"), prefix=c, drop_first=True, dtype=float
            )
            for c in PRE_TREATMENT
        ],
        axis=1,
    )
    covariates = covariates.loc[:, covariates.std() > 0]
    centred = covariates - covariates.mean()
    for column in centred.columns:
        X[column] = centred[column]
        for arm in TREATMENTS:
            X[f"{column}×{arm}"] = centred[column] * X[f"arm_{arm}"]
    try:
        fit = ols(group[outcome], X, min_n=plan.min_respondents, alpha=plan.interval_alpha)
    except NotEstimable as error:
        return not_estimable(str(error))
    return {
        "terms": [
            {
                "term": TREATMENT_TERMS[a],
                "estimate": fit.get(f"arm_{a}").estimate,
                "se": fit.get(f"arm_{a}").se,
                "p": fit.get(f"arm_{a}").p,
                "low": fit.get(f"arm_{a}").low,
                "high": fit.get(f"arm_{a}").high,
            }
            for a in TREATMENTS
        ],
        "covariates": list(covariates.columns),
    }


def _expit(x):
    return 1 / (1 + np.exp(-x))


def delta_effect(function, params: np.ndarray, cov: np.ndarray, *, alpha: float) -> dict:
    """Return function(params) with its delta-method standard error, p and interval.

    The gradient is taken by central differences; the normal reference fits the
    maximum-likelihood models it serves.
    """
    estimate = float(function(params))
    gradient = np.zeros(len(params))
    for i in range(len(params)):
        step = np.zeros(len(params))
        step[i] = 1e-6
        gradient[i] = (function(params + step) - function(params - step)) / 2e-6
    se = float(np.sqrt(gradient @ cov @ gradient))
    z = float(stats.norm.ppf(1 - alpha / 2))
    p = float(2 * stats.norm.sf(abs(estimate / se))) if se > 0 else float("nan")
    return {
        "estimate": estimate,
        "se": se,
        "p": p,
        "low": estimate - z * se,
        "high": estimate + z * se,
    }


@functools.cache
def _counted_ordered_model():
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    class CountedOrderedModel(OrderedModel):
        """A proportional-odds logit of patterns, each weighing as often as it occurs."""

        def __init__(self, endog, exog, *, counts):
            super().__init__(endog, exog, distr="logit")
            self.counts = counts

        def loglike(self, params):
            return float(np.dot(self.counts, self.loglikeobs(params)))

        @property
        def start_params(self):
            # As OrderedModel's, from the category shares of all observations.
            freq = np.bincount(self.endog, weights=self.counts) / self.counts.sum()
            start_ppf = self.distr.ppf(np.clip(freq.cumsum(), 0, 1))
            start_threshold = self.transform_reverse_threshold_params(start_ppf)
            return np.concatenate((np.zeros(self.k_vars), start_threshold))

    return CountedOrderedModel


def _counted_model(endog, exog, *, counts):
    """Build the counted model (its class is made on first use, importing statsmodels)."""
    return _counted_ordered_model()(endog, exog, counts=counts)


def fit_ordered_logit(y: pd.Series, X: pd.DataFrame) -> dict:
    """Fit a proportional-odds logit (as R's MASS::polr) and return plain values.

    `y` holds ordered integer codes; X has no constant. Cut points are returned on polr's
    scale: logit P(Y ≤ j) = ζ_j − Xβ.
    """
    # The likelihood only depends on how often each (y, X) pattern occurs: with arm
    # dummies there are at most 4 × categories patterns, so fitting the counted patterns
    # gives the estimates of the full data at a cost that does not grow with n.
    cells = X.assign(__y=np.asarray(y)).value_counts(sort=False).reset_index(name="__n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = _counted_model(
            cells["__y"], cells[list(X.columns)], counts=cells["__n"].to_numpy(float)
        )
        result = model.fit(method="bfgs", disp=False, maxiter=2000, gtol=1e-8)
    k = X.shape[1]
    raw = np.asarray(result.params)[k:]
    cuts = np.concatenate([[raw[0]], raw[0] + np.cumsum(np.exp(raw[1:]))])
    return {
        "coefficients": {
            str(name): {
                "estimate": float(result.params[name]),
                "se": float(result.bse[name]),
                "p": float(result.pvalues[name]),
            }
            for name in X.columns
        },
        "cut_points": [float(c) for c in cuts],
        # The model's own parameters (first cut, then log increments) and their covariance.
        "raw_thresholds": [float(r) for r in raw],
        "cov": np.asarray(result.cov_params(), dtype=float),
        "n": len(y),
    }


def ordered_logit(group: pd.DataFrame, plan) -> dict:
    """Ordered logit of the collective score (never/sometimes/often) on the arm dummies.

    Each arm's effect is reported on the plan's collective index, in points: the change
    in the share joining often or sometimes, P(score ≥ 1), or for the frequency coding in
    the expected score over 2, (P(score ≥ 1) + P(score ≥ 2)) / 2, with delta-method
    intervals; the log-odds ratios stay beside them.
    """
    data = group[["collective_score", "arm"]].dropna()
    if data["collective_score"].nunique() < 3:
        return not_estimable(reason("few_categories"))
    X = arm_dummies(data["arm"]).drop(columns="const")
    if (X.sum() == 0).any():
        return not_estimable(reason("an_empty_arm"))
    fit = fit_ordered_logit(data["collective_score"].astype(int), X)
    columns = list(X.columns)
    params = np.array([fit["coefficients"][c]["estimate"] for c in columns] + fit["raw_thresholds"])
    k = len(columns)

    def index_share(values: np.ndarray, column: str | None) -> float:
        beta = values[columns.index(column)] if column else 0.0
        cuts = np.concatenate([[values[k]], values[k] + np.cumsum(np.exp(values[k + 1 :]))])
        above = _expit(beta - cuts)  # P(score > j) for j = 0, 1
        return float(above[0] if plan.collective_coding == "any" else above.mean())

    terms = []
    for a in TREATMENTS:
        effect = delta_effect(
            lambda v, a=a: index_share(v, f"arm_{a}") - index_share(v, None),
            params,
            fit["cov"],
            alpha=plan.interval_alpha,
        )
        terms.append(
            {
                "term": TREATMENT_TERMS[a],
                **effect,
                "log_odds": fit["coefficients"][f"arm_{a}"]["estimate"],
                "log_odds_se": fit["coefficients"][f"arm_{a}"]["se"],
                "log_odds_p": fit["coefficients"][f"arm_{a}"]["p"],
            }
        )
    return {"terms": terms, "scale": plan.collective_column}


def fractional_logit(group: pd.DataFrame, plan) -> dict:
    """Papke–Wooldridge fractional logit of the individual index on the arm dummies (HC0).

    Each arm's effect is the change in the predicted mean, in points, with a
    delta-method interval; with arm dummies only the model is saturated, so the estimate
    is the difference in means and only the inference differs from table 5.
    """
    import statsmodels.api as sm

    data = group[["individual", "arm"]].dropna()
    X = arm_dummies(data["arm"])
    if (X.drop(columns="const").sum() == 0).any():
        return not_estimable(reason("an_empty_arm"))
    y = data["individual"].to_numpy(float)
    if np.ptp(y) == 0:
        return not_estimable(reason("constant_outcome"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sm.GLM(y, X, family=sm.families.Binomial()).fit(cov_type="HC0")
    columns = list(X.columns)
    params = np.asarray(result.params, dtype=float)
    cov = np.asarray(result.cov_params(), dtype=float)

    def mean_of(values: np.ndarray, column: str | None) -> float:
        beta = values[columns.index(column)] if column else 0.0
        return float(_expit(values[columns.index("const")] + beta))

    terms = []
    for a in TREATMENTS:
        effect = delta_effect(
            lambda v, a=a: mean_of(v, f"arm_{a}") - mean_of(v, None),
            params,
            cov,
            alpha=plan.interval_alpha,
        )
        terms.append(
            {
                "term": TREATMENT_TERMS[a],
                **effect,
                "log_odds": float(result.params[f"arm_{a}"]),
                "log_odds_se": float(result.bse[f"arm_{a}"]),
                "log_odds_p": float(result.pvalues[f"arm_{a}"]),
            }
        )
    return {"terms": terms}
