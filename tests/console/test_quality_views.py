"""The console shows the power plan and runs the debrief's approval and sending."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.log import staff_actions
from experiments.models import Debrief, EmailDelivery, Response, ResponseStatus, WaveStatus
from experiments.policy import SYSTEM
from experiments.waves import close_wave
from tests.factories import MemberContactFactory, PanelMemberFactory, WaveFactory, WaveThemeFactory


@pytest.mark.django_db
def test_the_wave_page_says_what_the_wave_can_detect_and_the_power_page_shows_the_plan(
    console_client,
):
    # given a draft wave of 400 members, half expected to answer, hoping for 5 points
    wave = WaveFactory(
        council=console_client.council,
        status=WaveStatus.DRAFT,
        expected_response_rate=0.5,
        hoped_for_effect=0.05,
    )
    WaveThemeFactory(wave=wave, theme__name_en="Parks")
    PanelMemberFactory.create_batch(400, council=wave.council)

    page = console_client.get(reverse("console:wave", args=[wave.pk])).content.decode()
    plan = console_client.get(reverse("console:wave_power", args=[wave.pk])).content.decode()

    # then the wave page gives a one-line verdict and a warning, without the tables
    assert (
        "With about 200 answers you can detect a change of 14 points or more in individual "
        "co-production between a group and the control." in page
    )
    assert "the wave is too small to detect it reliably" in page
    assert 'data-testid="power-plan"' not in page
    # and the power page has the full plan
    assert 'data-testid="power-plan"' in plan
    assert 'Active panel members</dt><dd class="govuk-summary-list__value">400' in plan
    assert "50.0 %" in plan
    assert 'data-testid="power-warnings"' in plan
    assert "Parks: A and B vs none (Individual index)" in plan


@pytest.mark.django_db
def test_the_settings_page_takes_the_planning_fields_and_refuses_an_impossible_rate(
    console_client,
):
    wave = WaveFactory(council=console_client.council, status=WaveStatus.DRAFT)
    WaveThemeFactory(wave=wave)
    data = {
        "allocation_scheme": "blocks",
        "strata": "",
        "time_questions": "both",
        "questions_per_page": "12",
        "expected_response_rate": "1.5",
        "hoped_for_effect": "0.05",
    }

    refused = console_client.post(reverse("console:wave_settings", args=[wave.pk]), data)

    assert refused.status_code == 400
    assert "Ensure this value is less than or equal to 1" in refused.content.decode()
    wave.refresh_from_db()
    assert wave.expected_response_rate is None
    accepted = console_client.post(
        reverse("console:wave_settings", args=[wave.pk]),
        {**data, "expected_response_rate": "0.4", "manipulation_check": "on"},
    )
    assert accepted.status_code == 302
    wave.refresh_from_db()
    assert (wave.expected_response_rate, wave.hoped_for_effect, wave.manipulation_check) == (
        0.4,
        0.05,
        True,
    )


@pytest.mark.django_db(transaction=True)
def test_the_admin_approves_then_sends_the_debrief_from_the_wave_page(console_client):
    # given a closed wave with one Welsh member who took part
    wave = WaveFactory(council=console_client.council)
    WaveThemeFactory(wave=wave)
    person = MemberContactFactory(member__council=wave.council, member__preferred_language="cy")
    Response.objects.create(
        wave=wave, member=person.member, status=ResponseStatus.COMPLETE, submitted_at=timezone.now()
    )
    close_wave(SYSTEM, wave)
    debrief = Debrief.objects.get(wave=wave)
    page = console_client.get(reverse("console:wave", args=[wave.pk])).content.decode()
    assert "Draft: ready to approve" in page

    # when sending is tried before approval, then after it
    console_client.post(reverse("console:debrief_send", args=[debrief.pk]))
    assert EmailDelivery.objects.count() == 0
    console_client.post(reverse("console:debrief_approve", args=[debrief.pk]))
    console_client.post(reverse("console:debrief_send", args=[debrief.pk]))

    # then one Welsh e-mail went out and both steps are in the audit log
    assert [m.subject for m in mail.outbox] == [f"Am yr arolwg: {wave.title_cy}"]
    assert list(staff_actions().order_by("pk").values_list("action", flat=True)) == [
        "close_wave",
        "approve_debrief",
        "send_debrief",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_debrief_without_welsh_is_refused_and_kept_as_it_was(console_client):
    wave = WaveFactory(council=console_client.council)
    person = MemberContactFactory(member__council=wave.council)
    Response.objects.create(
        wave=wave, member=person.member, status=ResponseStatus.COMPLETE, submitted_at=timezone.now()
    )
    close_wave(SYSTEM, wave)
    debrief = Debrief.objects.get(wave=wave)
    before = (debrief.text_en, debrief.text_cy)

    page = console_client.post(
        reverse("console:debrief_edit", args=[debrief.pk]), {"text_en": "New", "text_cy": ""}
    )

    assert page.status_code == 400
    assert "Write the message in Welsh." in page.content.decode()
    debrief.refresh_from_db()
    assert (debrief.text_en, debrief.text_cy) == before


@pytest.mark.django_db(transaction=True)
def test_a_closed_wave_nobody_completed_offers_no_message_to_members_and_says_why(
    console_client,
):
    # given a closed wave whose only answer was never finished, and a debrief drafted
    # before anyone could know that nobody would complete
    wave = WaveFactory(council=console_client.council)
    WaveThemeFactory(wave=wave)
    person = MemberContactFactory(member__council=wave.council)
    Response.objects.create(wave=wave, member=person.member, status=ResponseStatus.PARTIAL)
    close_wave(SYSTEM, wave)
    Debrief.objects.create(wave=wave, kind="debrief", text_en="Thanks", text_cy="Diolch")

    page = console_client.get(reverse("console:wave", args=[wave.pk])).content.decode()

    # then no draft is offered to approve, edit or send, and the page says why
    assert 'data-testid="debrief-' not in page
    assert "Draft: ready to approve" not in page
    assert (
        "Nobody completed the wave, so there is nobody to send a debrief or a summary of "
        "its results to." in page
    )
    assert list(Debrief.objects.filter(wave=wave).values_list("kind", flat=True)) == ["debrief"]
