"""Robustness models for the nudge effects: Lin adjustment, ordered and fractional logit.

Only pre-treatment covariates from the panel record are used for adjustment; attitudes
are answered after the nudge and would bias the estimates.
"""

import functools
import warnings

import numpy as np
import pandas as pd

from analysis.inference import NotEstimable, not_estimable, ols
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
        fit = ols(group[outcome], X, min_n=plan.min_respondents, alpha=plan.alpha)
    except NotEstimable as error:
        return not_estimable(str(error))
    return {
        "terms": [
            {
                "term": TREATMENT_TERMS[a],
                "estimate": fit.get(f"arm_{a}").estimate,
                "se": fit.get(f"arm_{a}").se,
                "p": fit.get(f"arm_{a}").p,
            }
            for a in TREATMENTS
        ],
        "covariates": list(covariates.columns),
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
        "n": len(y),
    }


def ordered_logit(group: pd.DataFrame) -> dict:
    """Ordered logit of the collective score (never/sometimes/often) on the arm dummies."""
    data = group[["collective_score", "arm"]].dropna()
    if data["collective_score"].nunique() < 3:
        return not_estimable("fewer than three observed categories of the collective score")
    X = arm_dummies(data["arm"]).drop(columns="const")
    if (X.sum() == 0).any():
        return not_estimable("an empty arm")
    fit = fit_ordered_logit(data["collective_score"].astype(int), X)
    return {
        "terms": [
            {
                "term": TREATMENT_TERMS[a],
                "log_odds": fit["coefficients"][f"arm_{a}"]["estimate"],
                "se": fit["coefficients"][f"arm_{a}"]["se"],
                "p": fit["coefficients"][f"arm_{a}"]["p"],
            }
            for a in TREATMENTS
        ]
    }


def fractional_logit(group: pd.DataFrame) -> dict:
    """Papke–Wooldridge fractional logit of the individual index on the arm dummies (HC0)."""
    import statsmodels.api as sm

    data = group[["individual", "arm"]].dropna()
    X = arm_dummies(data["arm"])
    if (X.drop(columns="const").sum() == 0).any():
        return not_estimable("an empty arm")
    y = data["individual"].to_numpy(float)
    if np.ptp(y) == 0:
        return not_estimable("the outcome is constant")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sm.GLM(y, X, family=sm.families.Binomial()).fit(cov_type="HC0")
    return {
        "terms": [
            {
                "term": TREATMENT_TERMS[a],
                "log_odds": float(result.params[f"arm_{a}"]),
                "se": float(result.bse[f"arm_{a}"]),
                "p": float(result.pvalues[f"arm_{a}"]),
            }
            for a in TREATMENTS
        ]
    }
