"""The manipulation check: asked only when the wave has it; analysed per protocol."""

import numpy as np
import pandas as pd
import pytest

from analysis.plan import AnalysisPlan
from analysis.results import PER_PROTOCOL_LABEL, per_protocol_nudges
from experiments.forms import ThemePageForm
from tests.experiments.test_forms import PAGE, VALID


def test_the_check_is_not_asked_unless_the_wave_turns_it_on():
    assert "recalled_nudge" not in ThemePageForm(VALID, page=PAGE).fields


def test_the_check_must_be_answered_when_asked_and_is_returned_with_the_answers():
    missing = ThemePageForm(VALID, page=PAGE, manipulation_check=True)
    answered = ThemePageForm({**VALID, "recalled_nudge": "b"}, page=PAGE, manipulation_check=True)

    assert not missing.is_valid()
    assert missing.errors["recalled_nudge"] == [
        "Select what the information box said, or that you do not remember"
    ]
    assert answered.is_valid(), answered.errors
    assert answered.theme_answers().recalled_nudge == "b"
    assert [code for code, _ in answered.fields["recalled_nudge"].choices] == [
        "a",
        "b",
        "ab",
        "none",
        "unsure",
    ]


def test_the_per_protocol_table_keeps_only_those_who_recalled_their_own_box():
    # given 40 respondents per arm; in each arm the first 30 recalled their own box and
    # the last 10 did not. Recallers' individual index: none 0.40, A only 0.55;
    # non-recallers all 0.90 (so including them would change the estimate).
    rng = np.random.default_rng(1)
    rows, recall = [], []
    response_id = 0
    for arm, recaller_mean in (("none", 0.40), ("a", 0.55), ("b", 0.45), ("ab", 0.60)):
        for i in range(40):
            response_id += 1
            noise = rng.normal(0, 0.05)
            value = (recaller_mean if i < 30 else 0.90) + noise
            rows.append(
                {
                    "response_id": response_id,
                    "member_id": response_id,
                    "theme_id": 7,
                    "case": "Swansea — Environment",
                    "arm": arm,
                    "individual": value,
                    "collective_any": float(i % 2),
                }
            )
            recall.append(
                {"response_id": response_id, "theme_id": 7, "recalled": arm if i < 30 else "unsure"}
            )
    frame = pd.DataFrame(rows)

    # when the per-protocol table is computed
    table = per_protocol_nudges(frame, pd.DataFrame(recall), AnalysisPlan())

    # then it uses the 120 recallers only, and the A-only estimate is their difference in means
    kept = frame[[r["recalled"] == r_arm for r, r_arm in zip(recall, frame["arm"], strict=True)]]
    means = kept.groupby("arm")["individual"].mean()
    row = next(r for r in table["rows"] if r["outcome"] == "individual")
    a_only = next(t for t in row["terms"] if t["term"] == "A only")
    assert (table["asked_rows"], table["recalled_rows"], row["n"]) == (160, 120, 120)
    assert a_only["estimate"] == pytest.approx(means["a"] - means["none"], abs=1e-12)
    assert table["label"] == PER_PROTOCOL_LABEL
    assert table["label"].startswith("Per-protocol, not randomised")
