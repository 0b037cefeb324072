"""The demo's researcher downloads every export format of the demo's closed waves."""

import hashlib
import io
import zipfile

import pandas as pd
import pyreadstat
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from experiments.demo import CLOSED_WAVE_TITLE, DEMO_RESEARCHER_USERNAME, seed_demo
from experiments.models import Response, ResponseStatus, Wave
from exports.models import Export, ExportFormat, ExportStatus

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_the_demo_researcher_downloads_every_format_of_both_demo_waves(
    media, client, django_capture_on_commit_callbacks
):
    seed_demo(seed=0)
    client.force_login(get_user_model().objects.get(username=DEMO_RESEARCHER_USERNAME))

    for slug in ("barnet", "swansea"):
        wave = Wave.objects.get(council__slug=slug, title=CLOSED_WAVE_TITLE)
        # Partial responses are exported too, with their status.
        responses = Response.objects.filter(wave=wave).count()
        assert Response.objects.filter(wave=wave, status=ResponseStatus.PARTIAL).exists()
        for format in ExportFormat.values:
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(
                    reverse("exports:list"), {"waves": [wave.pk], "format": format, "labels": "en"}
                )
            assert response.status_code == 302, (slug, format)
            export = Export.objects.filter(format=format, wave_ids=[wave.pk]).get()
            assert export.status == ExportStatus.DONE, (slug, format, export.error)
            download = client.get(reverse("exports:download", args=[export.pk]))
            body = b"".join(download.streaming_content)
            assert download.status_code == 200
            assert hashlib.sha256(body).hexdigest() == export.sha256

            if format == "csv_wide":
                frame = pd.read_csv(io.BytesIO(body), encoding="utf-8-sig")
                assert len(frame) == responses
            if format == "sav":
                path = media / f"{slug}.sav"
                path.write_bytes(body)
                frame, meta = pyreadstat.read_sav(str(path))
                # One row per response and answered theme (the demo's partials answered none).
                answered = Response.objects.filter(wave=wave, theme_answers__isnull=False)
                assert frame["pseudonym"].nunique() == answered.distinct().count()
                woman = {v: k for k, v in meta.variable_value_labels["gender"].items()}["Woman"]
                assert (frame["gender"] == woman).sum() > 0
            if format == "bundle":
                names = zipfile.ZipFile(io.BytesIO(body)).namelist()
                assert "manifest.json" in names
