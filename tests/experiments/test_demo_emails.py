"""The demo has a few e-mails to read: each open wave's sample invitations and a test."""

import pytest

from experiments.demo import EMAILED_SAMPLE, seed_demo
from experiments.emails import read_sent_email, sent_emails
from experiments.models import DeliveryStatus, EmailCopy, EmailDelivery, InvitationBatch
from panel.models import MemberContact, PanelMember

pytestmark = pytest.mark.django_db


def test_the_demo_sends_a_sample_of_each_open_wave_and_a_test_kept_to_read(
    django_capture_on_commit_callbacks, settings
):
    settings.KEEP_SENT_EMAILS = True

    with django_capture_on_commit_callbacks(execute=True):
        summary = seed_demo(seed=3, analyse=False)

    for wave, first in ((summary.wave, "en"), (summary.welsh_wave, "cy")):
        batch = InvitationBatch.objects.get(wave=wave)
        assert (batch.rule, batch.seed, batch.count) == ("sample", "demo-3", EMAILED_SAMPLE)
        sent = EmailDelivery.objects.filter(wave=wave, status=DeliveryStatus.SENT)
        assert set(sent.values_list("member_id", flat=True)) == set(batch.member_ids)
        copies = EmailCopy.objects.filter(wave=wave)
        assert copies.count() == EMAILED_SAMPLE + 1
        for copy in copies.filter(delivery__isnull=False):
            assert copy.language_first == copy.delivery.member.preferred_language
        admin = batch.created_by
        assert admin.username == f"{wave.council.slug}-admin"
        assert sent_emails(admin).filter(wave=wave).count() == EMAILED_SAMPLE + 1
        test = copies.get(delivery__isnull=True)
        assert test.language_first == first
        assert read_sent_email(admin, test.pk).recipient == admin.email


def test_loading_the_demo_again_e_mails_no_one_twice_and_closed_councils_have_addresses(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(seed=3, analyse=False)
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(seed=3, analyse=False)

    assert InvitationBatch.objects.count() == 2
    assert EmailDelivery.objects.count() == 2 * EMAILED_SAMPLE
    # Every synthetic panel member of the closed waves can be e-mailed by a later wave
    assert not PanelMember.objects.exclude(
        pk__in=MemberContact.objects.exclude(email="").values("member_id")
    ).exists()
