"""Invitations as staff actions: choose, check, test, send; the councils' own wording."""

import hashlib
import hmac

import pytest
from django.core import mail

from audit.log import staff_actions
from experiments.emails import (
    mask_address,
    queue_invitations,
    read_sent_email,
    sent_emails,
)
from experiments.invitations import (
    RecipientChoice,
    draw_sample,
    plan_invitations,
    preview_emails,
    reset_invitation_template,
    save_invitation_template,
    send_invitation_batch,
    send_test_email,
)
from experiments.links import find_invitation
from experiments.models import (
    CouncilRole,
    DeliveryStatus,
    EmailCopy,
    EmailDelivery,
    InvitationBatch,
    InvitationTemplate,
    WaveStatus,
)
from panel.models import MemberStatus
from surveyplatform.domain import InvalidInput, InvalidState, NotAllowed, NotFound
from tests.factories import (
    CouncilMembershipFactory,
    MemberContactFactory,
    PanelMemberFactory,
    WaveFactory,
    WaveThemeFactory,
)


@pytest.fixture
def admin(db):
    return CouncilMembershipFactory(role=CouncilRole.ADMIN)


@pytest.fixture
def wave(admin):
    wave = WaveFactory(council=admin.council)
    WaveThemeFactory(wave=wave)
    return wave


def members(wave, count, **fields):
    return [
        MemberContactFactory(
            member__council=wave.council, **{f"member__{k}": v for k, v in fields.items()}
        ).member
        for _ in range(count)
    ]


def independent_draw(ids, seed, size):
    """The documented draw, written again: the smallest HMAC-SHA256(seed, id) ranks."""
    ranks = {i: hmac.new(seed.encode(), str(i).encode(), hashlib.sha256).hexdigest() for i in ids}
    return sorted(sorted(ids, key=ranks.__getitem__)[:size])


WORDING = {
    "sender_name": "Tîm Panel Dinasyddion",
    "reply_to": "panel@council.example.org",
    "subject_en": "Have your say: {title}",
    "body_en": "Hello {name},\n\n{council} asks you about “{title}”.\n{link}\n"
    "Closes {closing_date}. About {minutes} minutes.",
    "subject_cy": "Dweud eich dweud: {title}",
    "body_cy": "Helo {name},\n\nMae {council} yn gofyn i chi am “{title}”.\n{link}\n"
    "Yn cau {closing_date}.",
}


# --- The draw -----------------------------------------------------------------------------


def test_a_sample_is_the_same_for_the_same_seed_whatever_the_order_of_the_ids():
    ids = list(range(1, 201))

    drawn = draw_sample(ids, seed="5eed", size=20)

    assert drawn == independent_draw(ids, "5eed", 20)
    assert draw_sample(reversed(ids), seed="5eed", size=20) == drawn
    assert draw_sample(ids, seed="other", size=20) != drawn
    assert len(set(drawn)) == 20


def test_planning_a_sample_records_the_seed_the_count_and_who_was_drawn_and_sends_nothing(
    admin, wave
):
    # Given 12 members not yet invited and 3 already invited
    invited = members(wave, 3)
    queue_invitations(wave, members=[m.pk for m in invited])
    waiting = members(wave, 12)
    mail.outbox.clear()

    # When a sample of 5 is planned
    batch = plan_invitations(
        admin.user, wave, RecipientChoice(rule="sample", sample_size=5), seed="abc123"
    )

    # Then the draw is the documented one over those not yet invited, and is recorded
    expected = independent_draw([m.pk for m in waiting], "abc123", 5)
    assert (batch.rule, batch.seed, batch.sample_size) == ("sample", "abc123", 5)
    assert (batch.eligible, batch.member_ids) == (12, expected)
    assert batch.sent_at is None
    assert mail.outbox == []
    entry = staff_actions().get(action="plan_invitations")
    assert entry.details["seed"] == "abc123"
    assert (entry.details["chosen"], entry.details["eligible"]) == (5, 12)


def test_a_sample_gets_a_fresh_seed_of_its_own_when_none_is_given(admin, wave):
    everyone = sorted(m.pk for m in members(wave, 10))

    first = plan_invitations(admin.user, wave, RecipientChoice(rule="sample", sample_size=3))
    second = plan_invitations(admin.user, wave, RecipientChoice(rule="sample", sample_size=3))

    assert len(first.seed) == len(second.seed) == 32
    assert first.seed != second.seed
    assert first.member_ids == independent_draw(everyone, first.seed, 3)
    assert second.member_ids == independent_draw(everyone, second.seed, 3)


def test_a_sample_larger_than_those_left_is_refused_and_nothing_is_recorded(admin, wave):
    members(wave, 4)

    with pytest.raises(InvalidInput) as refused:
        plan_invitations(admin.user, wave, RecipientChoice(rule="sample", sample_size=5))

    assert refused.value.fields == {
        "sample_size": ["Only 4 members have not been invited yet: choose 4 or fewer."]
    }
    assert InvitationBatch.objects.count() == 0
    assert staff_actions().count() == 0


@pytest.mark.parametrize("size", [None, 0, -3])
def test_a_sample_without_a_size_is_refused(admin, wave, size):
    members(wave, 4)

    with pytest.raises(InvalidInput) as refused:
        plan_invitations(admin.user, wave, RecipientChoice(rule="sample", sample_size=size))

    assert list(refused.value.fields) == ["sample_size"]
    assert InvitationBatch.objects.count() == 0


def test_everyone_not_yet_invited_leaves_out_the_invited_the_inactive_and_those_without_address(
    admin, wave
):
    invited = members(wave, 2)
    queue_invitations(wave, members=[m.pk for m in invited])
    members(wave, 1, status=MemberStatus.WITHDRAWN)
    PanelMemberFactory(council=wave.council)  # no address at all
    MemberContactFactory(member__council=wave.council, email="")
    waiting = members(wave, 3)
    members(WaveFactory(), 2)  # another council's

    batch = plan_invitations(admin.user, wave, RecipientChoice(rule="not_invited"))

    assert batch.member_ids == sorted(m.pk for m in waiting)
    assert (batch.eligible, batch.seed, batch.sample_size) == (3, "", None)


def test_a_failed_invitation_does_not_count_as_invited(admin, wave):
    (member,) = members(wave, 1)
    queue_invitations(wave)
    EmailDelivery.objects.update(status=DeliveryStatus.FAILED)

    batch = plan_invitations(admin.user, wave, RecipientChoice(rule="not_invited"))

    assert batch.member_ids == [member.pk]


def test_chosen_wards_and_groups_must_each_match(admin, wave):
    # Given members in two wards, of two genders
    north_women = members(wave, 2, ward="North", gender="woman")
    members(wave, 2, ward="North", gender="man")
    south_women = members(wave, 1, ward="South", gender="woman")
    members(wave, 3, ward="East", gender="woman")

    # When the North and South women are chosen
    batch = plan_invitations(
        admin.user,
        wave,
        RecipientChoice(rule="groups", wards=("North", "South"), genders=("woman",)),
    )

    # Then exactly they are, and the groups are recorded
    assert batch.member_ids == sorted(m.pk for m in north_women + south_women)
    assert (batch.wards, batch.genders, batch.age_bands) == (["North", "South"], ["woman"], [])


def test_choosing_groups_without_ticking_any_is_refused(admin, wave):
    members(wave, 2)

    with pytest.raises(InvalidInput) as refused:
        plan_invitations(admin.user, wave, RecipientChoice(rule="groups"))

    assert refused.value.fields == {"wards": ["Choose at least one ward, age band or gender."]}


def test_groups_with_nobody_left_to_invite_are_refused(admin, wave):
    members(wave, 2, ward="North")

    with pytest.raises(InvalidInput) as refused:
        plan_invitations(admin.user, wave, RecipientChoice(rule="groups", wards=("Nowhere",)))

    assert refused.value.fields == {"wards": ["No member still to invite is in the chosen groups."]}


def test_nothing_can_be_planned_when_everyone_is_invited(admin, wave):
    members(wave, 2)
    queue_invitations(wave)

    with pytest.raises(InvalidState, match="invited already"):
        plan_invitations(admin.user, wave, RecipientChoice(rule="not_invited"))


@pytest.mark.parametrize("status", [WaveStatus.DRAFT, WaveStatus.CLOSED])
def test_invitations_are_planned_only_for_an_open_wave(admin, status):
    wave = WaveFactory(council=admin.council, status=status)
    members(wave, 2)

    with pytest.raises(InvalidState):
        plan_invitations(admin.user, wave, RecipientChoice(rule="not_invited"))

    assert InvitationBatch.objects.count() == 0


def test_a_researcher_may_not_invite_and_another_councils_admin_finds_nothing(admin, wave):
    members(wave, 2)
    researcher = CouncilMembershipFactory(council=wave.council, role=CouncilRole.RESEARCHER)
    stranger = CouncilMembershipFactory(role=CouncilRole.ADMIN)

    with pytest.raises(NotAllowed):
        plan_invitations(researcher.user, wave, RecipientChoice(rule="not_invited"))
    with pytest.raises(NotFound):
        plan_invitations(stranger.user, wave, RecipientChoice(rule="not_invited"))

    assert InvitationBatch.objects.count() == 0


# --- Sending ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sending_a_sample_e_mails_exactly_those_drawn_once(admin, wave):
    # Given a planned sample of 3 out of 8
    everyone = members(wave, 8)
    batch = plan_invitations(admin.user, wave, RecipientChoice(rule="sample", sample_size=3))

    # When it is sent, and sending is tried again
    count = send_invitation_batch(admin.user, batch)
    with pytest.raises(InvalidState):
        send_invitation_batch(admin.user, batch)

    # Then the three drawn got one e-mail each, and nobody else did
    drawn = {m.contact.email for m in everyone if m.pk in batch.member_ids}
    assert count == 3
    assert {message.to[0] for message in mail.outbox} == drawn
    assert len(mail.outbox) == 3
    batch.refresh_from_db()
    assert (batch.queued, batch.sent_by) == (3, admin.user)
    assert set(batch.deliveries.values_list("member_id", flat=True)) == set(batch.member_ids)
    assert list(staff_actions().values_list("action", flat=True).order_by("pk")) == [
        "plan_invitations",
        "send_invitations",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_member_invited_meanwhile_or_gone_is_not_e_mailed_again(admin, wave):
    first, second, third = members(wave, 3)
    batch = plan_invitations(admin.user, wave, RecipientChoice(rule="not_invited"))
    queue_invitations(wave, members=[first.pk])
    second.status = MemberStatus.UNSUBSCRIBED
    second.save(update_fields=["status"])
    mail.outbox.clear()

    count = send_invitation_batch(admin.user, batch)

    assert count == 1
    assert [message.to[0] for message in mail.outbox] == [third.contact.email]


# --- The wording --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_councils_wording_is_what_members_receive_with_the_unsubscribe_line_added(admin, wave):
    # Given the council's own wording and a Welsh reader called Siân
    save_invitation_template(admin.user, wave.council, kind="invitation", fields=WORDING)
    (member,) = members(wave, 1, preferred_language="cy")
    member.contact.name = "Siân"
    member.contact.save()

    # When she is invited
    queue_invitations(wave)

    # Then the e-mail has the council's headers and words, Welsh first, filled in
    (message,) = mail.outbox
    assert message.from_email == "Tîm Panel Dinasyddion <panel@surveyplatform.invalid>"
    assert message.reply_to == ["panel@council.example.org"]
    assert message.subject == f"Dweud eich dweud: {wave.title_cy} / Have your say: {wave.title}"
    welsh, english = message.body.split("\n\n— — —\n\n")
    assert welsh.startswith(f"Helo Siân,\n\nMae {wave.council.name_cy} yn gofyn i chi am")
    assert english.startswith(f"Hello Siân,\n\n{wave.council.name} asks you about")
    token = next(line for line in welsh.splitlines() if "/i/" in line).rsplit("/i/", 1)[1]
    assert find_invitation(token.strip("/")).member == member
    # and the way out of the panel, which the wording did not mention, is in both halves
    assert "I roi'r gorau i gael e-byst gan y panel, neu i'w adael:\nhttp" in welsh
    assert "To stop e-mails from the panel, or to leave it:\nhttp" in english
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert "{" not in message.body


def test_a_name_that_looks_like_a_placeholder_is_written_as_it_is(admin, wave):
    save_invitation_template(admin.user, wave.council, kind="invitation", fields=WORDING)

    from experiments.emails import render_message, wording_for

    message = render_message(
        wave,
        wording_for(wave.council, "invitation"),
        first="en",
        to="x@example.org",
        name="{link} {council}",
        link="https://example.org/i/secret/",
        unsubscribe="https://example.org/unsubscribe/x/",
    )

    assert message.body.startswith("Hello {link} {council},")
    assert message.body.count("https://example.org/i/secret/") == 2


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"body_en": "Hello {nmae},\n{link}"},
            {"body_en": ["{nmae} is not a placeholder. Use one of {name}, {link}, "
                         "{closing_date}, {council}, {title}, {minutes}."]},
        ),
        (
            {"body_cy": "Helo {name}, dyma'r arolwg."},
            {"body_cy": ["Put {link} in the text: it is the member's personal link, and "
                         "without it they cannot take part."]},
        ),
        (
            {"subject_en": "For {name}: {link}"},
            {"subject_en": [
                "{name} cannot be used in the subject. Use one of {closing_date}, {council}, "
                "{title}.",
                "{link} cannot be used in the subject. Use one of {closing_date}, {council}, "
                "{title}.",
            ]},
        ),
        (
            {"body_en": "Hello {{name}},\n{link}"},
            {"body_en": ["Write each placeholder with one brace on each side and no spaces, "
                         "for example {name}, not {{name}}."]},
        ),
        (
            {"body_en": "{link}\n\nLeave: {unsubscribe}"},
            {"body_en": ["Leave out {unsubscribe}: the unsubscribe line is added below every "
                         "e-mail."]},
        ),
        (
            {"subject_cy": "Eich barn\r\nBcc: pawb@example.org"},
            {"subject_cy": ["This text goes into e-mail headers, so it must be one line: "
                            "remove the line break."]},
        ),
        (
            {"sender_name": "Panel\nBcc: everyone@example.org"},
            {"sender_name": ["This text goes into e-mail headers, so it must be one line: "
                             "remove the line break."]},
        ),
        (
            {"reply_to": "panel@example.org\r\nBcc: everyone@example.org"},
            {"reply_to": ["This text goes into e-mail headers, so it must be one line: "
                          "remove the line break."]},
        ),
        (
            {"reply_to": "not an address"},
            {"reply_to": ["Enter an e-mail address in the right form, like "
                          "panel@council.gov.uk."]},
        ),
        ({"subject_en": "  "}, {"subject_en": ["Enter the subject."]}),
    ],
)  # fmt: skip
def test_a_wording_with_a_mistake_is_refused_by_the_field_and_nothing_is_saved(
    admin, fields, expected
):
    with pytest.raises(InvalidInput) as refused:
        save_invitation_template(
            admin.user, admin.council, kind="invitation", fields={**WORDING, **fields}
        )

    assert refused.value.fields == expected
    assert InvitationTemplate.objects.count() == 0
    assert staff_actions().count() == 0


def test_saving_again_records_what_changed_and_going_back_restores_the_standard(admin, wave):
    save_invitation_template(admin.user, admin.council, kind="reminder", fields=WORDING)
    save_invitation_template(
        admin.user, admin.council, kind="reminder", fields={**WORDING, "sender_name": "Panel"}
    )

    assert staff_actions().filter(action="save_email_wording").order_by("pk").last().details == {
        "kind": "reminder",
        "changed": ["sender_name"],
    }
    assert preview_emails(wave, "reminder")["en"].subject.startswith("Have your say")

    reset_invitation_template(admin.user, admin.council, kind="reminder")

    assert InvitationTemplate.objects.count() == 0
    assert preview_emails(wave, "reminder")["en"].subject.startswith("Reminder – your views")


def test_the_preview_shows_both_versions_with_the_closing_date_in_each_language(admin):
    import datetime as dt

    wave = WaveFactory(
        council=admin.council, closes_at=dt.datetime(2027, 3, 17, 12, 0, tzinfo=dt.UTC)
    )

    previews = preview_emails(wave, "invitation")

    assert previews["en"].body.startswith("Dear Alex Morgan,")
    assert previews["cy"].body.startswith("Annwyl Alex Morgan,")
    assert "The survey closes on 17 March 2027." in previews["en"].body
    assert "Mae'r arolwg yn cau ar 17 Mawrth 2027." in previews["cy"].body
    assert [lang for lang, _ in previews["cy"].sections] == ["cy", "en"]


# --- Test e-mails and the kept copies -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_test_e_mail_goes_to_the_actor_only_and_is_kept_whole(admin, wave):
    members(wave, 3)

    copy = send_test_email(admin.user, wave, kind="invitation", first="cy")

    (message,) = mail.outbox
    assert message.to == [admin.user.email]
    assert message.subject.startswith("[Test] Eich barn: ")
    assert message.body.startswith("Annwyl Alex Morgan,")
    copy.refresh_from_db()
    assert copy.sent_at is not None
    assert (copy.subject, copy.body) == (message.subject, message.body)
    assert EmailDelivery.objects.count() == 0
    assert read_sent_email(admin.user, copy.pk).recipient == admin.user.email


def test_a_test_e_mail_needs_an_address_on_the_account(admin, wave):
    admin.user.email = ""
    admin.user.save()

    with pytest.raises(InvalidInput, match="no e-mail address"):
        send_test_email(admin.user, wave, kind="invitation", first="en")

    assert EmailCopy.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_members_kept_copy_hides_their_name_address_and_links(admin, wave, settings):
    settings.KEEP_SENT_EMAILS = True
    (member,) = members(wave, 1)
    member.contact.name = "Gwenllian ap Rhys"
    member.contact.save()

    queue_invitations(wave)

    (message,) = mail.outbox
    copy = EmailCopy.objects.get()
    token = next(line for line in message.body.splitlines() if "/i/" in line).rsplit("/i/")[1]
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert copy.subject == message.subject
    assert copy.body.startswith("Dear [member's name],")
    assert "[personal link]" in copy.body
    assert "[dolen bersonol]" in copy.body
    for secret in ("Gwenllian", member.contact.email, token.strip("/"), unsubscribe):
        assert secret not in copy.body
    shown = read_sent_email(admin.user, copy.pk)
    assert (shown.member, shown.recipient) == (
        member.external_id,
        mask_address(member.contact.email),
    )


@pytest.mark.django_db(transaction=True)
def test_no_copy_is_kept_when_keeping_is_off(wave, settings):
    settings.KEEP_SENT_EMAILS = False
    members(wave, 2)

    queue_invitations(wave)

    assert len(mail.outbox) == 2
    assert EmailCopy.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_kept_e_mails_are_read_only_within_the_readers_councils(admin, wave, settings):
    settings.KEEP_SENT_EMAILS = True
    members(wave, 1)
    queue_invitations(wave)
    own_test = send_test_email(admin.user, wave, kind="reminder", first="en")
    colleague = CouncilMembershipFactory(council=wave.council, role=CouncilRole.ADMIN)
    stranger = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    researcher = CouncilMembershipFactory(council=wave.council, role=CouncilRole.RESEARCHER)

    assert sent_emails(admin.user).count() == 2
    assert sent_emails(stranger.user).count() == 0
    assert sent_emails(researcher.user).count() == 0
    with pytest.raises(NotFound):
        read_sent_email(stranger.user, own_test.pk)
    with pytest.raises(NotAllowed):
        read_sent_email(researcher.user, own_test.pk)
    # A colleague reads the test, but not the address it went to
    assert read_sent_email(colleague.user, own_test.pk).recipient == mask_address(admin.user.email)


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("jane@example.org", "j•••@e•••.org"),
        ("a@b.co.uk", "a•••@b•••.uk"),
        ("x@localhost", "x•••@l•••"),
        ("broken", "•••"),
    ],
)
def test_an_address_is_masked(address, masked):
    assert mask_address(address) == masked


@pytest.mark.django_db(transaction=True)
def test_an_erased_members_kept_e_mail_names_them_nowhere(admin, wave, settings):
    from panel.erasure import erase_member
    from tests.security.test_erasure import occurrences

    # Given a member e-mailed, whose copy was kept
    settings.KEEP_SENT_EMAILS = True
    (member,) = members(wave, 1)
    member.contact.name = "Gwenllian ap Rhys"
    member.contact.save()
    email = member.contact.email
    queue_invitations(wave)
    copy = EmailCopy.objects.get()

    # When the member is erased
    erase_member(admin.user, member, keep_answers=False)

    # Then neither their address nor their name is stored anywhere, and the copy says so
    assert occurrences(email) == []
    assert occurrences("Gwenllian") == []
    assert read_sent_email(admin.user, copy.pk).recipient == "—"
