"""Debriefs after a wave: draft, edit, approve, then e-mail once to every member who took part.

When a wave closes, a debrief is drafted in English and Welsh: the information box was
one of several versions given at random, why, and where the results will appear. Once the
analysis is done, a plain-language "you said, we did" summary is drafted from its numbers.
A wave that nobody completed gets neither (`anyone_completed`).
Nothing is sent until a council admin approves the text; sending goes through the same
`EmailDelivery` rows and Celery task as invitations, in the member's own language.
"""

from django.db.models import Exists, OuterRef
from django.utils import timezone

from experiments.models import (
    Debrief,
    DebriefKind,
    DeliveryStatus,
    EmailDelivery,
    EmailKind,
    Response,
    ResponseStatus,
    Wave,
    WaveStatus,
)
from experiments.policy import Right, staff_action
from outbox.relay import enqueue_many
from panel.models import MemberContact, MemberStatus
from surveyplatform.domain import InvalidState

SEND_EMAIL = "experiments.tasks.send_email"

DEBRIEF_TEXT = {
    "en": (
        "Thank you for taking part in “{title}”.\n\n"
        "Next to the questions on each topic, some people saw a short information box: "
        "for example, that many people near them already take part, or that taking part "
        "takes little time. There were several versions of this box, and which one you saw "
        "– or whether you saw one at all – was decided at random, like drawing lots.\n\n"
        "We did this to find out fairly whether such information makes people more willing "
        "to get involved in local services. Drawing lots is the only way to be sure that a "
        "difference between the groups comes from the information itself and not from who "
        "was in them. Nothing about you decided which version you saw, and your answers are "
        "just as valuable whichever it was.\n\n"
        "{council} will publish the results on its website and in the panel newsletter, and "
        "we will send you a short summary of what members said and what the council will do."
    ),
    "cy": (
        "Diolch am gymryd rhan yn “{title}”.\n\n"
        "Wrth ymyl y cwestiynau am bob pwnc, gwelodd rhai pobl flwch gwybodaeth byr: er "
        "enghraifft, bod llawer o bobl yn agos atynt eisoes yn cymryd rhan, neu mai ychydig "
        "o amser y mae cymryd rhan yn ei gymryd. Roedd sawl fersiwn o'r blwch hwn, a "
        "phenderfynwyd ar hap pa un a welsoch chi – neu a welsoch un o gwbl – fel tynnu "
        "enwau o het.\n\n"
        "Gwnaethom hyn er mwyn darganfod yn deg a yw gwybodaeth o'r fath yn gwneud pobl yn "
        "fwy parod i gymryd rhan mewn gwasanaethau lleol. Dewis ar hap yw'r unig ffordd o "
        "fod yn siŵr bod gwahaniaeth rhwng y grwpiau'n dod o'r wybodaeth ei hun ac nid o "
        "bwy oedd ynddynt. Nid oedd dim amdanoch chi'n penderfynu pa fersiwn a welsoch, ac "
        "mae eich atebion yr un mor werthfawr pa un bynnag ydoedd.\n\n"
        "Bydd {council} yn cyhoeddi'r canlyniadau ar ei wefan ac yng nghylchlythyr y panel, "
        "a byddwn yn anfon crynodeb byr atoch o'r hyn a ddywedodd aelodau a'r hyn y bydd y "
        "cyngor yn ei wneud."
    ),
}
SUBJECTS = {
    DebriefKind.DEBRIEF: {"en": "About the survey: {title}", "cy": "Am yr arolwg: {title}"},
    DebriefKind.SUMMARY: {
        "en": "You said, we did: {title}",
        "cy": "Dywedoch chi, gwnaethom ni: {title}",
    },
}
EMAIL_KIND = {DebriefKind.DEBRIEF: EmailKind.DEBRIEF, DebriefKind.SUMMARY: EmailKind.SUMMARY}


class DebriefError(InvalidState):
    """The debrief cannot be changed or sent in its present state; the message says why."""


def anyone_completed(wave: Wave) -> bool:
    """Return whether any member completed the wave: only then is there anyone to debrief.

    A wave nobody completed has no one to thank and no results to tell: its messages to
    members are neither drafted nor offered.
    """
    return Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETE).exists()


def draft_debrief(wave: Wave) -> Debrief:
    """Return the wave's debrief, drafting the default bilingual text the first time."""

    def fields(language: str) -> dict[str, str]:
        return {"title": wave.title_in(language), "council": wave.council.name_in(language)}

    debrief, _ = Debrief.objects.get_or_create(
        wave=wave,
        kind=DebriefKind.DEBRIEF,
        defaults={
            "text_en": DEBRIEF_TEXT["en"].format(**fields("en")),
            "text_cy": DEBRIEF_TEXT["cy"].format(**fields("cy")),
        },
    )
    return debrief


def _debrief_action(actor, debrief: Debrief, action: str):
    return staff_action(actor, Right.FIELDWORK, debrief.wave.council_id, action=action)


def edit_debrief(actor, debrief: Debrief, *, text_en: str, text_cy: str) -> Debrief:
    """Change the texts; a changed text needs approving again. A sent debrief is final."""
    with _debrief_action(actor, debrief, "edit_debrief") as note:
        debrief = Debrief.objects.select_for_update().get(pk=debrief.pk)
        if debrief.sent_at is not None:
            raise DebriefError("This message has been sent and can no longer be changed.")
        if (debrief.text_en, debrief.text_cy) != (text_en, text_cy):
            debrief.text_en, debrief.text_cy = text_en, text_cy
            debrief.approved_at, debrief.approved_by = None, None
            debrief.save(
                update_fields=["text_en", "text_cy", "approved_at", "approved_by", "updated_at"]
            )
        note.target, note.summary = debrief.wave, debrief.get_kind_display()
    return debrief


def approve_debrief(actor, debrief: Debrief) -> Debrief:
    """Record the admin's approval of the texts as they stand."""
    with _debrief_action(actor, debrief, "approve_debrief") as note:
        debrief = Debrief.objects.select_for_update().get(pk=debrief.pk)
        if not debrief.text_en.strip() or not debrief.text_cy.strip():
            raise DebriefError("Write the message in both English and Welsh before approving it.")
        if debrief.approved_at is None:
            user = actor if getattr(actor, "is_authenticated", False) else None
            debrief.approved_at, debrief.approved_by = timezone.now(), user
            debrief.save(update_fields=["approved_at", "approved_by"])
        note.target, note.summary = debrief.wave, debrief.get_kind_display()
    return debrief


def members_who_took_part(wave: Wave):
    """Active members with an e-mail address who completed the wave."""
    from panel.models import PanelMember

    return PanelMember.objects.filter(
        council_id=wave.council_id,
        status=MemberStatus.ACTIVE,
        pk__in=Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETE).values(
            "member_id"
        ),
    ).filter(pk__in=MemberContact.objects.exclude(email="").values("member_id"))


def send_debrief(actor, debrief: Debrief) -> int:
    """Queue the approved message to every member who took part and has not had it.

    Return how many. Safe to call twice: a member with a queued or sent copy is skipped.
    """
    with _debrief_action(actor, debrief, "send_debrief") as note:
        debrief = Debrief.objects.select_for_update().select_related("wave").get(pk=debrief.pk)
        if debrief.approved_at is None:
            raise DebriefError("An admin must approve this message before it is sent.")
        if debrief.wave.status != WaveStatus.CLOSED:
            raise DebriefError("Debriefs go out only after the wave has closed.")
        kind = EMAIL_KIND[debrief.kind]
        already = EmailDelivery.objects.filter(
            wave=debrief.wave, kind=kind, member=OuterRef("pk")
        ).exclude(status=DeliveryStatus.FAILED)
        members = members_who_took_part(debrief.wave).filter(~Exists(already))
        deliveries = EmailDelivery.objects.bulk_create(
            [
                EmailDelivery(wave=debrief.wave, member_id=pk, kind=kind)
                for pk in members.values_list("pk", flat=True)
            ],
            batch_size=2000,
        )
        if debrief.sent_at is None:
            debrief.sent_at = timezone.now()
            debrief.save(update_fields=["sent_at"])
        ids = [d.pk for d in deliveries]
        # One outbox job per e-mail, in this transaction, as for invitations.
        enqueue_many(SEND_EMAIL, [{"delivery_id": pk} for pk in ids])
        note.target, note.summary = debrief.wave, debrief.get_kind_display()
        note.details = {"emails": len(ids)}
    return len(ids)


def approved_debriefs(wave: Wave) -> list[Debrief]:
    """Return the wave's approved messages, for the member's closed-wave page."""
    return list(Debrief.objects.filter(wave=wave, approved_at__isnull=False).order_by("kind"))
