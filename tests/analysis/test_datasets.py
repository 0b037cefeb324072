"""The frame read from the database equals the synthetic frame that was written."""

import pandas as pd
import pytest

from analysis.datasets import CASE_COLUMNS, load_case_frame, load_flow_frame
from analysis.synthetic import CouncilSpec, ThemeSpec, generate_council, to_case_frame
from experiments.demo import write_synthetic_wave
from tests.factories import ActivityFactory, NudgeTextFactory, ThemeFactory, WaveFactory

pytestmark = pytest.mark.django_db

SPEC = CouncilSpec(
    council="Testshire",
    respondents=40,
    experiment=True,
    themes=(
        ThemeSpec("Local environment", "environment", 3, 0.6, 0.2, 0.3, 0.4, time_now=0.3),
        ThemeSpec("Community safety", "community_safety", 4, 0.5, 0.1, 0.2, 0.3),
    ),
)


def test_the_case_frame_reads_back_every_written_answer_and_profile_column():
    # given a closed wave into which a synthetic council was written through the ORM
    wave = WaveFactory(status="closed")
    themes = {}
    for spec in SPEC.themes:
        theme = ThemeFactory(council=wave.council, name_en=spec.theme, kind=spec.kind)
        for position in range(spec.activities):
            ActivityFactory(theme=theme, position=position)
        wave.wave_themes.create(theme=theme)
        NudgeTextFactory(wave=wave, theme=theme, nudge="a")
        NudgeTextFactory(wave=wave, theme=theme, nudge="b")
        themes[spec.theme] = theme
    synthetic = generate_council(SPEC, seed=4, wave_year=wave.created_at.year)
    write_synthetic_wave(wave, synthetic, themes=themes, seed=4)

    # when the frame is loaded
    frame = load_case_frame(wave.pk)

    # then, apart from ids and names, it equals the synthetic frame
    expected = to_case_frame(synthetic, council=wave.council.name, wave_year=wave.created_at.year)
    compared = [c for c in CASE_COLUMNS if c not in ("response_id", "member_id", "theme_id")]
    key = ["theme", "birth_year", "collective", "efficacy", "activities_yes", "conditions"]
    key.append("satisfaction_response")
    left = frame[compared].sort_values(key).reset_index(drop=True)
    right = expected[compared].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)
    assert len(frame) == 80


def test_the_flow_frame_counts_invited_assigned_exposed_and_partial_members():
    wave = WaveFactory(status="closed")
    theme = ThemeFactory(council=wave.council, name_en="Local environment")
    for position in range(3):
        ActivityFactory(theme=theme, position=position)
    wave.wave_themes.create(theme=theme)
    NudgeTextFactory(wave=wave, theme=theme, nudge="a")
    NudgeTextFactory(wave=wave, theme=theme, nudge="b")
    spec = CouncilSpec("Testshire", 40, (SPEC.themes[0],), experiment=True)
    write_synthetic_wave(
        wave, generate_council(spec, seed=9), themes={"Local environment": theme}, seed=9
    )

    flow = load_flow_frame(wave.pk)

    # 40 respondents plus 20 % more invited: 4 opened and stopped, 4 never opened
    assert int(flow["invited"].sum()) == 48
    assert int(flow["assigned"].sum()) == 44
    assert (flow["status"] == "partial").sum() == 4
    assert (flow["status"] == "complete").sum() == 40
    # everyone assigned to a nudge arm saw at least one nudge; no one in "none" did
    assert set(flow.loc[flow["exposed"], "arm"]) <= {"a", "b", "ab"}
    assert int(flow["exposed"].sum()) == int(flow["arm"].isin(["a", "b", "ab"]).sum())
