"""The questionnaire's wording in both languages, and the Welsh completeness gate."""

from pathlib import Path

import pytest
from django.conf import settings

from experiments.models import Item, Nation, ThemeKind, WaveStatus
from experiments.policy import SYSTEM
from experiments.questionnaires import DEFAULT_WORDING, default_wording, theme_pages, welsh_gaps
from experiments.waves import WaveStateError, open_wave
from tests.factories import (
    ActivityFactory,
    ItemWordingFactory,
    NudgeTextFactory,
    WaveFactory,
    WaveThemeFactory,
)


def _draft_wave(nation=Nation.WALES, *, both_nudges=False):
    wave = WaveFactory(status=WaveStatus.DRAFT, council__nation=nation)
    wave_theme = WaveThemeFactory(
        wave=wave, theme__name_en="Health", theme__name_cy="Iechyd", theme__kind="health"
    )
    ActivityFactory(theme=wave_theme.theme, text_en="Ate well", text_cy="Bwyta'n dda")
    NudgeTextFactory(wave=wave, theme=wave_theme.theme, nudge="a")
    if both_nudges:
        NudgeTextFactory(wave=wave, theme=wave_theme.theme, nudge="b")
    return wave, wave_theme.theme


@pytest.mark.parametrize("kind", [k for k in ThemeKind if k != ThemeKind.CUSTOM])
@pytest.mark.parametrize("item", list(Item))
def test_every_theme_kind_ships_its_own_wording_in_english_and_welsh(kind, item):
    from django.utils import translation

    with translation.override("en"):
        english = default_wording(kind, item)
    with translation.override("cy"):
        welsh = default_wording(kind, item)

    assert english
    assert welsh
    assert welsh != english


def test_the_welsh_catalogue_translates_every_message():
    po = Path(settings.BASE_DIR, "locale", "cy", "LC_MESSAGES", "django.po").read_text()
    entries = po.split("\n\n")[1:]

    untranslated = [e for e in entries if e.rstrip().endswith('msgstr ""') or "#, fuzzy" in e]

    assert len(entries) > 150
    assert untranslated == []


@pytest.mark.django_db
def test_a_welsh_wave_with_every_text_in_welsh_opens():
    wave, _ = _draft_wave(both_nudges=True)

    assert welsh_gaps(wave) == []
    opened = open_wave(SYSTEM, wave)

    assert opened.status == WaveStatus.OPEN


@pytest.mark.django_db
def test_a_welsh_wave_missing_welsh_texts_does_not_open_and_lists_them():
    # given a Welsh council's wave where three texts lack Welsh
    wave, theme = _draft_wave()
    ActivityFactory(theme=theme, text_en="Walked to work", text_cy="")
    NudgeTextFactory(wave=wave, theme=theme, nudge="b", text_cy="")
    ItemWordingFactory(wave=wave, theme=theme, item=Item.EFFICACY, text_en="Own words", text_cy="")

    # when an admin tries to open it
    with pytest.raises(WaveStateError) as refused:
        open_wave(SYSTEM, wave)

    # then nothing changed and the error names each gap
    assert welsh_gaps(wave) == [
        "Theme “Health”: activity “Walked to work”",
        "Theme “Health”: wording of “People can make a difference”",
        "Theme “Health”: nudge B (version 1)",
    ]
    assert "Walked to work" in str(refused.value)
    assert "nudge B (version 1)" in str(refused.value)
    wave.refresh_from_db()
    assert (wave.status, wave.opened_at) == (WaveStatus.DRAFT, None)


@pytest.mark.django_db
def test_a_later_nudge_version_with_welsh_fills_the_gap_of_the_earlier_one():
    wave, theme = _draft_wave()
    NudgeTextFactory(wave=wave, theme=theme, nudge="b", version=1, text_cy="")
    NudgeTextFactory(wave=wave, theme=theme, nudge="b", version=2)

    assert welsh_gaps(wave) == []


@pytest.mark.django_db
def test_a_missing_theme_name_in_welsh_is_a_gap():
    wave, theme = _draft_wave()
    theme.name_cy = ""
    theme.save(update_fields=["name_cy"])

    assert welsh_gaps(wave) == ["Theme “Health”: name"]


@pytest.mark.django_db
def test_an_english_council_may_open_a_wave_without_welsh():
    wave, theme = _draft_wave(nation=Nation.ENGLAND, both_nudges=True)
    ActivityFactory(theme=theme, text_en="Walked to work", text_cy="")

    opened = open_wave(SYSTEM, wave)

    assert opened.status == WaveStatus.OPEN


@pytest.mark.django_db
def test_a_council_wording_replaces_the_default_in_each_language():
    wave, theme = _draft_wave()
    ItemWordingFactory(wave=wave, theme=theme, item=Item.COLLECTIVE)

    (english,) = theme_pages(wave, language="en")
    (welsh,) = theme_pages(wave, language="cy")

    assert english.question(Item.COLLECTIVE) == "Do you join groups?"
    assert welsh.question(Item.COLLECTIVE) == "Ydych chi'n ymuno â grwpiau?"
    assert english.question(Item.EFFICACY) == str(DEFAULT_WORDING["health"]["efficacy"])
    assert welsh.question(Item.EFFICACY) == (
        "I ba raddau ydych chi'n cytuno neu'n anghytuno: gall pobl yn yr ardal hon wneud "
        "gwahaniaeth o ran iechyd pobl yn eich ardal?"
    )
    assert welsh.activities[0].text == "Bwyta'n dda"
