"""Invitations and reminders through a real Celery worker and the real Redis broker."""

import time

import pytest
from django.core import mail
from django.utils import timezone

from experiments.emails import queue_invitations
from experiments.models import DeliveryStatus, EmailDelivery, ReminderSchedule
from experiments.tasks import send_due_reminders
from tests.factories import MemberContactFactory
from tests.test_celery_worker import real_worker  # noqa: F401  (the fixture)


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_invitations_and_reminders_are_sent_by_a_real_worker_in_both_languages(
    open_wave,
    real_worker,  # noqa: F811
    settings,
):
    # Given a Welsh reader and an English reader on the panel (the worker shares this
    # process, so Django's locmem outbox shows what it sent)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    welsh = MemberContactFactory(member__council=open_wave.council, member__preferred_language="cy")
    english = MemberContactFactory(
        member__council=open_wave.council, member__preferred_language="en"
    )

    # When invitations are queued, then a due reminder is sent by the beat task on the worker
    assert queue_invitations(open_wave) == 2
    assert wait_for(lambda: EmailDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 2)
    ReminderSchedule.objects.create(wave=open_wave, send_at=timezone.now())
    send_due_reminders.delay()
    assert wait_for(lambda: EmailDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 4)

    # Then each member got an invitation and a reminder, their own language first
    received = sorted((m.to[0], m.subject.split(":")[0]) for m in mail.outbox)
    assert received == sorted(
        [
            (welsh.email, "Eich barn"),
            (welsh.email, "Nodyn atgoffa – eich barn"),
            (english.email, "Your views"),
            (english.email, "Reminder – your views"),
        ]
    )
    for message in mail.outbox:
        assert "/unsubscribe/" in message.body
        assert "Dear" in message.body
        assert "Annwyl" in message.body
