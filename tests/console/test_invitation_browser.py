"""An admin invites a random sample in headless Chromium: choose, check, test, send, read.

Every page on the way is checked with axe-core at the WCAG 2.2 AA tags and for sideways
scrolling at 390 px (a phone) and 1280 px; screenshots of both widths are saved under
$CONSOLE_SCREENSHOTS when set.
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from experiments.models import CouncilRole, EmailCopy, EmailDelivery, InvitationBatch
from tests.factories import CouncilMembershipFactory, MemberContactFactory, WaveFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE = Axe()


@pytest.fixture
def check(tmp_path):
    """Audit the page at both widths and keep a screenshot of each."""
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)

    def audit(page, name: str) -> None:
        results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
        assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            wide = page.evaluate(
                "[...document.querySelectorAll('body *')].filter(e => "
                "e.getBoundingClientRect().right > window.innerWidth + 1)"
                ".map(e => e.tagName + ':' + (e.textContent || '').slice(0, 40))"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px: {wide}"
            page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 900})

    return audit


def test_an_admin_invites_a_sample_after_a_preview_and_a_test_and_reads_the_test(
    chromium, live_server, check, settings
):
    from playwright.sync_api import expect

    # Given an open wave of a council with 12 panel members in two wards
    settings.KEEP_SENT_EMAILS = True
    membership = CouncilMembershipFactory(role=CouncilRole.ADMIN, council__name="Abertawe")
    wave = WaveFactory(council=membership.council, title="Spring survey")
    for number in range(12):
        MemberContactFactory(
            member__council=wave.council, member__ward=["Castle", "Uplands"][number % 2]
        )
    page = chromium.new_context(viewport={"width": 390, "height": 900}).new_page()
    page.goto(live_server.url + reverse("console:invitations", args=[wave.pk]))
    page.get_by_label("Username").fill(membership.user.username)
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()

    # The invitations page, then an error, then a sample of 5
    expect(page.get_by_role("heading", name="Invitations and reminders")).to_be_visible()
    check(page, "01-invitations")
    page.get_by_label("A random sample of those not yet invited").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    check(page, "02-invitations-error")
    page.get_by_label("How many members to draw").fill("5")
    page.get_by_role("button", name="Continue").click()

    # The check page: the count, the seed and both versions of the e-mail
    expect(page.get_by_role("heading", name="Check and send the invitations")).to_be_visible()
    expect(page.get_by_role("button", name="Send 5 invitations")).to_be_visible()
    expect(page.get_by_text("Dear Alex Morgan,")).to_have_count(2)
    check(page, "03-check")

    # A test to oneself, then the invitations
    page.get_by_role("radio", name="Welsh first").check()
    page.get_by_role("button", name="Send me a test").click()
    expect(page.get_by_text("A test e-mail is on its way")).to_be_visible()
    page.get_by_role("button", name="Send 5 invitations").click()
    expect(page.get_by_text("5 invitation e-mails are on their way.")).to_be_visible()
    check(page, "04-sent")
    assert EmailDelivery.objects.filter(batch=InvitationBatch.objects.get()).count() == 5

    # The sent e-mails, and the test read whole
    page.get_by_role("link", name="Read the e-mails sent for this wave").click()
    expect(page.get_by_role("heading", name="Sent e-mails")).to_be_visible()
    check(page, "05-sent-emails")
    page.get_by_role("link", name="[Test] Eich barn: ").click()
    expect(page.get_by_text(membership.user.email)).to_be_visible()
    check(page, "06-test-email")
    page.get_by_role("link", name="Back to sent e-mails").click()
    member_copy = EmailCopy.objects.filter(delivery__isnull=False).first()
    page.get_by_role("link", name=member_copy.subject).first.click()
    expect(page.get_by_text("The member's name and personal links are hidden here")).to_be_visible()
    check(page, "07-member-email")

    # The wording page, with a placeholder mistake
    page.goto(live_server.url + reverse("console:invitation_wording", args=[wave.pk]))
    check(page, "08-wording")
    page.get_by_label("Subject in English").fill("Your views: {titel}")
    page.get_by_role("button", name="Preview without saving").click()
    expect(page.get_by_text("{titel} is not a placeholder.").first).to_be_visible()
    check(page, "09-wording-error")

    # The same pages in Welsh
    page.get_by_role("button", name="Cymraeg").click()
    expect(page.get_by_role("heading", name="Geiriad yr e-bost gwahodd")).to_be_visible()
    check(page, "10-wording-cy")
    page.get_by_role("link", name="Yn ôl i wahoddiadau a nodiadau atgoffa").click()
    expect(page.get_by_role("heading", name="Gwahoddiadau a nodiadau atgoffa")).to_be_visible()
    check(page, "11-invitations-cy")
    page.get_by_role("link", name="Sampl ar hap").first.click()
    expect(page.get_by_role("heading", name="Gwahoddiadau wedi'u hanfon")).to_be_visible()
    check(page, "12-sent-cy")
