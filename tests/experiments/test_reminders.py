"""A reminder is planned only for a time still to come and before the wave closes."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.log import staff_actions
from experiments.invitations import schedule_reminder
from experiments.models import CouncilRole, ReminderSchedule, WaveStatus
from surveyplatform.domain import InvalidInput, InvalidState
from tests.factories import CouncilMembershipFactory, WaveFactory


@pytest.fixture
def admin(db):
    return CouncilMembershipFactory(role=CouncilRole.ADMIN)


def test_a_reminder_in_the_future_before_the_closing_time_is_planned_and_audited(admin):
    wave = WaveFactory(council=admin.council, closes_at=timezone.now() + dt.timedelta(days=10))
    send_at = timezone.now() + dt.timedelta(days=3)

    schedule = schedule_reminder(admin.user, wave, send_at=send_at)

    assert (schedule.wave, schedule.send_at, schedule.sent_at) == (wave, send_at, None)
    assert list(staff_actions().values_list("action", flat=True)) == ["schedule_reminder"]


@pytest.mark.parametrize(
    "send_at",
    [
        dt.datetime(2020, 3, 1, 9, 0, tzinfo=dt.UTC),
        "now",
        "a minute ago",
    ],
)
def test_a_reminder_in_the_past_is_refused_with_a_clear_error(admin, send_at):
    wave = WaveFactory(council=admin.council)
    if send_at == "now":
        send_at = timezone.now()
    elif send_at == "a minute ago":
        send_at = timezone.now() - dt.timedelta(minutes=1)

    with pytest.raises(InvalidInput) as refused:
        schedule_reminder(admin.user, wave, send_at=send_at)

    assert refused.value.fields == {"send_at": ["Choose a time in the future for the reminder."]}
    assert ReminderSchedule.objects.count() == 0
    assert staff_actions().count() == 0


@pytest.mark.parametrize("after", [dt.timedelta(0), dt.timedelta(hours=1)])
def test_a_reminder_at_or_after_the_closing_time_is_refused(admin, after):
    closes_at = timezone.now() + dt.timedelta(days=2)
    wave = WaveFactory(council=admin.council, closes_at=closes_at)

    with pytest.raises(InvalidInput) as refused:
        schedule_reminder(admin.user, wave, send_at=closes_at + after)

    local = timezone.localtime(closes_at)
    assert refused.value.fields == {
        "send_at": [f"Choose a time before the wave closes ({local:%d/%m/%Y %H:%M})."]
    }
    assert ReminderSchedule.objects.count() == 0


def test_a_reminder_for_a_closed_wave_is_refused(admin):
    wave = WaveFactory(council=admin.council, status=WaveStatus.CLOSED)

    with pytest.raises(InvalidState):
        schedule_reminder(admin.user, wave, send_at=timezone.now() + dt.timedelta(days=1))

    assert ReminderSchedule.objects.count() == 0


def test_the_console_shows_a_reminder_dated_2020_as_an_error_on_the_field(client, admin):
    # Given the invitations page of an open wave
    wave = WaveFactory(council=admin.council)
    client.force_login(admin.user)

    # When a reminder dated 2020 is planned
    response = client.post(
        reverse("console:schedule_reminder", args=[wave.pk]), {"send_at": "2020-03-01T09:00"}
    )

    # Then the page answers 400 with the error by the field, and nothing is planned
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose a time in the future for the reminder." in body
    assert 'href="#id_send_at"' in body
    assert "Reminder planned" not in body
    assert ReminderSchedule.objects.count() == 0


def test_the_console_plans_a_reminder_in_the_future_and_lists_it(client, admin):
    wave = WaveFactory(council=admin.council)
    client.force_login(admin.user)
    send_at = timezone.localtime() + dt.timedelta(days=2)

    response = client.post(
        reverse("console:schedule_reminder", args=[wave.pk]),
        {"send_at": send_at.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("console:invitations", args=[wave.pk])
    assert ReminderSchedule.objects.filter(wave=wave).count() == 1
    assert send_at.strftime("%d/%m/%Y %H:%M") in response.content.decode()
