"""Multiplicity families fixed by the plan: a wave's verdicts never change when it is pooled
with other waves (no database)."""

import numpy as np
import pandas as pd
import pytest
from django.utils import translation

from analysis.plan import AnalysisPlan
from analysis.report import build_report
from analysis.results import compute_results
from analysis.synthetic import STUDY_COUNCILS, generate_council, to_case_frame


def wave_frame(index: int, *, wave_id: int, seed: int) -> pd.DataFrame:
    spec = STUDY_COUNCILS[index]
    frame = to_case_frame(generate_council(spec, seed=seed), council=spec.council)
    # Members and themes of different councils never share ids in the platform.
    frame["response_id"] += 10_000 * wave_id
    frame["member_id"] += 10_000 * wave_id
    frame["theme_id"] += 100 * wave_id
    return frame.assign(wave_id=wave_id)


@pytest.fixture(scope="module")
def waves():
    return {
        "barnet": wave_frame(1, wave_id=1, seed=5),
        "swansea": wave_frame(4, wave_id=2, seed=7),
        "wolverhampton": wave_frame(3, wave_id=3, seed=9),
    }


def arm_terms(results: dict, *, cases) -> dict:
    return {
        (row["case"], row["outcome"], term["term"]): term
        for row in results["nudges"]["rows"]
        if row["case"] in cases
        for term in row.get("terms", [])
        if term["kind"] == "arm"
    }


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjustment, written out: p(i) × (m − i + 1), made monotone."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


@pytest.mark.parametrize("scope", ["case", "wave"])
def test_pooling_a_wave_with_others_leaves_its_adjusted_p_values_and_verdicts_alone(waves, scope):
    plan = AnalysisPlan(family_scope=scope)
    own = compute_results(waves["barnet"], plan=plan)
    pooled = compute_results(pd.concat(waves.values(), ignore_index=True), plan=plan)

    cases = {row["case"] for row in own["levels"]}
    mine, theirs = arm_terms(own, cases=cases), arm_terms(pooled, cases=cases)
    assert mine.keys() == theirs.keys()
    assert len(mine) == 12  # 2 cases × 2 indices × 3 contrasts
    for key, term in mine.items():
        assert theirs[key]["p_adjusted"] == pytest.approx(term["p_adjusted"], abs=1e-12)
        assert theirs[key]["family_size"] == term["family_size"]
    with translation.override("en"):
        own_sentences = {s["case"]: s["sentences"] for s in build_report(own)["summaries"]}
        pooled_sentences = {
            s["case"]: s["sentences"] for s in build_report(pooled, several_waves=True)["summaries"]
        }
    for case, sentences in own_sentences.items():
        assert pooled_sentences[case] == sentences


def test_the_default_confirmatory_family_is_each_cases_three_contrasts_on_the_collective_index(
    waves,
):
    results = compute_results(waves["barnet"], plan=AnalysisPlan())

    for row in results["nudges"]["rows"]:
        terms = [t for t in row["terms"] if t["kind"] == "arm"]
        raw = [t["p"] for t in terms]
        if row["outcome"] == "collective_any":
            assert {t["role"] for t in terms} == {"confirmatory"}
            assert [t["p_adjusted"] for t in terms] == pytest.approx(holm(raw))
        else:
            assert {t["role"] for t in terms} == {"exploratory"}
        assert {t["family_size"] for t in terms} == {3}
    factorial = [
        t for row in results["nudges"]["rows"] for t in row["terms"] if t["kind"] == "factorial"
    ]
    assert {t["p_adjusted"] for t in factorial} == {None}


def test_a_wave_family_spans_the_waves_cases_and_no_other_wave(waves):
    plan = AnalysisPlan(family_scope="wave")
    pooled = compute_results(
        pd.concat([waves["barnet"], waves["swansea"]], ignore_index=True), plan=plan
    )

    barnet_collective = [
        t
        for row in pooled["nudges"]["rows"]
        if row["wave_id"] == 1 and row["outcome"] == "collective_any"
        for t in row["terms"]
        if t["kind"] == "arm"
    ]
    assert {t["family_size"] for t in barnet_collective} == {6}  # two cases × three
    assert [t["p_adjusted"] for t in barnet_collective] == pytest.approx(
        holm([t["p"] for t in barnet_collective])
    )


def test_the_pooled_estimate_is_a_family_of_its_own(waves):
    results = compute_results(waves["barnet"], plan=AnalysisPlan())

    collective = next(p for p in results["nudges"]["pooled"] if p["outcome"] == "collective_any")
    assert [t["p_adjusted"] for t in collective["terms"]] == pytest.approx(
        holm([t["p"] for t in collective["terms"]])
    )
    assert np.all([t["role"] == "pooled" for t in collective["terms"]])
