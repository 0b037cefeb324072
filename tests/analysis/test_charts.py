"""Charts: axes at round ticks that hold every interval (no database)."""

import math
import re

import numpy as np
import pytest

from analysis.charts import MARGIN, WIDTH, forest_plot, round_ticks, wrap_label


def is_round(step: float) -> bool:
    mantissa = step / 10 ** math.floor(math.log10(step))
    return any(math.isclose(mantissa, m) for m in (1, 2, 5))


@pytest.mark.parametrize("seed", range(20))
def test_ticks_are_round_hold_zero_and_contain_the_range(seed):
    rng = np.random.default_rng(seed)
    low, high = sorted(rng.normal(0, 10 ** rng.uniform(-1, 2), size=2))

    ticks = round_ticks(low, high)

    steps = np.diff(ticks)
    assert np.allclose(steps, steps[0])
    assert is_round(steps[0])
    assert ticks[0] <= min(low, 0)
    assert ticks[-1] >= max(high, 0)
    assert any(abs(t) < 1e-9 for t in ticks)
    assert 4 <= len(ticks) <= 8


def test_the_reported_axis_of_minus_17_to_17_gets_ticks_of_ten():
    assert round_ticks(-16.6, 16.6) == [-20, -10, 0, 10, 20]


def test_every_interval_of_the_forest_plot_lies_inside_its_axis():
    nudges = {
        "rows": [
            {
                "case": "Avon — Health",
                "outcome": "collective_any",
                "terms": [
                    {"term": "A only", "kind": "arm", "estimate": 0.19, "low": 0.08, "high": 0.3},
                    {"term": "B only", "kind": "arm", "estimate": -0.09, "low": -0.17, "high": 0.0},
                ],
            }
        ]
    }

    svg = forest_plot(nudges, title="t", labels={"collective_any": "Collective index"})

    ends = [float(x) for x in re.findall(r'<line x1="([\d.]+)" y1="[\d.]+" x2="[\d.]+"', svg)]
    ends += [float(x) for x in re.findall(r'<line x1="[\d.]+" y1="[\d.]+" x2="([\d.]+)"', svg)]
    assert min(ends) >= MARGIN - 1e-9
    assert max(ends) <= WIDTH - MARGIN + 1e-9
    ticks = re.findall(r'text-anchor="middle">([^<]+)</text>', svg)
    assert ticks == ["−20", "−10", "0", "+10", "+20", "+30"]


def test_a_long_label_is_wrapped_at_its_joints():
    lines = wrap_label(
        "City and County of Swansea — Local environment · Collective index · A and B", width=40
    )

    assert lines == ["City and County of Swansea — Local environment", "Collective index · A and B"]
