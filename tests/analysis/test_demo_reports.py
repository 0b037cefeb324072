"""The demo's reports: each shows the definitions box, and Swansea's exists in Welsh."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from experiments.demo import seed_demo
from experiments.models import Wave, WaveStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_demo_reports_define_their_terms_and_swansea_reads_in_welsh(client):
    seed_demo(seed=3)
    client.force_login(get_user_model().objects.get(username="researcher"))
    barnet = Wave.objects.get(council__slug="barnet", status=WaveStatus.CLOSED)
    swansea = Wave.objects.get(council__slug="swansea", status=WaveStatus.CLOSED)

    with translation.override("en"):
        english = client.get(reverse("analysis:wave_results", args=[barnet.pk])).content.decode()
        offered = client.get(reverse("analysis:wave_results", args=[swansea.pk])).content.decode()
        welsh = client.get(
            reverse("analysis:wave_results", args=[swansea.pk]), {"lang": "cy"}
        ).content.decode()

    assert "Definitions used" in english
    assert "Confirmatory family" in english
    assert 'href="?lang=cy"' in offered
    assert re.search(r'<html lang="cy"[ >]', welsh)
    assert "Diffiniadau a ddefnyddiwyd" in welsh
    assert "Teulu cadarnhaol" in welsh
    assert "Crynodeb fesul achos" in welsh
    assert "Yr amgylchedd lleol" in welsh
    assert "Definitions used" not in welsh
