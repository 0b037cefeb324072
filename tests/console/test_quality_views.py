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
def test_the_wave_page_shows_the_power_plan_and_warns_about_a_hoped_for_effect(console_client):
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

    assert 'data-testid="power-plan"' in page
    assert "Active panel members</dt><dd>400" in page
    assert "50.0 %" in page
    assert 'data-testid="power-warnings"' in page
    assert "Parks: A and B vs none (Individual index)" in page


@pytest.mark.django_db
def test_the_wave_form_takes_the_planning_fields_and_refuses_an_impossible_rate(console_client):
    wave = WaveFactory(council=console_client.council, status=WaveStatus.DRAFT)
    theme = WaveThemeFactory(wave=wave).theme
    data = {
        "council": wave.council.pk,
        "title": wave.title,
        "themes": [theme.pk],
        "experiment_on": "on",
        "expected_response_rate": "1.5",
        "hoped_for_effect": "0.05",
    }

    refused = console_client.post(reverse("console:wave_edit", args=[wave.pk]), data)

    assert refused.status_code == 400
    assert "Ensure this value is less than or equal to 1" in refused.content.decode()
    wave.refresh_from_db()
    assert wave.expected_response_rate is None
    accepted = console_client.post(
        reverse("console:wave_edit", args=[wave.pk]), {**data, "expected_response_rate": "0.4"}
    )
    assert accepted.status_code == 302
    wave.refresh_from_db()
    assert (wave.expected_response_rate, wave.hoped_for_effect) == (0.4, 0.05)


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
    assert [m.subject for m in mail.outbox] == [f"Am yr arolwg: {wave.title}"]
    assert list(staff_actions().order_by("pk").values_list("action", flat=True)) == [
        "close_wave",
        "approve_debrief",
        "send_debrief",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_debrief_without_welsh_is_refused_and_kept_as_it_was(console_client):
    wave = WaveFactory(council=console_client.council)
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
