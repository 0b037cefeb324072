"""Debriefs after a wave: draft, edit, approve, then e-mail once to every member who took part.

When a wave closes, a debrief is drafted in English and Welsh: the information box was
one of several versions given at random, why, and where the results will appear. Once the
analysis is done, a plain-language "you said, we did" summary is drafted from its numbers.
Nothing is sent until a council admin approves the text; sending goes through the same
`EmailDelivery` rows and Celery task as invitations, in the member's own language.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
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
    Theme,
    Wave,
    WaveStatus,
)
from outbox.relay import enqueue_many
from panel.models import MemberContact, MemberStatus

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
SUMMARY_OPENING = {
    "en": "You said, we did: “{title}”\n\nThank you to everyone who answered. You said:",
    "cy": "Dywedoch chi, gwnaethom ni: “{title}”\n\nDiolch i bawb a atebodd. Dywedoch chi:",
}
SUMMARY_THEME = {
    "en": (
        "- {theme}: on average you do {ind} of the everyday activities we asked about, and "
        "{coll} of you work with others in a group at least sometimes."
    ),
    "cy": (
        "- {theme}: ar gyfartaledd rydych yn gwneud {ind} o'r gweithgareddau bob dydd y "
        "gwnaethom holi amdanynt, ac mae {coll} ohonoch yn gweithio gydag eraill mewn grŵp "
        "o leiaf weithiau."
    ),
}
SUMMARY_NUDGES = {
    "en": {
        True: "The information boxes made a clear difference to how many people said they "
        "would take part.",
        False: "The information boxes made no clear difference: people answered much the "
        "same whichever version they saw.",
    },
    "cy": {
        True: "Gwnaeth y blychau gwybodaeth wahaniaeth clir i faint o bobl a ddywedodd y "
        "byddent yn cymryd rhan.",
        False: "Ni wnaeth y blychau gwybodaeth wahaniaeth clir: atebodd pobl yn debyg iawn "
        "pa fersiwn bynnag a welsant.",
    },
}
SUMMARY_CLOSING = {
    "en": "We did: [write here what the council will do in response].",
    "cy": "Gwnaethom ni: [ysgrifennwch yma beth fydd y cyngor yn ei wneud mewn ymateb].",
}
SUBJECTS = {
    DebriefKind.DEBRIEF: {"en": "About the survey: {title}", "cy": "Am yr arolwg: {title}"},
    DebriefKind.SUMMARY: {
        "en": "You said, we did: {title}",
        "cy": "Dywedoch chi, gwnaethom ni: {title}",
    },
}
EMAIL_KIND = {DebriefKind.DEBRIEF: EmailKind.DEBRIEF, DebriefKind.SUMMARY: EmailKind.SUMMARY}


class DebriefError(Exception):
    """The debrief cannot be changed or sent in its present state; the message says why."""


def draft_debrief(wave: Wave) -> Debrief:
    """Return the wave's debrief, drafting the default bilingual text the first time."""
    fields = {"title": wave.title, "council": wave.council.name}
    debrief, _ = Debrief.objects.get_or_create(
        wave=wave,
        kind=DebriefKind.DEBRIEF,
        defaults={
            "text_en": DEBRIEF_TEXT["en"].format(**fields),
            "text_cy": DEBRIEF_TEXT["cy"].format(**fields),
        },
    )
    return debrief


def summary_text(results: dict, *, title: str, theme_names: dict[str, str], language: str) -> str:
    """Write the plain-language summary from an analysis run's stored results."""
    lines = [SUMMARY_OPENING[language].format(title=title)]
    for row in results.get("levels", []):
        individual = row.get("individual") or {}
        collective = row.get("collective_any") or {}
        if "estimate" not in individual or "estimate" not in collective:
            continue
        theme = row["case"].split(" — ", 1)[-1]
        lines.append(
            SUMMARY_THEME[language].format(
                theme=theme_names.get(theme, theme),
                ind=f"{100 * individual['estimate']:.0f} %",
                coll=f"{100 * collective['estimate']:.0f} %",
            )
        )
    counts = (results.get("nudges") or {}).get("counts") or {}
    if any(c.get("tests") for c in counts.values()):
        clear = any(c.get("significant_adjusted_05") for c in counts.values())
        lines.append("")
        lines.append(SUMMARY_NUDGES[language][clear])
    lines.append("")
    lines.append(SUMMARY_CLOSING[language])
    return "\n".join(lines)


def draft_summary(wave: Wave) -> Debrief | None:
    """Return the wave's "you said, we did" summary, drafting it from the latest finished run.

    Return None while no analysis run of the wave has finished.
    """
    from analysis.runs import latest_done_run

    existing = Debrief.objects.filter(wave=wave, kind=DebriefKind.SUMMARY).first()
    if existing is not None:
        return existing
    run = latest_done_run(wave.pk)
    if run is None:
        return None
    welsh = dict(Theme.objects.filter(wave_themes__wave=wave).values_list("name_en", "name_cy"))
    texts = {
        language: summary_text(
            run.results,
            title=wave.title,
            theme_names={en: (cy or en) for en, cy in welsh.items()} if language == "cy" else {},
            language=language,
        )
        for language in ("en", "cy")
    }
    summary, _ = Debrief.objects.get_or_create(
        wave=wave,
        kind=DebriefKind.SUMMARY,
        defaults={"text_en": texts["en"], "text_cy": texts["cy"]},
    )
    return summary


def edit_debrief(debrief_id: int, *, text_en: str, text_cy: str) -> Debrief:
    """Change the texts; a changed text needs approving again. A sent debrief is final."""
    with transaction.atomic():
        debrief = Debrief.objects.select_for_update().get(pk=debrief_id)
        if debrief.sent_at is not None:
            raise DebriefError("This message has been sent and can no longer be changed.")
        if (debrief.text_en, debrief.text_cy) != (text_en, text_cy):
            debrief.text_en, debrief.text_cy = text_en, text_cy
            debrief.approved_at, debrief.approved_by = None, None
            debrief.save(
                update_fields=["text_en", "text_cy", "approved_at", "approved_by", "updated_at"]
            )
    return debrief


def approve_debrief(debrief_id: int, *, user) -> Debrief:
    """Record the admin's approval of the texts as they stand."""
    with transaction.atomic():
        debrief = Debrief.objects.select_for_update().get(pk=debrief_id)
        if not debrief.text_en.strip() or not debrief.text_cy.strip():
            raise DebriefError("Write the message in both English and Welsh before approving it.")
        if debrief.approved_at is None:
            debrief.approved_at, debrief.approved_by = timezone.now(), user
            debrief.save(update_fields=["approved_at", "approved_by"])
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


def send_debrief(debrief_id: int) -> int:
    """Queue the approved message to every member who took part and has not had it; return how many.

    Safe to call twice: a member with a queued or sent copy is skipped.
    """
    with transaction.atomic():
        debrief = Debrief.objects.select_for_update().select_related("wave").get(pk=debrief_id)
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
        # Through the outbox: a broker that is down or hangs holds no request and loses none.
        enqueue_many("experiments.tasks.send_email", [{"delivery_id": pk} for pk in ids])
    return len(ids)


def compose_debrief_email(delivery: EmailDelivery) -> EmailMessage:
    """Build the debrief e-mail in the member's own language."""
    from experiments.emails import unsubscribe_url

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
        subject=SUBJECTS[kind][language].format(title=delivery.wave.title),
        body=f"{debrief.text_in(language)}\n\n{footer}\n{unsubscribe}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[member.contact.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def approved_debriefs(wave: Wave) -> list[Debrief]:
    """Return the wave's approved messages, for the member's closed-wave page."""
    return list(Debrief.objects.filter(wave=wave, approved_at__isnull=False).order_by("kind"))
