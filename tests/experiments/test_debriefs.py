"""Debriefs: drafted at close; sent once per member who took part, in their language."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from analysis.summaries import draft_summary, summary_text
from experiments.debriefs import (
    DebriefError,
    anyone_completed,
    approve_debrief,
    draft_debrief,
    edit_debrief,
    send_debrief,
)
from experiments.models import (
    Debrief,
    DebriefKind,
    DeliveryStatus,
    EmailDelivery,
    EmailKind,
    Response,
    ResponseStatus,
)
from experiments.policy import SYSTEM
from experiments.waves import close_wave
from panel.models import MemberStatus
from tests.factories import MemberContactFactory, UserFactory


def took_part(wave, *, language="en", status=ResponseStatus.COMPLETE, **member):
    person = MemberContactFactory(
        member__council=wave.council,
        member__preferred_language=language,
        **{f"member__{k}": v for k, v in member.items()},
    )
    Response.objects.create(
        wave=wave,
        member=person.member,
        status=status,
        submitted_at=timezone.now() if status == ResponseStatus.COMPLETE else None,
    )
    return person


@pytest.mark.django_db(transaction=True)
def test_closing_a_wave_drafts_a_bilingual_debrief_waiting_for_approval(open_wave):
    took_part(open_wave)
    close_wave(SYSTEM, open_wave)

    debrief = Debrief.objects.get(wave=open_wave)
    assert debrief.kind == DebriefKind.DEBRIEF
    assert debrief.approved_at is None
    assert debrief.sent_at is None
    assert debrief.text_en.startswith(f"Thank you for taking part in “{open_wave.title}”.")
    assert "decided at random" in debrief.text_en
    # The Welsh text names the wave and the council by their Welsh names
    assert debrief.text_cy.startswith(f"Diolch am gymryd rhan yn “{open_wave.title_cy}”.")
    assert f"Bydd {open_wave.council.name_cy} yn cyhoeddi" in debrief.text_cy
    assert open_wave.council.name not in debrief.text_cy
    assert "ar hap" in debrief.text_cy
    assert EmailDelivery.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_closing_a_wave_nobody_completed_drafts_no_message_to_members(open_wave):
    # given a wave whose only answer was never finished
    took_part(open_wave, status=ResponseStatus.PARTIAL)

    close_wave(SYSTEM, open_wave)

    # then there is nobody to thank or tell about the results: no debrief, no summary
    assert not anyone_completed(open_wave)
    assert draft_summary(open_wave) is None
    assert Debrief.objects.filter(wave=open_wave).count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_unapproved_debrief_is_not_sent(open_wave):
    # given a closed wave with one member who took part
    took_part(open_wave)
    close_wave(SYSTEM, open_wave)
    debrief = Debrief.objects.get(wave=open_wave)

    # when sending is attempted before approval
    with pytest.raises(DebriefError, match="must approve"):
        send_debrief(SYSTEM, debrief)

    # then nothing was queued or sent
    assert EmailDelivery.objects.count() == 0
    assert mail.outbox == []
    debrief.refresh_from_db()
    assert debrief.sent_at is None


@pytest.mark.django_db(transaction=True)
def test_the_approved_debrief_goes_once_to_each_member_who_took_part_in_their_language(
    open_wave,
):
    # given an English and a Welsh member who completed, one who only started,
    # one who completed but then withdrew, and one who never answered
    english = took_part(open_wave, language="en")
    welsh = took_part(open_wave, language="cy")
    took_part(open_wave, status=ResponseStatus.PARTIAL)
    withdrawn = took_part(open_wave)
    withdrawn.member.status = MemberStatus.WITHDRAWN
    withdrawn.member.save(update_fields=["status"])
    MemberContactFactory(member__council=open_wave.council)
    close_wave(SYSTEM, open_wave)
    debrief = Debrief.objects.get(wave=open_wave)
    approve_debrief(UserFactory(is_superuser=True), debrief)

    # when it is sent twice
    first = send_debrief(SYSTEM, debrief)
    second = send_debrief(SYSTEM, debrief)

    # then the two members who took part got it once each, in their own language only
    assert (first, second) == (2, 0)
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == sorted([english.email, welsh.email])
    to_english, to_welsh = by_address[english.email], by_address[welsh.email]
    assert to_english.subject == f"About the survey: {open_wave.title}"
    assert to_welsh.subject == f"Am yr arolwg: {open_wave.title_cy}"
    assert "decided at random" in to_english.body
    assert "ar hap" not in to_english.body
    assert "ar hap" in to_welsh.body
    assert "decided at random" not in to_welsh.body
    assert "unsubscribe" in to_english.body
    assert (
        list(EmailDelivery.objects.values_list("kind", "status").order_by("pk"))
        == [(EmailKind.DEBRIEF, DeliveryStatus.SENT)] * 2
    )
    debrief.refresh_from_db()
    assert debrief.sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_editing_an_approved_debrief_withdraws_the_approval(open_wave):
    took_part(open_wave)
    close_wave(SYSTEM, open_wave)
    debrief = Debrief.objects.get(wave=open_wave)
    approve_debrief(UserFactory(is_superuser=True), debrief)

    edited = edit_debrief(SYSTEM, debrief, text_en="New text", text_cy="Testun newydd")

    assert (edited.text_en, edited.text_cy, edited.approved_at) == (
        "New text",
        "Testun newydd",
        None,
    )
    with pytest.raises(DebriefError, match="must approve"):
        send_debrief(SYSTEM, debrief)


@pytest.mark.django_db(transaction=True)
def test_a_sent_debrief_cannot_be_edited(open_wave):
    took_part(open_wave)
    close_wave(SYSTEM, open_wave)
    debrief = Debrief.objects.get(wave=open_wave)
    approve_debrief(UserFactory(is_superuser=True), debrief)
    send_debrief(SYSTEM, debrief)
    before = Debrief.objects.get(pk=debrief.pk).text_en

    with pytest.raises(DebriefError, match="has been sent"):
        edit_debrief(SYSTEM, debrief, text_en="Changed", text_cy="Wedi newid")

    assert Debrief.objects.get(pk=debrief.pk).text_en == before


@pytest.mark.django_db
def test_a_debrief_cannot_go_out_while_the_wave_is_open(open_wave):
    debrief = draft_debrief(open_wave)
    approve_debrief(UserFactory(is_superuser=True), debrief)
    took_part(open_wave)

    with pytest.raises(DebriefError, match="after the wave has closed"):
        send_debrief(SYSTEM, debrief)

    assert EmailDelivery.objects.count() == 0


def test_the_summary_is_written_from_the_results_in_both_languages():
    results = {
        "levels": [
            {
                "case": "Swansea — Environment",
                "individual": {"estimate": 0.62},
                "collective_any": {"estimate": 0.21},
            }
        ],
        "nudges": {"counts": {"individual": {"tests": 3, "significant_adjusted_05": 0}}},
    }

    english = summary_text(results, title="Spring", theme_names={}, language="en")
    welsh = summary_text(
        results, title="Spring", theme_names={"Environment": "Amgylchedd"}, language="cy"
    )

    assert english.splitlines()[3] == (
        "- Environment: on average you do 62 % of the everyday activities we asked about, "
        "and 21 % of you work with others in a group at least sometimes."
    )
    assert "made no clear difference" in english
    assert english.endswith("We did: [write here what the council will do in response].")
    assert welsh.splitlines()[3].startswith("- Amgylchedd: ar gyfartaledd rydych yn gwneud 62 %")


@pytest.mark.django_db(transaction=True)
def test_the_members_link_page_shows_the_approved_debrief_in_their_language(client, open_wave):
    # given a Welsh member's session on a closed wave whose debrief is approved
    from experiments.invitations import issue_invitation

    person = took_part(open_wave, language="cy")
    issued = issue_invitation(open_wave, member=person.member)
    close_wave(SYSTEM, open_wave)
    client.cookies["django_language"] = "cy"
    client.get(reverse("experiments:invitation", args=[issued.token]))
    draft = Debrief.objects.get(wave=open_wave)

    # then before approval the page carries no debrief; after approval, the Welsh one
    page = client.get(reverse("experiments:questionnaire"))
    assert page.status_code == 410
    assert b'data-testid="debrief"' not in page.content
    approve_debrief(UserFactory(is_superuser=True), draft)
    page = client.get(reverse("experiments:questionnaire"))
    assert "ar hap" in page.content.decode()
    assert "decided at random" not in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_bot_filling_the_honeypot_on_the_start_page_stores_no_consent(
    client, open_wave, settings
):
    # given the trap switched on and a member's session
    from experiments.invitations import issue_invitation

    settings.HONEYPOT_ON_INVITATION_FORMS = True
    person = MemberContactFactory(member__council=open_wave.council)
    issued = issue_invitation(open_wave, member=person.member)
    client.get(reverse("experiments:invitation", args=[issued.token]))

    # when the start page is posted with the trap filled in
    page = client.post(reverse("experiments:questionnaire"), {"consent": "yes", "website": "x"})

    # then the form is refused (the page shows why after a redirect) and no consent is stored
    assert (page.status_code, page["Location"]) == (303, reverse("experiments:questionnaire"))
    assert "This form could not be accepted" in client.get(page["Location"]).content.decode()
    assert Response.objects.get(member=person.member).consented_at is None
