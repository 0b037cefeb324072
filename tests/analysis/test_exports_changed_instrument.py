"""Exports of a wave whose instrument changed after members answered it.

A wave closed without a frozen design (before designs were frozen at opening) can still
lose a theme or gain an activity; its stored answers then refer to themes and activities
the instrument no longer has, or lack answers to ones it gained. Every export of it is
still made, and describes the instrument as it now stands.
"""

import io
import re
import tempfile
import zipfile
from pathlib import Path

import pyreadstat
import pytest
from django.urls import reverse

from experiments.models import ActivityAnswer, CouncilRole, Response, ThemeAnswer, WaveTheme
from exports.models import Export, ExportFormat, ExportStatus
from tests.analysis.test_exports import DONE, build_closed_wave, read_csv
from tests.factories import ActivityFactory, CouncilMembershipFactory, ThemeFactory, UserFactory

WARDS = ["Central", "North", "South", "East"]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def changed_wave(db):
    """Return a closed wave of four answers whose instrument changed after it closed.

    Its kept theme gained a fourth activity nobody was asked; its second theme, answered
    by everyone, was removed from the wave; and one response also holds answers to a theme
    that was never in the wave.
    """
    wave, kept, activities, _members = build_closed_wave(wards=WARDS)
    removed = ThemeFactory(council=wave.council, name_en="Parks", name_cy="Parciau")
    WaveTheme.objects.create(wave=wave, theme=removed, position=2)
    removed_activity = ActivityFactory(theme=removed, text_en="Plant trees")
    stray = ThemeFactory(council=wave.council, name_en="Roads", name_cy="Ffyrdd")
    responses = list(Response.objects.filter(wave=wave).order_by("pk"))
    for response in responses:
        answer = ThemeAnswer.objects.create(response=response, theme=removed, collective=1)
        ActivityAnswer.objects.create(theme_answer=answer, activity=removed_activity, done=True)
    ThemeAnswer.objects.create(response=responses[0], theme=stray, collective=2)

    # the change: the path still open for a wave without a frozen design
    assert not wave.design_hash
    WaveTheme.objects.filter(wave=wave, theme=removed).delete()
    added = ActivityFactory(theme=kept, text_en="Report potholes", text_cy="Adrodd tyllau")
    return wave, kept, [*activities, added]


def _export_through_the_page(client, capture, wave, format) -> bytes:
    with capture(execute=True):
        response = client.post(
            reverse("exports:list"), {"waves": [wave.pk], "format": format, "labels": "en"}
        )
    assert response.status_code == 302
    export = Export.objects.get(format=format)
    assert (export.status, export.error) == (ExportStatus.DONE, "")
    assert client.get(response["Location"]).status_code == 200
    download = client.get(reverse("exports:download", args=[export.pk]))
    assert download.status_code == 200
    return b"".join(download.streaming_content)


@pytest.fixture
def researcher_client(client, changed_wave):
    user = UserFactory()
    CouncilMembershipFactory(
        user=user, council=changed_wave[0].council, role=CouncilRole.RESEARCHER
    )
    client.force_login(user)
    return client


def _kept_theme_expectations():
    """Each member's answers to the kept theme, and its index over the four activities."""
    expected = []
    for i in range(len(WARDS)):
        done = [DONE[(i + j) % 3] for j in range(3)] + [None]
        answered = [d for d in done if d is not None]
        index = sum(answered) / len(answered) if len(answered) >= len(done) / 2 else None
        expected.append((done, len(answered), sum(answered), index))
    return expected


def test_the_tidy_file_has_the_kept_themes_rows_with_the_added_activity_unanswered(
    media, researcher_client, changed_wave, django_capture_on_commit_callbacks
):
    wave, kept, _activities = changed_wave

    body = _export_through_the_page(
        researcher_client, django_capture_on_commit_callbacks, wave, ExportFormat.CSV_TIDY
    )

    frame = read_csv(body).sort_values("ward")
    assert list(frame["theme"]) == [kept.pk] * len(WARDS)
    assert list(frame["activities_total"]) == [4] * len(WARDS)
    expected = dict(zip(WARDS, _kept_theme_expectations(), strict=True))
    for _, row in frame.iterrows():
        done, answered, yes, index = expected[row["ward"]]
        cells = [row[f"act{n}"] for n in range(1, 5)]
        assert [None if c != c else bool(c) for c in cells] == done
        assert (row["activities_answered"], row["activities_yes"]) == (answered, yes)
        assert row["individual_index"] == pytest.approx(index)


def test_the_wide_file_has_one_row_per_response_and_only_the_kept_themes_columns(
    media, researcher_client, changed_wave, django_capture_on_commit_callbacks
):
    wave, kept, activities = changed_wave

    body = _export_through_the_page(
        researcher_client, django_capture_on_commit_callbacks, wave, ExportFormat.CSV_WIDE
    )

    frame = read_csv(body)
    assert sorted(frame["ward"]) == sorted(WARDS)
    themes = {match[1] for column in frame.columns if (match := re.match(r"t(\d+)_", column))}
    assert themes == {str(kept.pk)}
    assert frame[f"t{kept.pk}_a{activities[3].pk}"].isna().all()
    assert list(frame[f"t{kept.pk}_activities_total"]) == [4] * len(WARDS)


@pytest.mark.parametrize(
    ("format", "reader"),
    [(ExportFormat.SPSS, pyreadstat.read_sav), (ExportFormat.STATA, pyreadstat.read_dta)],
)
def test_the_spss_and_stata_files_hold_the_kept_themes_rows(
    media, researcher_client, changed_wave, django_capture_on_commit_callbacks, format, reader
):
    wave, kept, _activities = changed_wave

    body = _export_through_the_page(
        researcher_client, django_capture_on_commit_callbacks, wave, format
    )

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"export.{format}"
        path.write_bytes(body)
        frame, _meta = reader(str(path))
    assert list(frame["theme"]) == [kept.pk] * len(WARDS)
    assert list(frame["activities_total"]) == [4] * len(WARDS)


@pytest.mark.parametrize("format", [ExportFormat.CODEBOOK_HTML, ExportFormat.CODEBOOK_CSV])
def test_the_codebook_describes_the_instrument_as_it_now_stands(
    media, researcher_client, changed_wave, django_capture_on_commit_callbacks, format
):
    wave, _kept, _activities = changed_wave

    text = _export_through_the_page(
        researcher_client, django_capture_on_commit_callbacks, wave, format
    ).decode("utf-8-sig")

    assert "Report potholes" in text
    assert "Plant trees" not in text
    assert "Roads" not in text


def test_the_bundle_holds_whole_files_of_the_changed_wave(
    media, researcher_client, changed_wave, django_capture_on_commit_callbacks
):
    wave, kept, _activities = changed_wave

    body = _export_through_the_page(
        researcher_client, django_capture_on_commit_callbacks, wave, ExportFormat.BUNDLE
    )

    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        assert bundle.testzip() is None
        tidy = next(name for name in bundle.namelist() if name.endswith("tidy.csv"))
        frame = read_csv(bundle.read(tidy))
    assert list(frame["theme"]) == [kept.pk] * len(WARDS)
