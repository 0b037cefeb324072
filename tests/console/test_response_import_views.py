"""The console's pages for importing paper and telephone responses into a wave."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEntry
from experiments.invitations import issue_invitation
from experiments.models import Assignment, Response, ResponseUpload, WaveStatus
from tests.factories import (
    ActivityFactory,
    CouncilMembershipFactory,
    PanelMemberFactory,
    WaveFactory,
    WaveThemeFactory,
)


@pytest.fixture
def wave(console_client):
    wave = WaveFactory(council=console_client.council, status=WaveStatus.OPEN)
    theme = WaveThemeFactory(wave=wave).theme
    ActivityFactory(theme=theme)
    member = PanelMemberFactory(council=wave.council, external_id="PAPER-1")
    issue_invitation(wave, member=member)
    Assignment.objects.create(wave=wave, member=member, arm="a", scheme="simple")
    wave.theme = theme
    return wave


def returns(wave, collective="1", name="returns.csv") -> SimpleUploadedFile:
    text = f"external_id,mode,arm,t{wave.theme.pk}_collective\nPAPER-1,2,2,{collective}\n"
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_a_clean_file_is_checked_then_imported_once(console_client, wave):
    url = reverse("console:response_import", args=[wave.pk])

    checked = console_client.post(url, {"file": returns(wave)})
    upload = ResponseUpload.objects.get()
    report_url = reverse("console:response_import_report", args=[wave.pk, upload.pk])
    page = console_client.get(report_url)
    responses_after_check = Response.objects.count()
    imported = console_client.post(report_url)
    again = console_client.post(report_url, follow=True)

    assert checked.status_code == 302
    assert checked.url == report_url
    assert "The file is fine: 1 response is ready to import." in page.content.decode()
    assert responses_after_check == 0
    assert imported.status_code == 302
    assert Response.objects.get().mode == "paper"
    assert "This file cannot be imported again; upload it anew." in again.content.decode()
    assert Response.objects.count() == 1
    upload.refresh_from_db()
    assert bytes(upload.content) == b""
    assert upload.result == {"created": 1, "updated": 0, "unchanged": 0}
    assert AuditEntry.objects.filter(action="import_responses").count() == 1


def test_a_file_with_problems_lists_them_and_keeps_nothing(console_client, wave):
    url = reverse("console:response_import", args=[wave.pk])

    console_client.post(url, {"file": returns(wave, collective="7")})
    upload = ResponseUpload.objects.get()
    report_url = reverse("console:response_import_report", args=[wave.pk, upload.pk])
    page = console_client.get(report_url).content.decode()
    console_client.post(report_url)

    assert "1 problem found: nothing was imported" in page
    assert "“7” is not one of the codes of this question" in page
    assert bytes(upload.content) == b""
    assert Response.objects.count() == 0


def test_the_wave_page_links_to_the_import(console_client, wave):
    page = console_client.get(reverse("console:wave", args=[wave.pk])).content.decode()

    assert reverse("console:response_import", args=[wave.pk]) in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_councils_wave_and_upload_answer_404(console_client, method):
    # Given a wave and an upload of another council
    other = CouncilMembershipFactory().council
    their_wave = WaveFactory(council=other, status=WaveStatus.OPEN)
    theirs = ResponseUpload.objects.create(
        council=other, wave=their_wave, filename="r.csv", content=b"x", report={}
    )
    own_wave = WaveFactory(council=console_client.council, status=WaveStatus.OPEN)
    call = getattr(console_client, method)

    assert call(reverse("console:response_import", args=[their_wave.pk])).status_code == 404
    assert (
        call(reverse("console:response_import_report", args=[their_wave.pk, theirs.pk])).status_code
        == 404
    )
    # The upload is not reachable through one's own wave either
    assert (
        call(reverse("console:response_import_report", args=[own_wave.pk, theirs.pk])).status_code
        == 404
    )
    assert bytes(ResponseUpload.objects.get(pk=theirs.pk).content) == b"x"


def test_a_draft_wave_takes_no_file(console_client):
    draft = WaveFactory(council=console_client.council, status=WaveStatus.DRAFT)
    WaveThemeFactory(wave=draft)
    url = reverse("console:response_import", args=[draft.pk])
    upload = SimpleUploadedFile("r.csv", b"external_id,mode\n", content_type="text/csv")

    page = console_client.get(url).content.decode()
    posted = console_client.post(url, {"file": upload})

    assert "responses can be imported once it is open" in page
    assert posted.status_code == 400
    assert ResponseUpload.objects.count() == 0
