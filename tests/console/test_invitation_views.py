"""The invitation pages: choose, check the count and the e-mails, test, send; the wording;
the sent e-mails. Each page only reads the form and calls one domain action."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from experiments.models import (
    CouncilRole,
    EmailCopy,
    EmailDelivery,
    InvitationBatch,
    InvitationTemplate,
    WaveStatus,
)
from tests.factories import CouncilMembershipFactory, MemberContactFactory, WaveFactory


@pytest.fixture
def wave(console_client):
    return WaveFactory(council=console_client.council)


def add_members(wave, count, **fields):
    return [
        MemberContactFactory(
            member__council=wave.council, **{f"member__{k}": v for k, v in fields.items()}
        )
        for _ in range(count)
    ]


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode().replace("<wbr>", ""))


@pytest.mark.django_db(transaction=True)
def test_an_admin_draws_a_sample_checks_the_emails_tests_and_sends(console_client, wave, settings):
    # Given 6 members to invite
    settings.KEEP_SENT_EMAILS = True
    contacts = add_members(wave, 6)
    page = console_client.get(reverse("console:invitations", args=[wave.pk]))
    assert page.status_code == 200
    assert "Everyone not yet invited (6 members)" in text(page)

    # When a random sample of 2 is chosen
    chosen = console_client.post(
        reverse("console:invitations", args=[wave.pk]), {"rule": "sample", "sample_size": "2"}
    )
    batch = InvitationBatch.objects.get()
    assert chosen["Location"] == reverse("console:invitation_batch", args=[wave.pk, batch.pk])

    # Then the check page gives the count, the seed and both versions of the e-mail; nothing is sent
    check = text(console_client.get(chosen["Location"]))
    assert "Send 2 invitations" in check
    assert batch.seed in check
    assert f"Your views: {wave.title} / Eich barn: {wave.title_cy}" in check
    assert f"Eich barn: {wave.title_cy} / Your views: {wave.title}" in check
    assert "Dear Alex Morgan," in check
    assert "Annwyl Alex Morgan," in check
    drawn_ids = sorted(c.member.external_id for c in contacts if c.member_id in batch.member_ids)
    assert ", ".join(drawn_ids) in check
    assert mail.outbox == []

    # When a test is sent, then the invitations
    test = console_client.post(
        reverse("console:invitation_test", args=[wave.pk]), {"first": "en", "batch": batch.pk}
    )
    assert test["Location"] == chosen["Location"]
    sent = console_client.post(
        reverse("console:invitation_batch_send", args=[wave.pk, batch.pk]), follow=True
    )

    # Then the admin got the test, the two drawn members their invitations
    user = console_client.council.memberships.get().user
    assert [m.to[0] for m in mail.outbox[:1]] == [user.email]
    drawn = {c.email for c in contacts if c.member_id in batch.member_ids}
    assert {m.to[0] for m in mail.outbox[1:]} == drawn
    assert "2 invitation e-mails are on their way." in text(sent)
    assert "Invitations sent" in text(sent)
    # and sending again changes nothing
    console_client.post(reverse("console:invitation_batch_send", args=[wave.pk, batch.pk]))
    assert EmailDelivery.objects.count() == 2


@pytest.mark.django_db
def test_choosing_nobody_or_too_many_shows_the_error_by_the_field(console_client, wave):
    add_members(wave, 3, ward="North")

    nothing = console_client.post(reverse("console:invitations", args=[wave.pk]), {})
    too_many = console_client.post(
        reverse("console:invitations", args=[wave.pk]), {"rule": "sample", "sample_size": "4"}
    )
    no_group = console_client.post(
        reverse("console:invitations", args=[wave.pk]), {"rule": "groups"}
    )

    assert nothing.status_code == 400
    assert "Choose who to invite." in text(nothing)
    assert too_many.status_code == 400
    assert 'href="#id_sample_size"' in text(too_many)
    assert "Only 3 members have not been invited yet: choose 3 or fewer." in text(too_many)
    assert no_group.status_code == 400
    assert 'href="#wards-group"' in text(no_group)
    assert InvitationBatch.objects.count() == 0


@pytest.mark.django_db
def test_the_wards_to_choose_from_are_listed_with_their_counts(console_client, wave):
    add_members(wave, 2, ward="North")
    add_members(wave, 1, ward="South")

    page = text(console_client.get(reverse("console:invitations", args=[wave.pk])))
    chosen = console_client.post(
        reverse("console:invitations", args=[wave.pk]), {"rule": "groups", "wards": ["South"]}
    )

    assert "North (2)" in page
    assert "South (1)" in page
    assert chosen.status_code == 302
    assert InvitationBatch.objects.get().count == 1


@pytest.mark.django_db
def test_a_draft_wave_offers_no_sending_but_its_wording_can_be_changed(console_client):
    draft = WaveFactory(council=console_client.council, status=WaveStatus.DRAFT)
    add_members(draft, 2)

    page = text(console_client.get(reverse("console:invitations", args=[draft.pk])))

    assert "Invitations can be sent once the wave is open." in page
    assert 'name="rule"' not in page
    assert reverse("console:invitation_wording", args=[draft.pk]) in page


@pytest.mark.django_db
def test_an_unknown_placeholder_is_a_form_error_and_nothing_is_saved(console_client, wave):
    url = reverse("console:invitation_wording", args=[wave.pk])
    form = {key: value for key, value in console_client.get(url).context["form"].initial.items()}

    response = console_client.post(url, {**form, "body_en": "Dear {nmae},\n{link}"})

    assert response.status_code == 400
    assert "{nmae} is not a placeholder." in text(response)
    assert 'href="#id_body_en"' in text(response)
    assert InvitationTemplate.objects.count() == 0


@pytest.mark.django_db
def test_a_wording_can_be_previewed_without_saving_then_saved(console_client, wave):
    url = reverse("console:invitation_wording", args=[wave.pk])
    form = dict(console_client.get(url).context["form"].initial)
    form["subject_en"] = "Tell us: {title}"

    preview = console_client.post(url, {**form, "action": "preview"})
    assert preview.status_code == 200
    assert "Preview of your changes (not saved)" in text(preview)
    assert f"Tell us: {wave.title}" in text(preview)
    assert InvitationTemplate.objects.count() == 0

    saved = console_client.post(url, {**form, "action": "save"}, follow=True)
    assert "Wording saved." in text(saved)
    assert InvitationTemplate.objects.get().subject_en == "Tell us: {title}"

    console_client.post(url, {"action": "reset"})
    assert InvitationTemplate.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_reminder_test_email_is_readable_whole_in_sent_emails(console_client, wave):
    # Given a test of the reminder sent from its wording page
    response = console_client.post(
        reverse("console:reminder_test", args=[wave.pk]), {"first": "cy"}
    )
    assert response["Location"] == reverse("console:reminder_wording", args=[wave.pk])
    user = console_client.council.memberships.get().user

    # When the sent e-mails are listed and the test opened
    listing = text(console_client.get(reverse("console:sent_emails")))
    copy = EmailCopy.objects.get()
    shown = text(console_client.get(reverse("console:sent_email", args=[copy.pk])))

    # Then it is listed and shown whole, to the address it went to
    assert "Reminder: test" in listing
    assert user.email in listing
    assert f"[Test] Nodyn atgoffa – eich barn: {wave.title_cy}" in shown
    assert user.email in shown
    assert "Annwyl Alex Morgan," in shown


@pytest.mark.django_db(transaction=True)
def test_sent_emails_hide_members_addresses_and_other_councils(console_client, wave, settings):
    # Given an invitation sent to a member here, and one in another council
    settings.KEEP_SENT_EMAILS = True
    (contact,) = add_members(wave, 1)
    other = WaveFactory()
    (stranger,) = add_members(other, 1)
    console_client.post(reverse("console:invitations", args=[wave.pk]), {"rule": "not_invited"})
    console_client.post(
        reverse("console:invitation_batch_send", args=[wave.pk, InvitationBatch.objects.get().pk])
    )
    from experiments.emails import queue_invitations

    queue_invitations(other)

    # When the sent e-mails are listed and the member's opened
    listing = text(console_client.get(reverse("console:sent_emails")))
    own = EmailCopy.objects.get(wave=wave)
    shown = text(console_client.get(reverse("console:sent_email", args=[own.pk])))
    foreign = console_client.get(
        reverse("console:sent_email", args=[EmailCopy.objects.get(wave=other).pk])
    )

    # Then the member's address and name never appear, and the other council's e-mail is hidden
    for page in (listing, shown):
        assert contact.email not in page
        assert contact.name not in page
        assert f"Member {contact.member.external_id}" in page
        assert stranger.email not in page
    assert "Dear [member&#x27;s name]," in shown
    assert foreign.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_test_e_mail_sent_before_many_invitations_is_one_click_away(
    console_client, wave, settings
):
    # Given a test sent first, then 60 invitations (more than a page of sent e-mails)
    settings.KEEP_SENT_EMAILS = True
    add_members(wave, 60)
    console_client.post(reverse("console:invitation_test", args=[wave.pk]), {"first": "en"})
    console_client.post(reverse("console:invitations", args=[wave.pk]), {"rule": "not_invited"})
    console_client.post(
        reverse("console:invitation_batch_send", args=[wave.pk, InvitationBatch.objects.get().pk])
    )
    listing_url = f"{reverse('console:sent_emails')}?wave={wave.pk}"
    test_copy = EmailCopy.objects.get(delivery__isnull=True)

    # When the wave's sent e-mails are listed, then only the tests
    listing = text(console_client.get(listing_url))
    tests_url = f"{listing_url}&amp;shown=tests"
    tests = text(console_client.get(f"{listing_url}&shown=tests"))

    # Then the test is not on the first page, but the page links the tests, which list it alone
    assert reverse("console:sent_email", args=[test_copy.pk]) not in listing
    assert f'href="{tests_url}"' in listing
    assert reverse("console:sent_email", args=[test_copy.pk]) in tests
    assert len(re.findall(r'href="/console/emails/\d+/"', tests)) == 1


@pytest.mark.django_db
def test_a_researcher_cannot_open_the_invitation_pages(client, wave):
    researcher = CouncilMembershipFactory(council=wave.council, role=CouncilRole.RESEARCHER)
    client.force_login(researcher.user)

    for url in (
        reverse("console:invitations", args=[wave.pk]),
        reverse("console:invitation_wording", args=[wave.pk]),
        reverse("console:sent_emails"),
    ):
        assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_the_check_page_warns_when_the_e_mail_names_a_closing_date_the_wave_lacks(
    console_client, wave
):
    import datetime as dt

    from django.utils import timezone

    # An open wave without a closing time: one opened before a closing time was required
    wave.closes_at = None
    wave.save(update_fields=["closes_at"])
    add_members(wave, 2)
    console_client.post(reverse("console:invitations", args=[wave.pk]), {"rule": "not_invited"})
    url = reverse("console:invitation_batch", args=[wave.pk, InvitationBatch.objects.get().pk])
    warning = "This wave has no closing time"

    without = text(console_client.get(url))
    wave.closes_at = timezone.now() + dt.timedelta(days=14)
    wave.save(update_fields=["closes_at"])
    with_date = text(console_client.get(url))

    assert warning in without
    assert "(no closing date set)" in without
    assert warning not in with_date
    assert timezone.localtime(wave.closes_at).strftime("%-d") in with_date
