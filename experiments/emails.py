"""Invitation and reminder e-mails: queue them, send one, record what happened.

Every e-mail carries English and Welsh, the member's preferred language first, and an
unsubscribe link that works without logging in. Each message is an `EmailDelivery` row
that moves from queued to sent or failed (and later perhaps bounced), so the console can
show exactly what happened to whom.
"""

import base64
import hashlib
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from experiments.debriefs import EMAIL_KIND
from experiments.debriefs import SUBJECTS as DEBRIEF_SUBJECTS
from experiments.invitations import issue_invitation
from experiments.models import (
    Debrief,
    DeliveryStatus,
    EmailDelivery,
    EmailKind,
    Invitation,
    ReminderSchedule,
    Response,
    ResponseStatus,
    Wave,
    WaveStatus,
)
from experiments.questionnaires import wave_time_estimate
from outbox.relay import enqueue_many
from panel.models import MemberContact, MemberStatus, PanelMember

UNSUBSCRIBE_SALT = "panel.unsubscribe"
SUBJECTS = {
    EmailKind.INVITATION: {
        "en": "Your views: {title}",
        "cy": "Eich barn: {title}",
    },
    EmailKind.REMINDER: {
        "en": "Reminder – your views: {title}",
        "cy": "Nodyn atgoffa – eich barn: {title}",
    },
}


# A link to leave the panel that names no internal id: the member's id is encrypted (Fernet,
# AES with an HMAC, under a key derived from SECRET_KEY), and the token carries the time it
# was made, so the link expires with the member's retention period.
LEAVING_LINK_DAYS_WITHOUT_RETENTION = 730


def _leaving_fernet() -> Fernet:
    key = hashlib.sha256(f"{UNSUBSCRIBE_SALT}:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def unsubscribe_token(member: PanelMember) -> str:
    # Without base64's padding, so the link reads the same in every address bar.
    return _leaving_fernet().encrypt(str(member.pk).encode()).decode().rstrip("=")


def leaving_link_days(member: PanelMember) -> int:
    """Return how long a leaving link stays valid: the council's retention period."""
    return member.council.retention_days or LEAVING_LINK_DAYS_WITHOUT_RETENTION


def member_for_unsubscribe_token(token: str, *, now=None) -> PanelMember | None:
    """Return the member a leaving link names, or None for a bad, expired or erased one.

    Links sent before the ids were encrypted (Django-signed, readable) keep working until
    they expire too.
    """
    now = now or timezone.now()
    try:
        fernet, padded = _leaving_fernet(), (token + "=" * (-len(token) % 4)).encode()
        member_id = int(fernet.decrypt(padded))
        made = datetime.fromtimestamp(fernet.extract_timestamp(padded), tz=UTC)
    except (InvalidToken, ValueError):
        try:
            member_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)["member"]
            # A signed value is "payload:timestamp:signature", the timestamp in base 62.
            made = datetime.fromtimestamp(signing.b62_decode(token.split(":")[-2]), tz=UTC)
        except (signing.BadSignature, KeyError, TypeError, IndexError, ValueError):
            return None
    member = PanelMember.objects.select_related("council").filter(pk=member_id).first()
    if member is None or member.erased_at is not None:
        return None
    if now - made > timedelta(days=leaving_link_days(member)):
        return None
    return member


def unsubscribe_url(member: PanelMember) -> str:
    return settings.PUBLIC_BASE_URL + reverse(
        "experiments:unsubscribe", args=[unsubscribe_token(member)]
    )


def _recipients(wave: Wave):
    """Active members of the wave's council with an e-mail address."""
    return PanelMember.objects.filter(
        council_id=wave.council_id,
        status=MemberStatus.ACTIVE,
        pk__in=MemberContact.objects.exclude(email="").values("member_id"),
    )


def queue_invitations(wave: Wave) -> int:
    """Queue an invitation e-mail to every active member not yet sent one; return how many."""
    if wave.status != WaveStatus.OPEN:
        raise ValueError("Invitations can only be sent for an open wave.")
    already = EmailDelivery.objects.filter(
        wave=wave, kind=EmailKind.INVITATION, member=OuterRef("pk")
    ).exclude(status=DeliveryStatus.FAILED)
    members = _recipients(wave).filter(~Exists(already))
    return _queue(wave, members, kind=EmailKind.INVITATION)


def queue_reminders(wave: Wave) -> int:
    """Queue a reminder to every invited active member who has not completed; return how many."""
    if wave.status != WaveStatus.OPEN:
        return 0
    members = (
        _recipients(wave)
        .filter(Exists(Invitation.objects.filter(wave=wave, member=OuterRef("pk"))))
        .exclude(
            Exists(
                Response.objects.filter(
                    wave=wave, member=OuterRef("pk"), status=ResponseStatus.COMPLETE
                )
            )
        )
    )
    return _queue(wave, members, kind=EmailKind.REMINDER)


def _queue(wave: Wave, members, *, kind: str) -> int:
    with transaction.atomic():
        deliveries = EmailDelivery.objects.bulk_create(
            [
                EmailDelivery(wave=wave, member_id=pk, kind=kind)
                for pk in members.values_list("pk", flat=True)
            ],
            batch_size=2000,
        )
        # One outbox job per e-mail, in the same transaction: a broker outage loses none,
        # and a job sent twice finds its delivery no longer queued.
        ids = [d.pk for d in deliveries]
        enqueue_many("experiments.tasks.send_email", [{"delivery_id": pk} for pk in ids])
    return len(ids)


def send_due_reminders(*, now=None) -> int:
    """Send every planned reminder whose time has come, once; return the number of e-mails."""
    now = now or timezone.now()
    total = 0
    with transaction.atomic():
        due = list(
            ReminderSchedule.objects.select_for_update(skip_locked=True)
            .select_related("wave")
            .filter(sent_at__isnull=True, send_at__lte=now)
        )
        for schedule in due:
            count = queue_reminders(schedule.wave)
            schedule.sent_at = now
            schedule.recipients = count
            schedule.save(update_fields=["sent_at", "recipients"])
            total += count
    return total


def compose_email(delivery: EmailDelivery, *, link: str) -> EmailMessage:
    """Build the bilingual message, the member's preferred language first."""
    member = delivery.member
    wave = delivery.wave
    first = member.preferred_language if member.preferred_language in ("en", "cy") else "en"
    order = [first, "cy" if first == "en" else "en"]
    context = {
        "wave": wave,
        "link": link,
        "unsubscribe": unsubscribe_url(member),
        "name": member.contact.name,
        "closes_at": wave.closes_at,
        "minutes": wave_time_estimate(wave),
    }
    parts = []
    for language in order:
        # Dates in each half are written in that half's language, whoever sends the e-mail,
        # and so are the council's name and the survey's title.
        with translation.override(language):
            template = f"console/emails/{delivery.kind}_{language}.txt"
            named = {
                "council_name": wave.council.name_in(language),
                "title": wave.title_in(language),
            }
            parts.append(render_to_string(template, {**context, **named}).strip())
    subject = " / ".join(
        SUBJECTS[delivery.kind][language].format(title=wave.title_in(language))
        for language in order
    )
    return EmailMessage(
        subject=subject,
        body="\n\n— — —\n\n".join(parts) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[member.contact.email],
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def compose_debrief_email(delivery: EmailDelivery) -> EmailMessage:
    """Build the debrief e-mail in the member's own language."""
    kind = {v: k for k, v in EMAIL_KIND.items()}[delivery.kind]
    debrief = Debrief.objects.get(wave=delivery.wave, kind=kind)
    member = delivery.member
    language = member.preferred_language if member.preferred_language in ("en", "cy") else "en"
    unsubscribe = unsubscribe_url(member)
    footer = {
        "en": "If you no longer want e-mails from the panel, unsubscribe here:",
        "cy": "Os nad ydych eisiau negeseuon e-bost gan y panel mwyach, dad-danysgrifiwch yma:",
    }[language]
    return EmailMessage(
        subject=DEBRIEF_SUBJECTS[kind][language].format(title=delivery.wave.title),
        body=f"{debrief.text_in(language)}\n\n{footer}\n{unsubscribe}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[member.contact.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def deliver_email(delivery_id: int) -> EmailDelivery:
    """Send one queued e-mail with a fresh personal link; safe to call twice.

    A link can only be shown when it is issued (the database keeps just its hash), so each
    e-mail issues a new one; the links of earlier e-mails keep working too.
    """
    with transaction.atomic():
        delivery = (
            EmailDelivery.objects.select_for_update(of=("self",))
            .select_related("wave", "wave__council", "member", "member__contact")
            .get(pk=delivery_id)
        )
        if delivery.status != DeliveryStatus.QUEUED:
            return delivery
        delivery.attempts += 1
        if delivery.member.status != MemberStatus.ACTIVE:
            delivery.status = DeliveryStatus.FAILED
            delivery.error = "The member withdrew or unsubscribed before the e-mail was sent."
            delivery.save(update_fields=["status", "error", "attempts"])
            return delivery
        if delivery.kind in (EmailKind.DEBRIEF, EmailKind.SUMMARY):
            message = compose_debrief_email(delivery)
        else:
            issued = issue_invitation(delivery.wave, member=delivery.member)
            message = compose_email(delivery, link=issued.url)
        try:
            message.send(fail_silently=False)
        except Exception as error:  # any transport failure is recorded, not lost
            delivery.status = DeliveryStatus.FAILED
            delivery.error = f"{type(error).__name__}: {error}"[:2000]
            delivery.save(update_fields=["status", "error", "attempts"])
            return delivery
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = timezone.now()
        delivery.save(update_fields=["status", "sent_at", "attempts"])
    return delivery


def record_bounce(delivery_id: int, *, reason: str) -> EmailDelivery:
    """Mark a sent e-mail as bounced, as reported by the mail provider."""
    with transaction.atomic():
        delivery = EmailDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.status = DeliveryStatus.BOUNCED
        delivery.bounced_at = timezone.now()
        delivery.error = reason[:2000]
        delivery.save(update_fields=["status", "bounced_at", "error"])
    return delivery
