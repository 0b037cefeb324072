"""Compute every table of a wave from its frames: the single entry point of a run."""

import time

import pandas as pd
from threadpoolctl import threadpool_limits

from analysis import diagnostics, indices, robustness, tables
from analysis.plan import AnalysisPlan

ATTITUDES_NOTE = (
    "Attitudes (self-efficacy, satisfaction, conditions) are answered after the nudge, so "
    "they are never used as covariates for nudge effects; adjustment uses only the panel's "
    "pre-treatment record."
)


def compute_results(
    raw: pd.DataFrame,
    *,
    plan: AnalysisPlan,
    flow: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
    quality: pd.DataFrame | None = None,
    recall: pd.DataFrame | None = None,
) -> dict:
    """Return all tables of the wave as plain, JSON-safe values, with timings.

    The models have a handful of columns: one BLAS thread is much faster for them than
    several threads contending for the worker's cores (about 15× on two busy cores).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _compute_results(
            raw, plan=plan, flow=flow, items=items, quality=quality, recall=recall
        )


def _compute_results(
    raw: pd.DataFrame,
    *,
    plan: AnalysisPlan,
    flow: pd.DataFrame | None,
    items: pd.DataFrame | None,
    quality: pd.DataFrame | None,
    recall: pd.DataFrame | None,
) -> dict:
    started = time.perf_counter()
    frame = indices.prepare(raw, plan)
    prepared = time.perf_counter()
    results = {
        "plan": plan.to_dict(),
        "plan_hash": plan.plan_hash,
        "n_rows": len(frame),
        "n_respondents": int(frame["response_id"].nunique()),
        "case_labels": case_labels(frame),
        "cases": indices.case_summaries(frame, plan) if len(frame) else [],
        "levels": tables.table_levels(frame, plan),
        "time": tables.table_time(frame, plan),
        "correlates_individual": tables.table_correlates(frame, plan, index="individual"),
        "correlates_collective": tables.table_correlates(frame, plan, index=plan.collective_column),
        # The other coding of the collective index, reported beside the plan's.
        "correlates_collective_other": tables.table_correlates(
            frame, plan, index=plan.other_collective_column
        ),
        "nudges": tables.table_nudges(frame, plan),
        "nudges_other_coding": tables.table_nudges(
            frame, plan, outcomes=(plan.other_collective_column,), pooled=False
        ),
        "missingness": diagnostics.missingness_by_arm(frame),
        "notes": [ATTITUDES_NOTE],
    }
    fitted = time.perf_counter()
    results["robustness"] = _robustness(frame, plan)
    results["randomisation_inference"] = _randomisation_inference(frame, plan)
    if flow is not None:
        results["consort"] = diagnostics.consort_flow(flow, frame)
        results["balance"] = diagnostics.balance(
            flow, draws=min(plan.ri_draws, 500), seed=plan.ri_seed
        )
    if items is not None:
        results["reliability"] = diagnostics.reliability_by_case(items)
    if quality is not None:
        results.update(quality_sensitivity(frame, quality, plan))
    if recall is not None and len(recall):
        results["nudges_per_protocol"] = per_protocol_nudges(frame, recall, plan)
    finished = time.perf_counter()
    results["timings_seconds"] = {
        "indices": round(prepared - started, 4),
        "tables": round(fitted - prepared, 4),
        "robustness_and_diagnostics": round(finished - fitted, 4),
    }
    return tables.nan_to_none(results)


def case_labels(frame: pd.DataFrame) -> dict[str, dict]:
    """Return each case's council, theme (English and Welsh) and wave, for the report's labels."""
    labels = {}
    for case, group in frame.groupby("case", sort=True):
        first = group.iloc[0]
        theme_cy = first.get("theme_cy") if "theme_cy" in group.columns else None
        labels[str(case)] = {
            "council": str(first["council"]),
            "theme": str(first["theme"]),
            "theme_cy": str(theme_cy) if isinstance(theme_cy, str) and theme_cy else "",
            "wave_id": tables.wave_of(group),
        }
    return labels


def _robustness(frame: pd.DataFrame, plan) -> list[dict]:
    rows = []
    for case, group in tables.experiment_cases(frame):
        rows.append(
            {
                "case": case,
                "lin_individual": robustness.lin_adjusted(group, "individual", plan),
                "lin_collective": robustness.lin_adjusted(group, plan.collective_column, plan),
                "ordered_logit_collective": _guard(robustness.ordered_logit, group, plan),
                "fractional_logit_individual": _guard(robustness.fractional_logit, group, plan),
            }
        )
    return rows


def _guard(function, group, plan):
    try:
        return function(group, plan)
    except Exception as error:  # a robustness model must never sink the run
        return {"not_estimable": f"not estimable: {type(error).__name__}: {error}"}


def _randomisation_inference(frame: pd.DataFrame, plan) -> list[dict]:
    """Randomisation-inference p-values for the cases small enough to need them."""
    rows = []
    for case, group in tables.experiment_cases(frame):
        if len(group) > plan.ri_max_n:
            continue
        for outcome in plan.outcomes:
            for arm in tables.TREATMENTS:
                rows.append(
                    {
                        "case": case,
                        "outcome": outcome,
                        "term": tables.TREATMENT_TERMS[arm],
                        "p": diagnostics.randomisation_p(
                            group[outcome],
                            group["arm"],
                            treated=arm,
                            draws=plan.ri_draws,
                            seed=plan.ri_seed,
                        ),
                    }
                )
    return rows


def quality_sensitivity(frame: pd.DataFrame, flags: pd.DataFrame, plan) -> dict:
    """Return the flag counts and table 5 again without the flagged case rows.

    `flags` comes from `analysis.quality.quality_flags`; nothing is dropped from the main
    tables, the sensitivity variant sits beside them.
    """
    from analysis.quality import flag_summary

    keyed = frame.merge(
        flags[["response_id", "theme_id", "flagged"]], on=["response_id", "theme_id"], how="left"
    )
    flagged = keyed["flagged"].fillna(False).astype(bool).to_numpy()
    kept = frame[~flagged]
    return {
        "quality": flag_summary(flags),
        "nudges_excluding_flagged": {
            **tables.table_nudges(kept, plan, pooled=False),
            "excluded_rows": int(flagged.sum()),
            "label": "Sensitivity: excluding flagged responses",
        },
    }


PER_PROTOCOL_LABEL = (
    "Per-protocol, not randomised: only respondents who recalled the information box they "
    "were shown (no box for the no-nudge group). Who recalls correctly may differ between "
    "groups, so these estimates are not protected by the random allocation; the "
    "intention-to-treat table above is the primary result."
)


def per_protocol_nudges(frame: pd.DataFrame, recall: pd.DataFrame, plan) -> dict:
    """Return table 5 among the case rows whose manipulation check named their own arm."""
    keyed = frame.merge(recall, on=["response_id", "theme_id"], how="left")
    recalled_own = (keyed["recalled"] == keyed["arm"]).to_numpy()
    asked = int(keyed["recalled"].notna().sum())
    return {
        **tables.table_nudges(frame[recalled_own], plan, pooled=False),
        "asked_rows": asked,
        "recalled_rows": int(recalled_own.sum()),
        "label": PER_PROTOCOL_LABEL,
    }
