"""The researcher's export page: choosing closed waves by council, pooled into one file."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from experiments.models import CouncilRole, WaveStatus
from exports import jobs
from exports.models import Export, ExportStatus
from tests.analysis.test_exports import build_closed_wave, read_csv
from tests.factories import CouncilFactory, CouncilMembershipFactory, UserFactory, WaveFactory

EXPORTS = reverse("exports:list")
CLOSED = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def _default_language_afterwards(settings):
    """Restore the default language, which a request in Welsh leaves active in this thread."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def researcher_of(*councils):
    user = UserFactory()
    for council in councils:
        CouncilMembershipFactory(user=user, council=council, role=CouncilRole.RESEARCHER)
    return user


def test_the_page_offers_the_closed_waves_of_the_researchers_councils_grouped_by_council(
    db, client
):
    # Given two councils of a researcher, with closed and open waves, and another council
    anglesey = CouncilFactory(name="Anglesey")
    bridgend = CouncilFactory(name="Bridgend")
    spring = WaveFactory(council=anglesey, title="Spring", status=WaveStatus.CLOSED)
    autumn = WaveFactory(
        council=anglesey, title="Autumn", status=WaveStatus.CLOSED, closed_at=CLOSED
    )
    WaveFactory(council=anglesey, title="Still open", status=WaveStatus.OPEN)
    summer = WaveFactory(council=bridgend, title="Summer", status=WaveStatus.CLOSED)
    WaveFactory(council=CouncilFactory(name="Ceredigion"), title="Not yours", status="closed")
    client.force_login(researcher_of(bridgend, anglesey))

    # When they open the export page
    response = client.get(EXPORTS)

    # Then each council's closed waves are offered under its name, latest closed first
    assert response.status_code == 200
    assert response.context["form"].fields["waves"].choices == [
        ("Anglesey", [(autumn.pk, "Autumn, closed 2 March 2026"), (spring.pk, "Spring")]),
        ("Bridgend", [(summer.pk, "Summer")]),
    ]
    page = response.content.decode()
    assert page.count('name="waves"') == 3
    assert "Not yours" not in page
    assert "Still open" not in page


def test_a_researcher_pools_waves_of_two_councils_into_one_file(
    db, media, client, django_capture_on_commit_callbacks
):
    # Given closed waves of two councils the researcher works with
    first, *_ = build_closed_wave(CouncilFactory(), wards=["Central", "North"])
    second, *_ = build_closed_wave(CouncilFactory(), wards=["South"])
    client.force_login(researcher_of(first.council, second.council))

    # When they tick both and request a tidy file
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            EXPORTS,
            {"waves": [second.pk, first.pk], "format": "csv_tidy", "labels": "en"},
        )

    # Then one export of both waves is made, with the rows of each wave and council
    export = Export.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:detail", args=[export.pk])
    assert export.status == ExportStatus.DONE
    assert export.wave_ids == sorted([first.pk, second.pk])
    assert export.council_ids == sorted([first.council_id, second.council_id])
    frame = read_csv(jobs.export_path(export).read_bytes())
    assert sorted(frame["wave"]) == sorted([first.pk, first.pk, second.pk])
    assert sorted(frame["ward"]) == ["Central", "North", "South"]
    assert sorted(set(frame["council"])) == export.council_ids


def test_a_wave_of_another_council_among_the_ticked_ones_is_refused_and_nothing_is_made(
    db, media, client
):
    # Given a researcher of one council, and a closed wave of another
    mine = WaveFactory(status=WaveStatus.CLOSED)
    theirs = WaveFactory(status=WaveStatus.CLOSED)
    client.force_login(researcher_of(mine.council))

    # When a forged form asks for both pooled
    response = client.post(
        EXPORTS, {"waves": [mine.pk, theirs.pk], "format": "csv_tidy", "labels": "en"}
    )

    # Then the page says no such waves, keeps their own wave ticked, and no export exists
    assert response.status_code == 200
    assert response.context["form"].errors["waves"] == ["No such waves among yours."]
    page = response.content.decode()
    assert f'name="waves" value="{mine.pk}" checked' in page
    assert f'value="{theirs.pk}"' not in page
    assert Export.objects.count() == 0


def test_the_page_speaks_welsh_with_welsh_wave_labels(db, client):
    council = CouncilFactory(name="Ynys Môn")
    WaveFactory(council=council, title="Gwanwyn", status=WaveStatus.CLOSED, closed_at=CLOSED)
    client.force_login(researcher_of(council))

    response = client.get(EXPORTS, HTTP_ACCEPT_LANGUAGE="cy")

    page = response.content.decode()
    assert "Gwanwyn, caewyd 2 Mawrth 2026" in page
    assert "Closed waves, by council" not in page
