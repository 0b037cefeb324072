import pytest

from experiments.models import NudgeText
from experiments.nudges import set_nudge_text
from tests.factories import WaveThemeFactory

pytestmark = pytest.mark.django_db


def test_changing_a_nudge_text_adds_a_version_and_keeps_the_old_one():
    wave_theme = WaveThemeFactory()
    wave, theme = wave_theme.wave, wave_theme.theme

    first = set_nudge_text(wave, theme=theme, nudge="a", text_en="Old", text_cy="Hen")
    same = set_nudge_text(wave, theme=theme, nudge="a", text_en="Old", text_cy="Hen")
    second = set_nudge_text(wave, theme=theme, nudge="a", text_en="New", text_cy="Newydd")

    assert same.pk == first.pk
    assert (first.version, second.version) == (1, 2)
    assert NudgeText.objects.filter(wave=wave, theme=theme, nudge="a").count() == 2
