"""The results page: who may see it, and what it shows."""

import pytest
from django.urls import reverse

from analysis.models import AnalysisRun
from analysis.runs import execute_run
from analysis.synthetic import CouncilSpec, ThemeSpec, generate_council
from experiments.demo import write_synthetic_wave
from tests.factories import (
    ActivityFactory,
    CouncilMembershipFactory,
    NudgeTextFactory,
    ThemeFactory,
    UserFactory,
    WaveFactory,
)

pytestmark = pytest.mark.django_db

SPEC = CouncilSpec(
    council="Testshire",
    respondents=80,
    experiment=True,
    themes=(ThemeSpec("Local environment", "environment", 3, 0.6, 0.2, 0.3, 0.4, time_now=0.3),),
)


@pytest.fixture
def analysed_wave():
    """A closed wave of 80 synthetic respondents with a finished analysis."""
    wave = WaveFactory(status="closed")
    theme = ThemeFactory(council=wave.council, name_en="Local environment")
    for position in range(3):
        ActivityFactory(theme=theme, position=position)
    wave.wave_themes.create(theme=theme)
    NudgeTextFactory(wave=wave, theme=theme, nudge="a")
    NudgeTextFactory(wave=wave, theme=theme, nudge="b")
    write_synthetic_wave(
        wave, generate_council(SPEC, seed=2), themes={"Local environment": theme}, seed=2
    )
    execute_run(AnalysisRun.objects.create(wave=wave).pk)
    return wave


def test_a_council_admin_sees_the_five_tables_and_charts_of_their_wave(client, analysed_wave):
    membership = CouncilMembershipFactory(council=analysed_wave.council)
    client.force_login(membership.user)

    response = client.get(reverse("analysis:wave_results", args=[analysed_wave.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    for heading in ("Table 1.", "Table 2.", "Table 3.", "Table 4.", "Table 5."):
        assert heading in html
    assert html.count("<svg") == 3
    assert "KR-20" in html
    assert "Holm" in html
    assert "Benjamini–Hochberg" in html
    assert "never used as covariates for nudge effects" in html


def test_a_member_of_another_council_gets_not_found(client, analysed_wave):
    membership = CouncilMembershipFactory()  # a role in some other council
    client.force_login(membership.user)

    response = client.get(reverse("analysis:wave_results", args=[analysed_wave.pk]))

    assert response.status_code == 404


def test_a_signed_in_non_staff_user_gets_not_found_and_an_anonymous_one_is_sent_to_sign_in(
    client, analysed_wave
):
    url = reverse("analysis:wave_results", args=[analysed_wave.pk])
    assert client.get(url).status_code == 302

    user = UserFactory(is_staff=False)
    CouncilMembershipFactory(user=user, council=analysed_wave.council)
    client.force_login(user)
    assert client.get(url).status_code == 404


def test_the_report_downloads_as_an_html_file(client, analysed_wave):
    client.force_login(UserFactory(is_superuser=True))

    response = client.get(
        reverse("analysis:wave_results", args=[analysed_wave.pk]), {"download": "html"}
    )

    assert response["Content-Disposition"] == (
        f'attachment; filename="results-wave-{analysed_wave.pk}.html"'
    )
