import hashlib
import json

import pytest

from experiments.assignment import assign_member
from experiments.design import design_hash, frozen_design
from experiments.models import NudgeText, Wave, WaveStatus
from experiments.nudges import set_nudge_text
from experiments.policy import SYSTEM
from experiments.waves import open_wave
from tests.factories import (
    ActivityFactory,
    NudgeTextFactory,
    PanelMemberFactory,
    WaveFactory,
    WaveThemeFactory,
)

pytestmark = pytest.mark.django_db


def _draft_wave(**fields):
    wave = WaveFactory(status=WaveStatus.DRAFT, seed="ab" * 32, **fields)
    theme = WaveThemeFactory(wave=wave).theme
    ActivityFactory(theme=theme)
    NudgeTextFactory(wave=wave, theme=theme, nudge="a", text_en="Many do", text_cy="Mae llawer")
    NudgeTextFactory(wave=wave, theme=theme, nudge="b", text_en="Two hours", text_cy="Dwy awr")
    return wave, theme


def test_the_frozen_design_holds_arms_scheme_strata_and_both_languages_of_each_nudge():
    wave, theme = _draft_wave(allocation_scheme="blocks", strata="ward,gender")

    design = frozen_design(wave)

    assert json.loads(json.dumps(design)) == design
    assert list(design) == sorted(design)
    assert design["experiment_on"] is True
    assert [arm["code"] for arm in design["arms"]] == ["ab", "a", "b", "none"]
    assert design["allocation"] == {
        "block_sizes": [4, 8],
        "generator": "hmac-sha256-ctr-drbg/permuted-blocks-4-8/v1",
        "ratio": [1, 1, 1, 1],
        "scheme": "blocks",
        "seed_sha256": hashlib.sha256(("ab" * 32).encode()).hexdigest(),
        "strata": ["ward", "gender"],
    }
    assert design["nudge_texts"] == [
        {
            "nudge": "a",
            "text_cy": "Mae llawer",
            "text_en": "Many do",
            "theme": theme.pk,
            "version": 1,
        },
        {
            "nudge": "b",
            "text_cy": "Dwy awr",
            "text_en": "Two hours",
            "theme": theme.pk,
            "version": 1,
        },
    ]
    assert "ab" * 32 not in json.dumps(design)


def test_a_wave_without_the_experiment_has_only_the_none_arm_in_its_design():
    wave, _ = _draft_wave(experiment_on=False)

    design = frozen_design(wave)

    assert design["experiment_on"] is False
    assert design["arms"] == [{"code": "none", "nudges": []}]
    assert design["allocation"]["ratio"] == [1]


def test_the_design_hash_is_the_sha256_of_canonical_json():
    design = {"b": [1, "ü"], "a": {"y": None, "x": True}}

    digest = design_hash(design)

    canonical = '{"a":{"x":true,"y":null},"b":[1,"ü"]}'
    assert digest == hashlib.sha256(canonical.encode()).hexdigest()


def test_opening_a_wave_records_its_design_and_hash():
    wave, _ = _draft_wave()

    open_wave(SYSTEM, wave)

    wave.refresh_from_db()
    assert wave.design == frozen_design(wave)
    assert wave.design_hash == design_hash(wave.design)


def test_editing_a_nudge_after_opening_adds_a_deviation_and_leaves_the_design_frozen():
    # given an opened wave
    wave, theme = _draft_wave()
    open_wave(SYSTEM, wave)
    wave.refresh_from_db()
    frozen, digest = wave.design, wave.design_hash

    # when the council rewords nudge A
    edited = set_nudge_text(
        wave, theme=theme, nudge="a", text_en="Most do", text_cy="Mae'r rhan fwyaf"
    )

    # then a second version, flagged, exists and the recorded design is unchanged
    assert (edited.version, edited.is_deviation) == (2, True)
    assert list(
        NudgeText.objects.filter(wave=wave, nudge="a").values_list("version", "is_deviation")
    ) == [(2, True), (1, False)]
    wave.refresh_from_db()
    assert (wave.design, wave.design_hash) == (frozen, digest)
    assert frozen_design(wave) != frozen


def test_editing_a_nudge_before_opening_is_no_deviation():
    wave, theme = _draft_wave()

    edited = set_nudge_text(wave, theme=theme, nudge="a", text_en="Most do", text_cy="Mwyafrif")

    assert (edited.version, edited.is_deviation) == (2, False)


def test_a_wave_created_open_is_frozen_at_its_first_assignment():
    wave = WaveFactory(status=WaveStatus.OPEN)

    assignment = assign_member(wave, member=PanelMemberFactory(council=wave.council))

    wave = Wave.objects.get(pk=wave.pk)
    assert wave.design_hash == design_hash(wave.design)
    assert assignment.design_hash == wave.design_hash


def test_the_admin_offers_no_way_to_edit_a_design_only_the_title_and_closing_time(
    admin_client,
):
    # given an opened wave
    wave, _ = _draft_wave()
    open_wave(SYSTEM, wave)

    # when its change page is shown
    page = admin_client.get(f"/admin/experiments/wave/{wave.pk}/change/").content.decode()

    # then the design's fields and the nudge texts are not inputs; the title and closing are
    for name in [
        "council",
        "allocation_scheme",
        "strata",
        "experiment_on",
        "time_questions",
        "manipulation_check",
        "nudge_texts-0-text_en",
        "wave_themes-0-theme",
    ]:
        assert f'name="{name}"' not in page
    for name in ["title", "closes_at_0"]:
        assert f'name="{name}"' in page
