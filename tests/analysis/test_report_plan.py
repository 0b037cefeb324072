"""The report is written from the analysis plan: a non-default plan changes every sentence
it affects, and the intervals follow the plan's level (no database)."""

import math
import re
from html import unescape
from types import SimpleNamespace

import pandas as pd
import pytest
from django.template.loader import render_to_string
from django.utils import translation
from scipy import stats

from analysis.plan import AnalysisPlan
from analysis.report import build_report, num, pct, points
from analysis.results import compute_results
from analysis.synthetic import STUDY_COUNCILS, generate_council, to_case_frame

NON_DEFAULT = AnalysisPlan(
    index_min_answered_share=0.75,
    collective_coding="frequency",
    time_threshold_code=4,
    min_per_group=25,
    alpha=0.01,
    ci_level=0.90,
    star_levels=(0.001, 0.01, 0.05),
    power=0.90,
    confirmatory_adjustment="bonferroni",
    exploratory_adjustment="bonferroni",
)


@pytest.fixture(scope="module")
def barnet() -> pd.DataFrame:
    """Barnet's synthetic wave: two experiment cases, time given now and more."""
    spec = STUDY_COUNCILS[1]
    return to_case_frame(generate_council(spec, seed=5), council=spec.council)


def page_text(results: dict) -> str:
    """Render the whole results page of these results and return its visible text."""
    with translation.override("en"):
        report = build_report(results)
        html = render_to_string(
            "analysis/results.html",
            {
                "report": report,
                "run": SimpleNamespace(
                    results=results,
                    finished_at=None,
                    plan_hash="p" * 64,
                    design_hash="d" * 64,
                    input_hash="i" * 64,
                    software={},
                    wave_ids=[1],
                ),
                "heading": "Barnet",
                "language": "en",
                "standalone": True,
                "wave_entries": [],
                "arm_labels": {},
            },
        )
    text = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())


def test_a_non_default_plan_changes_every_sentence_it_affects(barnet):
    default = page_text(compute_results(barnet, plan=AnalysisPlan()))
    changed = page_text(compute_results(barnet, plan=NON_DEFAULT))

    said_by_default = {
        "at least half of the activities": "at least 75% of the activities",
        "95% CI": "90% CI",
        "95% confidence intervals": "90% confidence intervals",
        "at least a few hours a month": "at least a few hours a week",
        "adjusted with Holm": "adjusted with Bonferroni",
        "Benjamini–Hochberg": "Bonferroni",
        "80% power": "90% power",
        "Stars: ** p < .01, * p < .05": "Stars: *** p < .001, ** p < .01, * p < .05",
        "two-sided at .05": "two-sided at .01",
        "adjusted p-value is below .05": "adjusted p-value is below .01",
        "With fewer than 20 answers": "With fewer than 25 answers",
        "code the collective index as often or sometimes vs never": (
            "code the collective index as frequency score"
        ),
        "Table 4. Correlates of the collective index (often or sometimes vs never)": (
            "Table 4. Correlates of the collective index (frequency score"
        ),
    }
    for before, after in said_by_default.items():
        assert before in default, before
        assert before not in changed, before
        assert after in changed, after
    for phrase in ("95%", "Holm", "80%", "at least half", "a few hours a month"):
        assert phrase not in changed, phrase


def test_the_intervals_follow_the_plans_level(barnet):
    results = compute_results(barnet, plan=NON_DEFAULT)

    row = results["levels"][0]
    case = barnet.assign(case=barnet["council"] + " — " + barnet["theme"])
    answers = case.loc[case["case"] == row["case"], "collective"].dropna()
    # Wilson score interval at 90 %, in closed form
    n, share = len(answers), float((answers <= 2).mean())
    z = stats.norm.ppf(0.95)
    centre = (share + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(share * (1 - share) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert row["collective_any"]["low"] == pytest.approx(centre - half, abs=1e-12)
    assert row["collective_any"]["high"] == pytest.approx(centre + half, abs=1e-12)
    # and the nudge intervals are t intervals at 90 %
    term = results["nudges"]["rows"][0]["terms"][0]
    t = stats.t.ppf(0.95, term["df"])
    assert term["high"] - term["low"] == pytest.approx(2 * t * term["se"])


def test_the_other_collective_coding_is_shown_as_a_robustness_row(barnet):
    results = compute_results(barnet, plan=AnalysisPlan())

    with translation.override("en"):
        report = build_report(results)

    assert {row["outcome"] for row in results["nudges"]["rows"]} == {
        "individual",
        "collective_any",
    }
    assert {row["outcome"] for row in results["nudges_other_coding"]["rows"]} == {
        "collective_frequency"
    }
    assert report["nudges_other_coding"][0]["outcome"] == "Collective index (frequency score)"
    assert report["coding_robustness"][0]["label"] == "Self-efficacy"


def test_every_share_difference_is_shown_in_points_with_its_interval(barnet):
    results = compute_results(barnet, plan=AnalysisPlan())

    with translation.override("en"):
        report = build_report(results)

    pooled = [row for row in report["pooled"] if not row["na"]]
    assert pooled
    for row in pooled + report["robustness"]:
        for cell in row.get("cells", [row]):
            text = cell.get("text", cell.get("effect"))
            assert re.fullmatch(r"(0\.0|[+−]\d+\.\d)\**", text), text
            assert re.fullmatch(r"\[(0\.0|[+−]\d+\.\d), (0\.0|[+−]\d+\.\d)\]", cell["ci"])


@pytest.mark.parametrize(
    ("value", "shown"),
    [(-0.0004, "0.00"), (-0.004, "0.00"), (-0.006, "−0.01"), (0.0, "0.00"), (0.013, "0.01")],
)
def test_minus_zero_is_shown_as_zero(value, shown):
    assert num(value) == shown


def test_minus_zero_points_and_shares_are_unsigned():
    assert points(-0.0004) == "0.0"
    assert points(0.0004) == "0.0"
    assert pct(-0.001) == "0%"


def test_a_run_stored_before_the_plan_wrote_the_report_still_renders(barnet):
    # given the results of an older run: no case labels, analysed n, families or plan keys
    results = compute_results(barnet, plan=AnalysisPlan())
    results.pop("case_labels")
    results["plan"] = {"alpha": 0.05}
    for row in results["nudges"]["rows"]:
        row.pop("analysed_n")
        for term in row["terms"]:
            for key in ("role", "family", "family_size"):
                term.pop(key, None)
    for key in ("correlates_collective_other", "nudges_other_coding"):
        results.pop(key)

    text = page_text(results)

    assert "Table 5. Effects of the nudges" in text
    assert "Definitions used" in text
    assert "computed before the plan fixed its families" in text
