"""Invitations and reminders as staff actions: choose whom to invite, check, then send.

A sending is planned first (`plan_invitations`): the rule (everyone not yet invited, a
random sample of them, or those in chosen wards or groups) is applied and the members it
chooses are recorded, with the seed of a sample, so that the count and the e-mails can be
checked and a test sent before anything goes out. `send_invitation_batch` then queues one
e-mail to each of them, once. Every action here checks the actor's right through
`experiments.policy`, owns its transaction and writes the audit entry.

Personal links themselves are issued by `experiments.links` (re-exported here).
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from experiments.emails import (
    LANGUAGES,
    PLACEHOLDERS,
    SUBJECT_PLACEHOLDERS,
    Message,
    Wording,
    members_with_address,
    not_yet_invited,
    preview_message,
    queue_invitations,
    queue_test_email,
    wording_for,
    wording_problems,
)
from experiments.links import IssuedInvitation, find_invitation, hash_token, issue_invitation
from experiments.models import (
    TEMPLATE_KINDS,
    AgeBand,
    Council,
    DeliveryStatus,
    EmailCopy,
    EmailDelivery,
    EmailKind,
    Gender,
    InvitationBatch,
    InvitationTemplate,
    RecipientRule,
    ReminderSchedule,
    Wave,
    WaveStatus,
)
from experiments.policy import Right, staff_action
from panel.models import PanelMember
from surveyplatform.domain import InvalidInput, InvalidState

__all__ = [
    "IssuedInvitation",
    "RecipientChoice",
    "draw_sample",
    "find_invitation",
    "hash_token",
    "issue_invitation",
    "plan_invitations",
    "reset_invitation_template",
    "save_invitation_template",
    "schedule_reminder",
    "send_invitation_batch",
    "send_test_email",
]

TEST_SUBJECT_PREFIX = "[Test] "
WORDING_FIELDS = ("sender_name", "reply_to", "subject_en", "body_en", "subject_cy", "body_cy")
WORDING_LIMITS = {"sender_name": 100, "reply_to": 254, "subject_en": 200, "subject_cy": 200,
                  "body_en": 5000, "body_cy": 5000}  # fmt: skip


# --- Choosing whom to invite ----------------------------------------------------------------


@dataclass(frozen=True)
class RecipientChoice:
    """Whom to invite: a rule of `RecipientRule`, with its size or its groups."""

    rule: str
    sample_size: int | None = None
    wards: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()


def new_sample_seed() -> str:
    return secrets.token_hex(16)


def sample_rank(seed: str, member_id: int) -> str:
    """Return a member's place in the draw: HMAC-SHA256 of their id, keyed with the seed."""
    return hmac.new(seed.encode(), str(member_id).encode(), hashlib.sha256).hexdigest()


def draw_sample(member_ids: Iterable[int], *, seed: str, size: int) -> list[int]:
    """Return `size` of the member ids, drawn at random and reproducibly from the seed.

    Each id is ranked by `sample_rank` (HMAC-SHA256 keyed with the seed, over the id in
    decimal) and the `size` ids of smallest rank are drawn, returned in id order. The same
    seed and the same ids give the same members in any order and on any machine, and
    anyone can check a recorded draw with a few lines of code.
    """
    ranked = sorted(set(member_ids), key=lambda member_id: sample_rank(seed, member_id))
    return sorted(ranked[:size])


@dataclass(frozen=True)
class Group:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class RecipientGroups:
    """The wards, age bands and genders of the members not yet invited, with their counts."""

    wards: list[Group]
    age_bands: list[Group]
    genders: list[Group]


def _groups(members, field: str, labels: dict[str, str]) -> list[Group]:
    counts = (
        members.exclude(**{field: ""})
        .values_list(field)
        .annotate(n=Count("pk"))
        .order_by(field)
        .values_list(field, "n")
    )
    return [Group(value, str(labels.get(value, value)), n) for value, n in counts]


def recipient_groups(wave: Wave) -> RecipientGroups:
    members = not_yet_invited(wave)
    return RecipientGroups(
        wards=_groups(members, "ward", {}),
        age_bands=_groups(members, "age_band", dict(AgeBand.choices)),
        genders=_groups(members, "gender", dict(Gender.choices)),
    )


@dataclass(frozen=True)
class InvitationOverview:
    """Where a wave's invitations stand, for the page that sends them."""

    with_address: int
    invited: int
    not_yet_invited: int
    failed: int
    batches: list[InvitationBatch]
    reminders: list[ReminderSchedule]


def invitation_overview(wave: Wave) -> InvitationOverview:
    deliveries = EmailDelivery.objects.filter(wave=wave, kind=EmailKind.INVITATION)
    invited = deliveries.exclude(status=DeliveryStatus.FAILED).values("member_id").distinct()
    return InvitationOverview(
        with_address=members_with_address(wave).count(),
        invited=invited.count(),
        not_yet_invited=not_yet_invited(wave).count(),
        failed=deliveries.filter(status=DeliveryStatus.FAILED).count(),
        batches=list(
            InvitationBatch.objects.filter(wave=wave).select_related("created_by", "sent_by")[:20]
        ),
        reminders=list(ReminderSchedule.objects.filter(wave=wave)),
    )


def drawn_members(batch: InvitationBatch) -> list[str]:
    """Return the panel ids of the members a sending chose, in order."""
    return list(
        PanelMember.objects.filter(pk__in=batch.member_ids)
        .order_by("external_id")
        .values_list("external_id", flat=True)
    )


def _refuse_unless_open(wave: Wave) -> None:
    from experiments.randomised_elsewhere import is_randomised_elsewhere

    if wave.status != WaveStatus.OPEN:
        raise InvalidState(_("Invitations can only be sent while the wave is open."))
    if is_randomised_elsewhere(wave):
        raise InvalidState(
            _(
                "This wave was randomised elsewhere: its answers are imported with each "
                "member's group, so it sends no links."
            )
        )


def _chosen_members(wave: Wave, choice: RecipientChoice):
    members = not_yet_invited(wave)
    if choice.rule != RecipientRule.GROUPS:
        return members
    if choice.wards:
        members = members.filter(ward__in=choice.wards)
    if choice.age_bands:
        members = members.filter(age_band__in=choice.age_bands)
    if choice.genders:
        members = members.filter(gender__in=choice.genders)
    return members


def _check_choice(choice: RecipientChoice) -> None:
    if choice.rule not in RecipientRule.values:
        message = _("Choose who to invite.")
        raise InvalidInput(message, fields={"rule": [message]})
    if choice.rule == RecipientRule.SAMPLE and (
        choice.sample_size is None or choice.sample_size < 1
    ):
        message = _("Enter how many members to draw, a whole number of 1 or more.")
        raise InvalidInput(message, fields={"sample_size": [message]})
    if choice.rule == RecipientRule.GROUPS and not (
        choice.wards or choice.age_bands or choice.genders
    ):
        message = _("Choose at least one ward, age band or gender.")
        raise InvalidInput(message, fields={"wards": [message]})


def plan_invitations(
    actor, wave: Wave, choice: RecipientChoice, *, seed: str | None = None
) -> InvitationBatch:
    """Apply the choice and record whom it gives, ready to check and send; send nothing.

    A sample is drawn with `draw_sample` from the members not yet invited, under a new
    seed unless one is given; the seed and the members drawn are recorded.
    """
    _check_choice(choice)
    with staff_action(actor, Right.FIELDWORK, wave.council_id, action="plan_invitations") as note:
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        _refuse_unless_open(wave)
        eligible = list(_chosen_members(wave, choice).order_by("pk").values_list("pk", flat=True))
        if not eligible:
            if choice.rule == RecipientRule.GROUPS:
                message = _("No member still to invite is in the chosen groups.")
                raise InvalidInput(message, fields={"wards": [message]})
            raise InvalidState(_("Every active member with an e-mail address is invited already."))
        drawn, sample_seed = eligible, ""
        if choice.rule == RecipientRule.SAMPLE:
            if choice.sample_size > len(eligible):
                message = ngettext(
                    "Only %(count)d member has not been invited yet: choose %(count)d.",
                    "Only %(count)d members have not been invited yet: choose %(count)d or fewer.",
                    len(eligible),
                ) % {"count": len(eligible)}
                raise InvalidInput(message, fields={"sample_size": [message]})
            sample_seed = seed or new_sample_seed()
            drawn = draw_sample(eligible, seed=sample_seed, size=choice.sample_size)
        batch = InvitationBatch.objects.create(
            wave=wave,
            rule=choice.rule,
            sample_size=choice.sample_size if choice.rule == RecipientRule.SAMPLE else None,
            wards=list(choice.wards) if choice.rule == RecipientRule.GROUPS else [],
            age_bands=list(choice.age_bands) if choice.rule == RecipientRule.GROUPS else [],
            genders=list(choice.genders) if choice.rule == RecipientRule.GROUPS else [],
            seed=sample_seed,
            eligible=len(eligible),
            member_ids=drawn,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        note.target = batch
        note.summary = f"{len(drawn)} of {len(eligible)} members chosen to invite ({choice.rule})"
        note.details = {
            "wave": wave.pk,
            "rule": choice.rule,
            "eligible": len(eligible),
            "chosen": len(drawn),
            "seed": sample_seed,
            "sample_size": batch.sample_size,
            "wards": batch.wards,
            "age_bands": batch.age_bands,
            "genders": batch.genders,
        }
    return batch


def send_invitation_batch(actor, batch: InvitationBatch) -> int:
    """Queue the planned invitations, once; return how many e-mails were queued.

    Members chosen but invited meanwhile (by another sending) or no longer active with an
    address are left out, so nobody gets the invitation twice.
    """
    with staff_action(
        actor, Right.FIELDWORK, batch.wave.council_id, action="send_invitations"
    ) as note:
        wave = Wave.objects.select_for_update().get(pk=batch.wave_id)
        batch = InvitationBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.sent_at is not None:
            raise InvalidState(_("These invitations have been sent already."))
        _refuse_unless_open(wave)
        count = queue_invitations(wave, members=batch.member_ids, batch=batch)
        batch.sent_at = timezone.now()
        batch.sent_by = actor if getattr(actor, "pk", None) else None
        batch.queued = count
        batch.save(update_fields=["sent_at", "sent_by", "queued"])
        note.target = batch
        note.summary = f"{count} invitation e-mails queued"
        note.details = {"wave": wave.pk, "emails": count, "chosen": batch.count}
    return count


def _check_kind(kind: str) -> None:
    if kind not in TEMPLATE_KINDS:
        raise InvalidInput(_("Choose the invitation or the reminder."))


def _check_language(first: str) -> None:
    if first not in LANGUAGES:
        message = _("Choose which language comes first.")
        raise InvalidInput(message, fields={"first": [message]})


def preview_emails(wave: Wave, kind: str, *, wording=None) -> dict[str, Message]:
    """Return the e-mail as members reading English first and Welsh first receive it."""
    _check_kind(kind)
    wording = wording or wording_for(wave.council_id, kind)
    return {first: preview_message(wave, wording, first=first) for first in LANGUAGES}


def send_test_email(actor, wave: Wave, *, kind: str, first: str) -> EmailCopy:
    """Send the actor a test of the e-mail, as a member would receive it, to their own address."""
    _check_kind(kind)
    _check_language(first)
    address = (getattr(actor, "email", "") or "").strip()
    if not address:
        raise InvalidInput(
            _(
                "Your account has no e-mail address to send the test to. "
                "Ask an administrator to add one."
            )
        )
    with staff_action(actor, Right.FIELDWORK, wave.council_id, action="send_test_email") as note:
        message = preview_message(wave, wording_for(wave.council_id, kind), first=first, to=address)
        message = Message(**{**message.__dict__, "subject": TEST_SUBJECT_PREFIX + message.subject})
        copy = queue_test_email(message, wave=wave, kind=kind, user=actor)
        note.target = wave
        note.summary = f"Test {kind} e-mail sent to the actor's own address"
        note.details = {"kind": kind, "first": first}
    return copy


# --- The wording --------------------------------------------------------------------------


def _clean_wording(fields: dict[str, str]) -> dict[str, str]:
    values = {name: str(fields.get(name) or "") for name in WORDING_FIELDS}
    for name in ("sender_name", "reply_to", "subject_en", "subject_cy"):
        values[name] = values[name].strip()
    values = {name: value.replace("\r\n", "\n") if name.startswith("body") else value
              for name, value in values.items()}  # fmt: skip
    return values


def wording_errors(fields: dict[str, str]) -> dict[str, list[str]]:
    """Return what is wrong with a submitted wording, field by field."""
    values = _clean_wording(fields)
    problems = wording_problems(**values)
    for name, limit in WORDING_LIMITS.items():
        if len(values[name]) > limit:
            problems.setdefault(name, []).append(
                _("Keep this to %(limit)d characters or fewer.") % {"limit": limit}
            )
    if values["reply_to"] and "reply_to" not in problems:
        try:
            validate_email(values["reply_to"])
        except ValidationError:
            problems["reply_to"] = [
                _("Enter an e-mail address in the right form, like panel@council.gov.uk.")
            ]
    return problems


def submitted_wording(saved: Wording, fields: dict[str, str]) -> Wording:
    """Return a wording as typed, to preview it before it is saved."""
    values = _clean_wording(fields)
    return Wording(
        kind=saved.kind,
        sender_name=values["sender_name"],
        reply_to=values["reply_to"],
        subject={"en": values["subject_en"], "cy": values["subject_cy"]},
        body={"en": values["body_en"], "cy": values["body_cy"]},
        standard=False,
    )


@dataclass(frozen=True)
class PlaceholderHelp:
    placeholder: str
    meaning: str
    in_subject: bool


def placeholder_help() -> list[PlaceholderHelp]:
    """List the placeholders a wording may use, what each stands for and where it may go."""
    return [
        PlaceholderHelp(f"{{{name}}}", str(meaning), name in SUBJECT_PLACEHOLDERS)
        for name, meaning in PLACEHOLDERS.items()
    ]


def save_invitation_template(
    actor, council: Council, *, kind: str, fields: dict[str, str]
) -> InvitationTemplate:
    """Save the council's wording of the invitation or reminder e-mail.

    Refused, field by field, when a placeholder is unknown or misplaced, when the body
    lacks the personal link, or when a header line holds a line break.
    """
    _check_kind(kind)
    values = _clean_wording(fields)
    problems = wording_errors(values)
    if problems:
        raise InvalidInput(_("Correct the wording of the e-mail."), fields=problems)
    with staff_action(actor, Right.FIELDWORK, council, action="save_email_wording") as note:
        editor = actor if getattr(actor, "pk", None) else None
        template, created = InvitationTemplate.objects.select_for_update().get_or_create(
            council=council, kind=kind, defaults={**values, "updated_by": editor}
        )
        changed = list(values)
        if not created:
            changed = [name for name, value in values.items() if getattr(template, name) != value]
            for name in changed:
                setattr(template, name, values[name])
            template.updated_by = editor
            template.save(update_fields=[*changed, "updated_by", "updated_at"])
        note.target = template
        note.summary = f"Wording of the {kind} e-mail saved"
        note.details = {"kind": kind, "changed": changed}
    return template


def reset_invitation_template(actor, council: Council, *, kind: str) -> None:
    """Go back to the standard wording of the invitation or reminder e-mail."""
    _check_kind(kind)
    with staff_action(actor, Right.FIELDWORK, council, action="reset_email_wording") as note:
        deleted, _rows = InvitationTemplate.objects.filter(council=council, kind=kind).delete()
        note.target = council
        note.summary = f"Standard wording of the {kind} e-mail restored"
        note.details = {"kind": kind, "had_own_wording": bool(deleted)}


# --- Reminders ----------------------------------------------------------------------------


def schedule_reminder(actor, wave: Wave, *, send_at: datetime) -> ReminderSchedule:
    """Plan one reminder, in the future and before the wave closes."""
    with staff_action(actor, Right.FIELDWORK, wave.council_id, action="schedule_reminder") as note:
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if wave.status == WaveStatus.CLOSED:
            raise InvalidState(_("The wave is closed; no reminder can be planned."))
        if send_at <= timezone.now():
            message = _("Choose a time in the future for the reminder.")
            raise InvalidInput(message, fields={"send_at": [message]})
        if wave.closes_at is not None and send_at >= wave.closes_at:
            message = _("Choose a time before the wave closes (%(closes)s).") % {
                "closes": timezone.localtime(wave.closes_at).strftime("%d/%m/%Y %H:%M")
            }
            raise InvalidInput(message, fields={"send_at": [message]})
        schedule = ReminderSchedule.objects.create(wave=wave, send_at=send_at)
        note.target = schedule
        note.summary = f"Reminder at {timezone.localtime(send_at):%Y-%m-%d %H:%M}"
    return schedule
