"""Invitation and reminder e-mails: word them, queue them, send one, keep what was sent.

Every e-mail carries English and Welsh, the member's preferred language first, and an
unsubscribe link that works without logging in. Each message is an `EmailDelivery` row
that moves from queued to sent or failed (and later perhaps bounced), so the console can
show exactly what happened to whom.

The wording is the council's own (`InvitationTemplate`) or the standard one below, with
placeholders in braces filled in for each member. The personal link must be in the body,
and the unsubscribe line is added below it whatever the wording. Where
`KEEP_SENT_EMAILS` is on (the demo and development), a copy of every e-mail sent is kept
(`EmailCopy`) for the console's list of sent e-mails, without the member's name or links.
"""

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.utils import parseaddr

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from experiments.debriefs import EMAIL_KIND
from experiments.debriefs import SUBJECTS as DEBRIEF_SUBJECTS
from experiments.links import issue_invitation
from experiments.models import (
    Council,
    Debrief,
    DeliveryStatus,
    EmailCopy,
    EmailDelivery,
    EmailKind,
    Invitation,
    InvitationBatch,
    InvitationTemplate,
    ReminderSchedule,
    Response,
    ResponseStatus,
    Wave,
    WaveStatus,
)
from experiments.policy import Right, get_scoped, scoped
from experiments.questionnaires import wave_time_estimate
from outbox.relay import enqueue, enqueue_many
from panel.models import MemberContact, MemberStatus, PanelMember
from surveyplatform.text import LINE_BREAKS

UNSUBSCRIBE_SALT = "panel.unsubscribe"
SEND_EMAIL = "experiments.tasks.send_email"
SEND_TEST_EMAIL = "experiments.tasks.send_test_email"
LANGUAGES = ("en", "cy")


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


# --- Wording ------------------------------------------------------------------------------

# What each placeholder stands for, as the wording form lists them.
PLACEHOLDERS = {
    "name": gettext_lazy("the member's name (“panel member” when the panel has none)"),
    "link": gettext_lazy("the member's personal link to the survey (required in the body)"),
    "closing_date": gettext_lazy("the day the survey closes, for example 17 March 2027"),
    "council": gettext_lazy("the council's name"),
    "title": gettext_lazy("the survey's title"),
    "minutes": gettext_lazy("about how many minutes the survey takes"),
}
BODY_PLACEHOLDERS = frozenset(PLACEHOLDERS)
# A subject names no one and carries no link: it is read in inbox lists and in headers.
SUBJECT_PLACEHOLDERS = frozenset({"council", "title", "closing_date"})
REQUIRED_IN_BODY = ("link",)
# Any run of braces around a word: "{name}" is a placeholder; "{{name}}" or "{ name }" is
# refused with a message rather than sent as typed.
PLACEHOLDER = re.compile(r"(\{+)([^{}\n]{0,40})(\}+)")

STANDARD_WORDING = {
    EmailKind.INVITATION: {
        "en": (
            "Your views: {title}",
            "Dear {name},\n\n"
            "As a member of the {council} citizen panel, you are invited to take part in our "
            "survey “{title}”. It takes about {minutes} minutes.\n\n"
            "Your personal link (please do not share it):\n{link}\n\n"
            "The survey closes on {closing_date}.",
        ),
        "cy": (
            "Eich barn: {title}",
            "Annwyl {name},\n\n"
            "Fel aelod o banel dinasyddion {council}, fe'ch gwahoddir i gymryd rhan yn ein "
            "harolwg “{title}”. Mae'n cymryd tua {minutes} munud.\n\n"
            "Eich dolen bersonol (peidiwch â'i rhannu):\n{link}\n\n"
            "Mae'r arolwg yn cau ar {closing_date}.",
        ),
    },
    EmailKind.REMINDER: {
        "en": (
            "Reminder – your views: {title}",
            "Dear {name},\n\n"
            "A reminder: we would still like to hear your views in our survey “{title}” for "
            "the {council} citizen panel. It takes about {minutes} minutes. If you have "
            "already started, your link takes you back to where you were.\n\n"
            "Your personal link (it replaces the one in our earlier e-mail):\n{link}\n\n"
            "The survey closes on {closing_date}.",
        ),
        "cy": (
            "Nodyn atgoffa – eich barn: {title}",
            "Annwyl {name},\n\n"
            "Nodyn atgoffa: hoffem glywed eich barn o hyd yn ein harolwg “{title}” ar gyfer "
            "panel dinasyddion {council}. Mae'n cymryd tua {minutes} munud. Os ydych eisoes "
            "wedi dechrau, bydd eich dolen yn mynd â chi yn ôl i'r man lle'r oeddech.\n\n"
            "Eich dolen bersonol (mae'n disodli'r un yn ein e-bost blaenorol):\n{link}\n\n"
            "Mae'r arolwg yn cau ar {closing_date}.",
        ),
    },
}

# Below every body, whatever the wording: the way out of the panel is never left out.
UNSUBSCRIBE_LINE = {
    "en": "To stop e-mails from the panel, or to leave it:",
    "cy": "I roi'r gorau i gael e-byst gan y panel, neu i'w adael:",
}
NO_NAME = {"en": "panel member", "cy": "aelod o'r panel"}
NO_CLOSING_DATE = {"en": "(no closing date set)", "cy": "(dim dyddiad cau wedi'i osod)"}
# What a kept copy shows instead of a member's name and links.
HIDDEN = {
    "name": {"en": "[member's name]", "cy": "[enw'r aelod]"},
    "link": {"en": "[personal link]", "cy": "[dolen bersonol]"},
    "unsubscribe": {"en": "[unsubscribe link]", "cy": "[dolen dad-danysgrifio]"},
}
# The example member of a preview and of a test e-mail.
EXAMPLE_NAME = "Alex Morgan"
EXAMPLE_TOKEN = "example-link-for-a-test"
SEPARATOR = "\n\n— — —\n\n"


@dataclass(frozen=True)
class Wording:
    """The text of one kind of e-mail of a council: headers, and subject and body per language."""

    kind: str
    sender_name: str
    reply_to: str
    subject: dict[str, str]
    body: dict[str, str]
    standard: bool

    def as_initial(self) -> dict[str, str]:
        return {
            "sender_name": self.sender_name,
            "reply_to": self.reply_to,
            "subject_en": self.subject["en"],
            "body_en": self.body["en"],
            "subject_cy": self.subject["cy"],
            "body_cy": self.body["cy"],
        }


def standard_wording(kind: str) -> Wording:
    texts = STANDARD_WORDING[kind]
    return Wording(
        kind=kind,
        sender_name="",
        reply_to="",
        subject={lang: texts[lang][0] for lang in LANGUAGES},
        body={lang: texts[lang][1] for lang in LANGUAGES},
        standard=True,
    )


def wording_for(council: Council | int, kind: str) -> Wording:
    """Return the council's wording of this kind of e-mail, or the standard one."""
    council_id = council.pk if isinstance(council, Council) else council
    saved = InvitationTemplate.objects.filter(council_id=council_id, kind=kind).first()
    if saved is None:
        return standard_wording(kind)
    return Wording(
        kind=kind,
        sender_name=saved.sender_name,
        reply_to=saved.reply_to,
        subject={"en": saved.subject_en, "cy": saved.subject_cy},
        body={"en": saved.body_en, "cy": saved.body_cy},
        standard=False,
    )


def _placeholder_problems(text: str, *, allowed: frozenset[str], where: str) -> list[str]:
    problems = []
    for opening, name, closing in PLACEHOLDER.findall(text):
        shown = f"{opening}{name}{closing}"
        if len(opening) > 1 or len(closing) > 1 or name != name.strip():
            problems.append(
                _(
                    "Write each placeholder with one brace on each side and no spaces, "
                    "for example {name}, not %(shown)s."
                )
                % {"shown": shown}
            )
        elif name == "unsubscribe":
            problems.append(
                _("Leave out {unsubscribe}: the unsubscribe line is added below every e-mail.")
            )
        elif name not in allowed:
            known = ", ".join(f"{{{key}}}" for key in PLACEHOLDERS if key in allowed)
            if name in BODY_PLACEHOLDERS:
                message = _("%(shown)s cannot be used in %(where)s. Use one of %(known)s.")
            else:
                message = _("%(shown)s is not a placeholder. Use one of %(known)s.")
            problems.append(message % {"shown": shown, "where": where, "known": known})
    return list(dict.fromkeys(problems))


def wording_problems(
    *,
    sender_name: str,
    reply_to: str,
    subject_en: str,
    subject_cy: str,
    body_en: str,
    body_cy: str,
) -> dict[str, list[str]]:
    """Return what is wrong with a wording, field by field (empty when it can be saved)."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    one_line = _(
        "This text goes into e-mail headers, so it must be one line: remove the line break."
    )
    for field, value in (("sender_name", sender_name), ("reply_to", reply_to),
                         ("subject_en", subject_en), ("subject_cy", subject_cy)):  # fmt: skip
        if any(char in LINE_BREAKS for char in value):
            add(field, one_line)
    for field, value in (("subject_en", subject_en), ("subject_cy", subject_cy)):
        if not value.strip():
            add(field, _("Enter the subject."))
        for message in _placeholder_problems(
            value, allowed=SUBJECT_PLACEHOLDERS, where=_("the subject")
        ):
            add(field, message)
    for field, value in (("body_en", body_en), ("body_cy", body_cy)):
        if not value.strip():
            add(field, _("Enter the text of the e-mail."))
            continue
        for message in _placeholder_problems(value, allowed=BODY_PLACEHOLDERS, where=_("the text")):
            add(field, message)
        names = {found[1] for found in PLACEHOLDER.findall(value)}
        if "link" not in names:
            add(
                field,
                _(
                    "Put {link} in the text: it is the member's personal link, and without "
                    "it they cannot take part."
                ),
            )
    return problems


def _fill(text: str, values: dict[str, str]) -> str:
    """Replace each known placeholder in one pass, so that a value is never read again."""
    return PLACEHOLDER.sub(
        lambda m: values[m.group(2)]
        if len(m.group(1)) == 1 and len(m.group(3)) == 1 and m.group(2) in values
        else m.group(0),
        text,
    )


@dataclass(frozen=True)
class Message:
    """An e-mail ready to send, or to show exactly as it will be sent."""

    from_header: str
    reply_to: str
    to: str
    subject: str
    body: str
    unsubscribe: str
    language_first: str

    @property
    def sections(self) -> list[tuple[str, str]]:
        return body_sections(self.body, self.language_first)

    def as_email(self) -> EmailMessage:
        headers = {}
        if self.unsubscribe:
            headers = {
                "List-Unsubscribe": f"<{self.unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        return EmailMessage(
            subject=self.subject,
            body=self.body,
            from_email=self.from_header,
            to=[self.to],
            reply_to=[self.reply_to] if self.reply_to else None,
            headers=headers,
        )


def language_order(first: str) -> list[str]:
    first = first if first in LANGUAGES else "en"
    return [first, "cy" if first == "en" else "en"]


def body_sections(body: str, first: str) -> list[tuple[str, str]]:
    """Split a bilingual body into its (language, text) halves, for a page to mark up."""
    parts = body.strip("\n").split(SEPARATOR)
    if len(parts) == len(LANGUAGES):
        return list(zip(language_order(first), parts, strict=True))
    return [(first, body.strip("\n"))]


def closing_date(wave: Wave, language: str) -> str:
    if wave.closes_at is None:
        return NO_CLOSING_DATE[language]
    with translation.override(language):
        return dateformat.format(timezone.localtime(wave.closes_at), "j F Y")


def sender_of(wave: Wave, wording: Wording, *, language: str) -> str:
    """Return the From header: the council's sender name and the platform's address."""
    name = wording.sender_name or wave.council.name_in(language)
    _ignored, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    # Quoted where the name holds a comma, quotes or brackets; encoded only when sent.
    return str(Address(display_name=name, addr_spec=address or settings.DEFAULT_FROM_EMAIL))


def render_message(
    wave: Wave,
    wording: Wording,
    *,
    first: str,
    to: str,
    name: str,
    link: str,
    unsubscribe: str,
    hidden: bool = False,
) -> Message:
    """Word one e-mail for one member: both languages, the member's preferred one first.

    With `hidden`, the member's name and links are replaced by markers, for the copy kept
    to read in the console.
    """
    order = language_order(first)
    minutes = str(wave_time_estimate(wave))
    parts, subjects = [], []
    for language in order:
        values = {
            "name": name or NO_NAME[language],
            "link": link,
            "closing_date": closing_date(wave, language),
            "council": wave.council.name_in(language),
            "title": wave.title_in(language),
            "minutes": minutes,
        }
        leaving = unsubscribe
        if hidden:
            values["link"] = HIDDEN["link"][language]
            values["name"] = HIDDEN["name"][language] if name else NO_NAME[language]
            leaving = HIDDEN["unsubscribe"][language]
        body = _fill(wording.body[language], values).strip()
        parts.append(f"{body}\n\n{UNSUBSCRIBE_LINE[language]}\n{leaving}")
        subjects.append(_fill(wording.subject[language], values).strip())
    reply_to = wording.reply_to or wave.council.panel_email
    return Message(
        from_header=sender_of(wave, wording, language=order[0]),
        reply_to=reply_to,
        to=to,
        subject=" / ".join(subjects),
        body=SEPARATOR.join(parts) + "\n",
        unsubscribe="" if hidden else unsubscribe,
        language_first=order[0],
    )


def example_link() -> str:
    return settings.PUBLIC_BASE_URL + reverse("experiments:invitation", args=[EXAMPLE_TOKEN])


def example_unsubscribe_link() -> str:
    return settings.PUBLIC_BASE_URL + reverse("experiments:unsubscribe", args=[EXAMPLE_TOKEN])


def preview_message(wave: Wave, wording: Wording, *, first: str, to: str = "") -> Message:
    """Return the e-mail as a member would receive it, with an example name and link."""
    return render_message(
        wave,
        wording,
        first=first,
        to=to,
        name=EXAMPLE_NAME,
        link=example_link(),
        unsubscribe=example_unsubscribe_link(),
    )


# --- Recipients and queueing ----------------------------------------------------------------


def members_with_address(wave: Wave):
    """Active members of the wave's council with an e-mail address."""
    return PanelMember.objects.filter(
        council_id=wave.council_id,
        status=MemberStatus.ACTIVE,
        pk__in=MemberContact.objects.exclude(email="").values("member_id"),
    )


def not_yet_invited(wave: Wave):
    """Active members with an address who have no invitation e-mail to the wave queued or sent.

    A failed e-mail does not count: that member can be chosen again.
    """
    already = EmailDelivery.objects.filter(
        wave=wave, kind=EmailKind.INVITATION, member=OuterRef("pk")
    ).exclude(status=DeliveryStatus.FAILED)
    return members_with_address(wave).filter(~Exists(already))


def queue_invitations(wave: Wave, *, members=None, batch: InvitationBatch | None = None) -> int:
    """Queue an invitation e-mail to each member not yet sent one; return how many.

    Everyone not yet invited, or those of `members` (ids) who still are not.
    """
    if wave.status != WaveStatus.OPEN:
        raise ValueError("Invitations can only be sent for an open wave.")
    chosen = not_yet_invited(wave)
    if members is not None:
        chosen = chosen.filter(pk__in=list(members))
    return _queue(wave, chosen, kind=EmailKind.INVITATION, batch=batch)


def queue_reminders(wave: Wave) -> int:
    """Queue a reminder to every invited active member who has not completed; return how many."""
    if wave.status != WaveStatus.OPEN:
        return 0
    members = (
        members_with_address(wave)
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


def _queue(wave: Wave, members, *, kind: str, batch: InvitationBatch | None = None) -> int:
    with transaction.atomic():
        deliveries = EmailDelivery.objects.bulk_create(
            [
                EmailDelivery(wave=wave, member_id=pk, kind=kind, batch=batch)
                for pk in members.order_by("pk").values_list("pk", flat=True)
            ],
            batch_size=2000,
        )
        # One outbox job per e-mail, in the same transaction: a broker outage loses none,
        # and a job sent twice finds its delivery no longer queued.
        ids = [d.pk for d in deliveries]
        enqueue_many(SEND_EMAIL, [{"delivery_id": pk} for pk in ids])
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


# --- Composing and sending ------------------------------------------------------------------


def _member_language(member: PanelMember) -> str:
    return member.preferred_language if member.preferred_language in LANGUAGES else "en"


def compose_message(delivery: EmailDelivery, *, link: str, hidden: bool = False) -> Message:
    """Word an invitation or reminder for its member, in the council's wording."""
    member = delivery.member
    contact = member.contact
    return render_message(
        delivery.wave,
        wording_for(delivery.wave.council_id, delivery.kind),
        first=_member_language(member),
        to=contact.email,
        name=contact.name,
        link=link,
        unsubscribe=unsubscribe_url(member),
        hidden=hidden,
    )


def compose_email(delivery: EmailDelivery, *, link: str) -> EmailMessage:
    """Build the bilingual message, the member's preferred language first."""
    return compose_message(delivery, link=link).as_email()


def compose_debrief_message(delivery: EmailDelivery, *, hidden: bool = False) -> Message:
    """Word the debrief e-mail in the member's own language."""
    kind = {v: k for k, v in EMAIL_KIND.items()}[delivery.kind]
    debrief = Debrief.objects.get(wave=delivery.wave, kind=kind)
    member = delivery.member
    language = _member_language(member)
    unsubscribe = unsubscribe_url(member)
    shown = HIDDEN["unsubscribe"][language] if hidden else unsubscribe
    footer = {
        "en": "If you no longer want e-mails from the panel, unsubscribe here:",
        "cy": "Os nad ydych eisiau negeseuon e-bost gan y panel mwyach, dad-danysgrifiwch yma:",
    }[language]
    return Message(
        from_header=settings.DEFAULT_FROM_EMAIL,
        reply_to="",
        to=member.contact.email,
        subject=DEBRIEF_SUBJECTS[kind][language].format(title=delivery.wave.title_in(language)),
        body=f"{debrief.text_in(language)}\n\n{footer}\n{shown}\n",
        unsubscribe="" if hidden else unsubscribe,
        language_first=language,
    )


def compose_debrief_email(delivery: EmailDelivery) -> EmailMessage:
    return compose_debrief_message(delivery).as_email()


def _keep_copy(delivery: EmailDelivery, message: Message) -> None:
    EmailCopy.objects.create(
        wave=delivery.wave,
        delivery=delivery,
        kind=delivery.kind,
        language_first=message.language_first,
        from_header=message.from_header,
        reply_to=message.reply_to,
        subject=message.subject[:1000],
        body=message.body,
        sent_at=delivery.sent_at,
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
            message = compose_debrief_message(delivery)
            kept = compose_debrief_message(delivery, hidden=True)
        else:
            issued = issue_invitation(delivery.wave, member=delivery.member)
            message = compose_message(delivery, link=issued.url)
            kept = compose_message(delivery, link=issued.url, hidden=True)
        try:
            message.as_email().send(fail_silently=False)
        except Exception as error:  # any transport failure is recorded, not lost
            delivery.status = DeliveryStatus.FAILED
            delivery.error = f"{type(error).__name__}: {error}"[:2000]
            delivery.save(update_fields=["status", "error", "attempts"])
            return delivery
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = timezone.now()
        delivery.save(update_fields=["status", "sent_at", "attempts"])
        if settings.KEEP_SENT_EMAILS:
            _keep_copy(delivery, kept)
    return delivery


def queue_test_email(message: Message, *, wave: Wave, kind: str, user) -> EmailCopy:
    """Keep a test e-mail for a member of staff, whole, and queue it to be sent."""
    copy = EmailCopy.objects.create(
        wave=wave,
        kind=kind,
        staff_user=user,
        staff_address=message.to,
        language_first=message.language_first,
        from_header=message.from_header,
        reply_to=message.reply_to,
        subject=message.subject[:1000],
        body=message.body,
    )
    enqueue(SEND_TEST_EMAIL, copy_id=copy.pk)
    return copy


def deliver_test_email(copy_id: int) -> EmailCopy:
    """Send a kept test e-mail exactly as kept; safe to call twice."""
    with transaction.atomic():
        copy = EmailCopy.objects.select_for_update().get(pk=copy_id)
        if copy.sent_at is not None or copy.delivery_id is not None:
            return copy
        email = EmailMessage(
            subject=copy.subject,
            body=copy.body,
            from_email=copy.from_header,
            to=[copy.staff_address],
            reply_to=[copy.reply_to] if copy.reply_to else None,
        )
        try:
            email.send(fail_silently=False)
        except Exception as error:  # recorded on the copy, shown in the console
            copy.error = f"{type(error).__name__}: {error}"[:2000]
            copy.save(update_fields=["error"])
            return copy
        copy.sent_at = timezone.now()
        copy.error = ""
        copy.save(update_fields=["sent_at", "error"])
    return copy


# --- Reading what was sent -----------------------------------------------------------------


def mask_address(address: str) -> str:
    """Return an address with most of it hidden: "jane@example.org" → "j•••@e•••.org"."""
    local, _at, domain = address.partition("@")
    if not local or not domain:
        return "•••"
    host, _dot, top = domain.rpartition(".")
    masked_domain = f"{host[:1]}•••.{top}" if host else f"{domain[:1]}•••"
    return f"{local[:1]}•••@{masked_domain}"


def _copies():
    return EmailCopy.objects.select_related(
        "wave", "wave__council", "delivery", "delivery__member", "delivery__member__contact"
    )


def sent_emails(actor, *, wave: Wave | None = None, tests_only: bool = False):
    """Return the kept e-mails of the councils where the actor runs the fieldwork.

    `tests_only` keeps the tests staff sent themselves, which a large mailing would
    otherwise push many pages down.
    """
    copies = scoped(_copies(), actor, Right.FIELDWORK, council_field="wave__council")
    if tests_only:
        copies = copies.filter(delivery__isnull=True)
    return copies.filter(wave=wave) if wave is not None else copies


@dataclass(frozen=True)
class SentEmail:
    """A kept e-mail as staff may read it: to whom, shown whole only to its own recipient."""

    copy: EmailCopy
    recipient: str
    member: str
    whole: bool

    @property
    def sections(self) -> list[tuple[str, str]]:
        return body_sections(self.copy.body, self.copy.language_first)


def shown_to(copy: EmailCopy, actor) -> SentEmail:
    """Say who a kept e-mail went to without giving a member's address away.

    A member's address is masked (it stays with the panel's contact details); a test is
    shown whole to the member of staff who sent it, masked to anyone else.
    """
    if copy.is_test:
        whole = copy.staff_user_id is not None and copy.staff_user_id == getattr(actor, "pk", None)
        address = copy.staff_address if whole else mask_address(copy.staff_address)
        return SentEmail(copy=copy, recipient=address, member="", whole=whole)
    member = copy.delivery.member
    contact = getattr(member, "contact", None)
    address = mask_address(contact.email) if contact is not None and contact.email else "—"
    return SentEmail(copy=copy, recipient=address, member=member.external_id, whole=False)


def read_sent_email(actor, copy_id) -> SentEmail:
    """Return one kept e-mail of the actor's councils (NotFound otherwise)."""
    copy = get_scoped(_copies(), actor, Right.FIELDWORK, council_field="wave__council", pk=copy_id)
    return shown_to(copy, actor)


def record_bounce(delivery_id: int, *, reason: str) -> EmailDelivery:
    """Mark a sent e-mail as bounced, as reported by the mail provider."""
    with transaction.atomic():
        delivery = EmailDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.status = DeliveryStatus.BOUNCED
        delivery.bounced_at = timezone.now()
        delivery.error = reason[:2000]
        delivery.save(update_fields=["status", "bounced_at", "error"])
    return delivery
