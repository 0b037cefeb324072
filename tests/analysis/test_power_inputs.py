"""The planner's inputs come from the council's panel and earlier waves; the plan is frozen."""

import pytest

from analysis.datasets import load_power_inputs, plan_wave_power
from experiments.models import Response, ResponseStatus, WaveStatus
from experiments.policy import SYSTEM
from experiments.waves import open_wave
from tests.factories import PanelMemberFactory, WaveFactory, WaveThemeFactory, make_openable


@pytest.mark.django_db
def test_the_panel_is_counted_per_stratum_and_defaults_apply_without_earlier_waves():
    # given a draft wave stratified by ward, with 3 active members in North, 2 in South
    # and one withdrawn member
    wave = WaveFactory(status=WaveStatus.DRAFT, strata="ward")
    WaveThemeFactory(wave=wave)
    for ward in ("North", "North", "North", "South", "South"):
        PanelMemberFactory(council=wave.council, ward=ward)
    PanelMemberFactory(council=wave.council, ward="North", status="withdrawn")

    # when its inputs are read
    inputs = load_power_inputs(wave.pk)

    # then the counts are per ward and every default is the documented one
    assert inputs.panel_by_stratum == {"North": 3, "South": 2}
    assert (inputs.response_rate, inputs.response_rate_source) == (0.3, "default")
    assert inputs.sd == {"collective_any": pytest.approx(0.458258, abs=1e-6), "individual": 0.25}
    assert inputs.sd_source == {"collective_any": "default", "individual": "default"}


@pytest.mark.django_db
def test_an_earlier_closed_wave_gives_the_response_rate_and_entered_values_win():
    # given a closed wave in which 2 of 8 active members completed
    closed = WaveFactory(status=WaveStatus.CLOSED)
    members = [PanelMemberFactory(council=closed.council) for _ in range(8)]
    for member in members[:2]:
        Response.objects.create(
            wave=closed,
            member=member,
            status=ResponseStatus.COMPLETE,
            submitted_at=closed.created_at,
        )
    draft = WaveFactory(council=closed.council, status=WaveStatus.DRAFT)

    # then the next wave's default rate is 2/8, unless the admin entered one
    assert load_power_inputs(draft.pk).response_rate == 0.25
    draft.expected_response_rate = 0.4
    draft.save(update_fields=["expected_response_rate"])
    inputs = load_power_inputs(draft.pk)
    assert (inputs.response_rate, inputs.response_rate_source) == (0.4, "entered")


@pytest.mark.django_db
def test_the_power_plan_is_frozen_with_the_design_when_the_wave_opens():
    # given a draft wave of 400 active members, 50 % expected to answer
    wave = WaveFactory(status=WaveStatus.DRAFT, expected_response_rate=0.5, hoped_for_effect=0.05)
    make_openable(WaveThemeFactory(wave=wave).wave)
    PanelMemberFactory.create_batch(400, council=wave.council)
    live = plan_wave_power(wave.pk).to_dict()

    # when it opens
    open_wave(SYSTEM, wave)

    # then the design holds the plan as it stood: 200 completes, 50 per arm
    wave.refresh_from_db()
    frozen = wave.design["power_plan"]
    assert frozen["expected_completes"] == 200.0
    assert frozen["arm_n"] == {"a": 50.0, "ab": 50.0, "b": 50.0, "none": 50.0}
    assert frozen["cases"][0]["contrasts"][0]["mde"] == pytest.approx(
        live["cases"][0]["contrasts"][0]["mde"]
    )
    assert len(frozen["warnings"]) == 12
