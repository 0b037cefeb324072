"""The console's printing of paper questionnaires and telephone scripts."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from experiments.assignment import simple_arm
from experiments.invitations import issue_invitation
from experiments.models import Arm, Assignment, PaperCopy, WaveStatus
from experiments.paper import version_code
from tests.factories import (
    ActivityFactory,
    NudgeTextFactory,
    PanelMemberFactory,
    WaveFactory,
    WaveThemeFactory,
)

NUDGES = {
    ("a", "en"): "Three in five of your neighbours already help.",
    ("a", "cy"): "Mae tri o bob pump o'ch cymdogion eisoes yn helpu.",
    ("b", "en"): "It takes less than an hour a month.",
    ("b", "cy"): "Mae'n cymryd llai nag awr y mis.",
}


@pytest.fixture
def wave(console_client):
    wave = WaveFactory(council=console_client.council, allocation_scheme="simple")
    theme = WaveThemeFactory(wave=wave).theme
    theme.name_cy = "Yr amgylchedd"
    theme.save()
    ActivityFactory(theme=theme, text_en="Picked up litter", text_cy="Codi sbwriel")
    for nudge in ("a", "b"):
        NudgeTextFactory(
            wave=wave,
            theme=theme,
            nudge=nudge,
            text_en=NUDGES[(nudge, "en")],
            text_cy=NUDGES[(nudge, "cy")],
        )
    return wave


def members_of_every_arm(wave, per_arm=1):
    """Return invited members covering every arm in both languages (simple scheme)."""
    chosen = []
    wanted = {(arm, language): per_arm for arm in Arm.values for language in ("en", "cy")}
    number = 0
    while any(wanted.values()):
        number += 1
        language = "cy" if number % 2 else "en"
        member = PanelMemberFactory(
            council=wave.council, external_id=f"R-{number:03d}", preferred_language=language
        )
        key = (simple_arm(wave.seed, member.pk).value, language)
        if wanted[key]:
            wanted[key] -= 1
            issue_invitation(wave, member=member)
            chosen.append(member)
        else:
            member.delete()
    return chosen


def copies_in(content: str) -> dict[str, str]:
    """Split the printed document into each member's copy, by external id."""
    parts = re.split(r'<article class="paper-copy"', content)[1:]
    return {re.search(r'data-external-id="([^"]+)"', part).group(1): part for part in parts}


def test_printing_shows_each_member_their_arms_nudges_in_their_language_only(console_client, wave):
    members = members_of_every_arm(wave)
    url = reverse("console:print_paper", args=[wave.pk])

    printed = console_client.post(url, {"kind": "paper", "who": "all"})

    assert printed.status_code == 200
    content = printed.content.decode()
    copies = copies_in(content)
    assert sorted(copies) == sorted(m.external_id for m in members)
    for member in members:
        arm = Assignment.objects.get(wave=wave, member=member).arm
        copy = copies[member.external_id]
        shown = {key for key, text in NUDGES.items() if text.replace("'", "&#x27;") in copy}
        assert shown == {(nudge, member.preferred_language) for nudge in Arm(arm).nudges}
        assert f"{member.external_id}</span>" in copy
        version = "Fersiwn" if member.preferred_language == "cy" else "Version"
        assert f"{version} {version_code(arm)}</span>" in copy
        assert f'lang="{member.preferred_language}"' in copy
    # Every question of the page is there with its tick boxes, in the member's language
    welsh = copies[next(m.external_id for m in members if m.preferred_language == "cy")]
    assert "Codi sbwriel" in welsh
    assert "Picked up litter" not in welsh
    assert welsh.count('class="paper-box"') > 20
    # The document passes the content security policy: no inline style or script
    assert "unsafe-inline" not in printed["Content-Security-Policy"]
    for inline in ("<script", "<style", "style="):
        assert inline not in content
    assert "/static/css/paper.css" in content
    assert printed["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action="print_paper")
    assert entry.details == {"kind": "paper", "count": len(members)}


def test_telephone_scripts_tell_the_interviewer_to_read_the_information_first(console_client, wave):
    member = PanelMemberFactory(council=wave.council, external_id="PHONE-1")
    url = reverse("console:print_paper", args=[wave.pk])

    printed = console_client.post(
        url, {"kind": "phone", "who": "listed", "external_ids": "PHONE-1"}
    )

    assert printed.status_code == 200
    assert "Interviewer: read each theme" in printed.content.decode()
    copy = PaperCopy.objects.get(member=member)
    assert (copy.kind, copy.arm) == ("phone", Assignment.objects.get(member=member).arm)


def test_listed_ids_with_problems_print_and_allocate_nothing(console_client, wave):
    PanelMemberFactory(council=wave.council, external_id="OK-1")
    url = reverse("console:print_paper", args=[wave.pk])

    page = console_client.post(
        url, {"kind": "paper", "who": "listed", "external_ids": "OK-1\nMISSING-9"}
    )

    assert page.status_code == 400
    assert (
        "No member of this council&#x27;s panel has the external id “MISSING-9”."
        in page.content.decode()
    )
    assert not Assignment.objects.filter(wave=wave).exists()
    assert not PaperCopy.objects.exists()


def test_listing_nobody_is_a_clear_error(console_client, wave):
    url = reverse("console:print_paper", args=[wave.pk])

    page = console_client.post(url, {"kind": "paper", "who": "listed", "external_ids": " "})

    assert page.status_code == 400
    assert "Enter the external ids of the members to print for." in page.content.decode()


def test_ids_can_come_from_an_uploaded_file(console_client, wave):
    from django.core.files.uploadedfile import SimpleUploadedFile

    member = PanelMemberFactory(council=wave.council, external_id="FILE-1")
    upload = SimpleUploadedFile("ids.csv", b"\xef\xbb\xbfexternal_id\r\nFILE-1\r\n")
    url = reverse("console:print_paper", args=[wave.pk])

    printed = console_client.post(url, {"kind": "paper", "who": "listed", "file": upload})

    assert printed.status_code == 200
    assert Assignment.objects.filter(wave=wave, member=member).exists()


@pytest.mark.parametrize("status", [WaveStatus.DRAFT, WaveStatus.CLOSED])
def test_a_wave_that_is_not_open_is_refused_with_a_reason(console_client, wave, status):
    members_of_every_arm(wave)
    wave.status = status
    wave.save(update_fields=["status"])
    url = reverse("console:print_paper", args=[wave.pk])

    shown = console_client.get(url)
    page = console_client.post(url, {"kind": "paper", "who": "all"})

    message = "Paper questionnaires can only be printed while the wave is open."
    assert shown.status_code == 200
    assert message in shown.content.decode()
    assert 'name="who"' not in shown.content.decode()
    assert page.status_code == 400
    assert message in page.content.decode()
    assert not Assignment.objects.filter(wave=wave).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_councils_wave_answers_404_and_allocates_nobody(console_client, method):
    other = WaveFactory()
    member = PanelMemberFactory(council=other.council, external_id="THEIRS")
    issue_invitation(other, member=member)
    url = reverse("console:print_paper", args=[other.pk])

    answer = getattr(console_client, method)(url, {"kind": "paper", "who": "all"})

    assert answer.status_code == 404
    assert not Assignment.objects.exists()
    assert not PaperCopy.objects.exists()


def test_the_open_waves_page_links_to_printing(console_client, wave):
    page = console_client.get(reverse("console:wave", args=[wave.pk]))

    assert reverse("console:print_paper", args=[wave.pk]) in page.content.decode()
