"""The API's dry run and commit of paper and telephone responses."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from experiments.invitations import issue_invitation
from experiments.models import Assignment, Response, ResponseUpload, WaveStatus
from experiments.policy import SYSTEM
from experiments.randomised_elsewhere import declare_randomised_elsewhere
from experiments.waves import open_wave
from tests.factories import (
    ActivityFactory,
    CouncilMembershipFactory,
    PanelMemberFactory,
    WaveFactory,
    WaveThemeFactory,
    make_openable,
)


@pytest.fixture
def wave(api):
    wave = WaveFactory(council=api.council, status=WaveStatus.CLOSED)
    theme = WaveThemeFactory(wave=wave).theme
    ActivityFactory(theme=theme)
    member = PanelMemberFactory(council=wave.council, external_id="PAPER-1")
    issue_invitation(wave, member=member)
    # The telephone script printed while the wave was open gave the member their group.
    Assignment.objects.create(wave=wave, member=member, arm="b", scheme="simple")
    wave.theme = theme
    return wave


def returns(wave, efficacy="2") -> SimpleUploadedFile:
    text = f"external_id,mode,t{wave.theme.pk}_efficacy\nPAPER-1,3,{efficacy}\n"
    return SimpleUploadedFile("returns.csv", text.encode(), content_type="text/csv")


@pytest.mark.django_db
def test_responses_are_checked_then_imported_once(api, wave):
    checked = api.post(
        "/api/v1/response-imports/", {"wave": wave.pk, "file": returns(wave)}, format="multipart"
    )
    responses_after_check = Response.objects.count()
    committed = api.post(f"/api/v1/response-imports/{checked.json()['id']}/commit/")
    again = api.post(f"/api/v1/response-imports/{checked.json()['id']}/commit/")

    assert checked.status_code == 201
    body = checked.json()
    assert (body["ok"], body["row_count"], body["wave"], body["problems"]) == (
        True,
        1,
        wave.pk,
        [],
    )
    assert body["summary"] == {"new": 1, "updated": 0, "unchanged": 0}
    assert responses_after_check == 0
    assert committed.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert again.status_code == 409
    response = Response.objects.get()
    assert (response.mode, response.wave_id) == ("phone", wave.pk)
    assert Assignment.objects.filter(wave=wave).count() == 1


@pytest.mark.django_db
def test_a_file_with_problems_lists_them_and_cannot_be_committed(api, wave):
    checked = api.post(
        "/api/v1/response-imports/",
        {"wave": wave.pk, "file": returns(wave, efficacy="6")},
        format="multipart",
    )
    committed = api.post(f"/api/v1/response-imports/{checked.json()['id']}/commit/")

    assert checked.json()["ok"] is False
    assert checked.json()["problems"] == [
        {
            "row": 2,
            "column": f"t{wave.theme.pk}_efficacy",
            "message": "“6” is not one of the codes of this question: 1 = Strongly agree, "
            "2 = Agree, 3 = Neither agree nor disagree, 4 = Disagree, 5 = Strongly disagree, "
            "9 = Don't know.",
        }
    ]
    assert committed.status_code == 409
    assert Response.objects.count() == 0


@pytest.mark.django_db
def test_another_councils_wave_and_uploads_answer_404(api):
    other = CouncilMembershipFactory().council
    their_wave = WaveFactory(council=other, status=WaveStatus.OPEN)
    WaveThemeFactory(wave=their_wave)
    theirs = ResponseUpload.objects.create(
        council=other, wave=their_wave, filename="r.csv", content=b"x", report={}
    )
    upload = SimpleUploadedFile("r.csv", b"external_id,mode\n", content_type="text/csv")

    created = api.post(
        "/api/v1/response-imports/", {"wave": their_wave.pk, "file": upload}, format="multipart"
    )
    read = api.get(f"/api/v1/response-imports/{theirs.pk}/")
    committed = api.post(f"/api/v1/response-imports/{theirs.pk}/commit/")
    listed = api.get("/api/v1/response-imports/")

    assert (created.status_code, read.status_code, committed.status_code) == (404, 404, 404)
    assert listed.json()["results"] == []
    assert ResponseUpload.objects.count() == 1


@pytest.mark.django_db
def test_an_externally_randomised_wave_takes_the_groups_of_the_file_through_the_api(api):
    # Given a wave of the API user's council declared randomised elsewhere and opened
    wave = WaveFactory(council=api.council, status=WaveStatus.DRAFT)
    theme = WaveThemeFactory(wave=wave).theme
    make_openable(wave)
    declare_randomised_elsewhere(
        SYSTEM, wave, randomised_by="A partner", declared_scheme="1:1:1:1 by computer"
    )
    open_wave(SYSTEM, wave)
    member = PanelMemberFactory(council=wave.council, external_id="EXT-1")
    PanelMemberFactory(council=wave.council, external_id="EXT-2")
    text = f"external_id,mode,arm,t{theme.pk}_collective\nEXT-1,2,3,1\nEXT-2,2,,2\n"

    # When a file with one row lacking its group is checked, then one with both groups
    refused = api.post(
        "/api/v1/response-imports/",
        {"wave": wave.pk, "file": SimpleUploadedFile("r.csv", text.encode())},
        format="multipart",
    )
    fixed = text.replace("EXT-2,2,,2", "EXT-2,2,4,2")
    checked = api.post(
        "/api/v1/response-imports/",
        {"wave": wave.pk, "file": SimpleUploadedFile("r.csv", fixed.encode())},
        format="multipart",
    )
    committed = api.post(f"/api/v1/response-imports/{checked.json()['id']}/commit/")

    # Then the first names the row, and the second records the groups it gives
    assert [(p["row"], p["column"]) for p in refused.json()["problems"]] == [(3, "arm")]
    assert committed.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert Assignment.objects.get(wave=wave, member=member).arm == "b"
    assert set(Assignment.objects.filter(wave=wave).values_list("scheme", flat=True)) == {
        "external"
    }
