"""Robustness models against published references."""

from pathlib import Path

import pandas as pd
import pytest
import statsmodels

from analysis.robustness import fit_ordered_logit

UCLA = Path(statsmodels.__file__).parent / "miscmodels/tests/results/ologit_ucla.csv"


def test_ordered_logit_matches_r_mass_polr_on_the_ucla_data():
    # given the UCLA ordinal example shipped in the statsmodels wheel (400 students)
    data = pd.read_csv(UCLA)
    codes = data["apply"].map({"unlikely": 0, "somewhat likely": 1, "very likely": 2})

    # when apply is regressed on pared, public and gpa
    fit = fit_ordered_logit(codes, data[["pared", "public", "gpa"]])

    # then it matches the values R's MASS::polr prints, as published by UCLA's statistical
    # consulting group: coefficients, standard errors and the two cut points
    coefficients = fit["coefficients"]
    assert [coefficients[v]["estimate"] for v in ("pared", "public", "gpa")] == pytest.approx(
        [1.04769, -0.05879, 0.61594], abs=5e-4
    )
    assert [coefficients[v]["se"] for v in ("pared", "public", "gpa")] == pytest.approx(
        [0.2658, 0.2979, 0.2606], abs=5e-4
    )
    assert fit["cut_points"] == pytest.approx([2.2039, 4.2994], abs=1e-3)
    assert fit["n"] == 400
