import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from experiments.emails import (
    deliver_email,
    queue_invitations,
    record_bounce,
    send_due_reminders,
    unsubscribe_token,
)
from experiments.invitations import find_invitation
from experiments.models import (
    DeliveryStatus,
    EmailDelivery,
    EmailKind,
    ReminderSchedule,
    ResponseStatus,
    WaveStatus,
)
from experiments.models.responses import Response
from panel.models import MemberStatus
from tests.factories import MemberContactFactory, WaveFactory


def contact(wave, **member_fields):
    return MemberContactFactory(
        member__council=wave.council, **{f"member__{k}": v for k, v in member_fields.items()}
    )


@pytest.mark.django_db(transaction=True)
def test_invitations_go_to_each_active_member_once_in_their_language_first(open_wave):
    # Given an English reader, a Welsh reader and a withdrawn member
    english = contact(open_wave, preferred_language="en")
    welsh = contact(open_wave, preferred_language="cy")
    contact(open_wave, status=MemberStatus.WITHDRAWN)

    # When invitations are sent twice
    first = queue_invitations(open_wave)
    second = queue_invitations(open_wave)

    # Then two e-mails went out, once each, with both languages, preferred first
    assert (first, second) == (2, 0)
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {english.email, welsh.email}
    to_english, to_welsh = by_address[english.email], by_address[welsh.email]
    english_title, welsh_title = open_wave.title, open_wave.title_cy
    assert to_english.subject == f"Your views: {english_title} / Eich barn: {welsh_title}"
    assert to_welsh.subject == f"Eich barn: {welsh_title} / Your views: {english_title}"
    assert to_english.body.index("you are invited") < to_english.body.index("fe'ch gwahoddir")
    assert to_welsh.body.index("fe'ch gwahoddir") < to_welsh.body.index("you are invited")
    assert EmailDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_link_in_the_email_opens_the_questionnaire_and_the_unsubscribe_link_works(
    client, open_wave
):
    person = contact(open_wave)
    queue_invitations(open_wave)
    body = mail.outbox[0].body
    link = next(line for line in body.splitlines() if "/i/" in line).strip()
    unsubscribe = next(line for line in body.splitlines() if "/unsubscribe/" in line).strip()

    assert find_invitation(link.rsplit("/i/", 1)[1].strip("/")).member == person.member
    assert mail.outbox[0].extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    path = unsubscribe.split("127.0.0.1:8000", 1)[1]
    assert client.get(path).status_code == 200
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    person.member.refresh_from_db()
    assert person.member.status == MemberStatus.UNSUBSCRIBED


@pytest.mark.django_db
def test_a_forged_unsubscribe_token_changes_nothing(client):
    member = MemberContactFactory().member
    token = unsubscribe_token(member)[:-2] + "xx"

    response = client.post(reverse("experiments:unsubscribe", args=[token]))

    assert response.status_code == 404
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_a_failed_send_is_recorded_with_its_error(open_wave, settings):
    # Given a mail server that refuses connections
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    contact(open_wave)

    queue_invitations(open_wave)

    delivery = EmailDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error.startswith("ConnectionRefusedError")
    # Sending again is safe: a failed delivery is not retried silently
    assert deliver_email(delivery.pk).status == DeliveryStatus.FAILED
    assert delivery.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_bounce_is_recorded(open_wave):
    contact(open_wave)
    queue_invitations(open_wave)

    delivery = record_bounce(EmailDelivery.objects.get().pk, reason="550 mailbox unknown")

    assert (delivery.status, delivery.error) == (DeliveryStatus.BOUNCED, "550 mailbox unknown")


@pytest.mark.django_db(transaction=True)
def test_due_reminders_go_only_to_members_who_have_not_completed(open_wave):
    # Given three invited members, one of whom completed, and a reminder due now
    done, _, _ = (contact(open_wave) for _ in range(3))
    queue_invitations(open_wave)
    Response.objects.create(
        wave=open_wave,
        member=done.member,
        status=ResponseStatus.COMPLETE,
        submitted_at=timezone.now(),
    )
    later = ReminderSchedule.objects.create(
        wave=open_wave, send_at=timezone.now() + dt.timedelta(days=1)
    )
    due = ReminderSchedule.objects.create(wave=open_wave, send_at=timezone.now())
    mail.outbox.clear()

    # When the beat task runs twice
    sent = send_due_reminders()
    again = send_due_reminders()

    # Then two reminders went out, once, and the later schedule waits
    assert (sent, again) == (2, 0)
    assert len(mail.outbox) == 2
    assert done.email not in {m.to[0] for m in mail.outbox}
    assert all(m.subject.startswith("Reminder") for m in mail.outbox)
    assert "Nodyn atgoffa" in mail.outbox[0].body
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.recipients, later.sent_at) == (2, None)
    assert EmailDelivery.objects.filter(kind=EmailKind.REMINDER).count() == 2


@pytest.mark.django_db
def test_invitations_are_refused_for_a_draft_wave():
    wave = WaveFactory(status=WaveStatus.DRAFT)
    contact(wave)

    with pytest.raises(ValueError, match="open wave"):
        queue_invitations(wave)

    assert EmailDelivery.objects.count() == 0


def _link_token(message) -> str:
    link = next(line for line in message.body.splitlines() if "/i/" in line).strip()
    return link.rsplit("/i/", 1)[1].strip("/")


@pytest.mark.django_db(transaction=True)
def test_the_invitation_link_still_works_after_a_reminder_was_sent(open_wave):
    # Given a member invited, then reminded with a second link
    person = contact(open_wave)
    queue_invitations(open_wave)
    ReminderSchedule.objects.create(wave=open_wave, send_at=timezone.now())
    send_due_reminders()
    first, reminder = (_link_token(message) for message in mail.outbox)

    # Then both e-mails' links open the same invitation
    assert first != reminder
    assert find_invitation(first).member == person.member
    assert find_invitation(reminder) == find_invitation(first)


@pytest.mark.django_db(transaction=True)
def test_no_earlier_link_works_once_the_invitation_expired(open_wave):
    person = contact(open_wave)
    queue_invitations(open_wave)
    ReminderSchedule.objects.create(wave=open_wave, send_at=timezone.now())
    send_due_reminders()
    tokens = [_link_token(message) for message in mail.outbox]

    person.member.invitations.update(expires_at=timezone.now())

    assert [find_invitation(token) for token in tokens] == [None, None]
