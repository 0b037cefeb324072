"""A council admin's whole year in headless Chromium, from the sign-in page, by links only.

Sign in with the second factor, find last year's closed wave, copy it, set its closing time,
change one nudge, preview the four groups in Welsh, open the copy, invite a random sample
of 100 after a preview and a test e-mail to oneself, read that test on the sent e-mails
page, close the wave and open its results. Each step is checked with axe-core (WCAG 2.2
AA), for sideways scrolling, and screenshotted at 390 px (a phone) and 1280 px into
var/screenshots/admin-walk/ for checking by eye. No page on the way may answer 403 or 500.
"""

import datetime as dt
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from experiments.models import (
    CouncilRole,
    EmailDelivery,
    Invitation,
    Nation,
    NudgeText,
    Wave,
    WaveStatus,
)
from experiments.policy import SYSTEM
from experiments.waves import close_wave, open_wave
from tests.factories import (
    ActivityFactory,
    CouncilMembershipFactory,
    MemberContactFactory,
    NudgeTextFactory,
    ThemeFactory,
    WaveFactory,
    WaveThemeFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (390, 1280)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def step():
    """Check the page at each width (axe-core, no sideways scroll) and screenshot it."""
    folder = Path(settings.VAR_DIR) / "screenshots" / "admin-walk"
    folder.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    seen: list[str] = []

    def run(page, name: str) -> None:
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
        assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            wide = page.evaluate(
                "[...document.querySelectorAll('body *')].filter(e => "
                "e.getBoundingClientRect().right > window.innerWidth + 1)"
                ".map(e => e.tagName + ':' + (e.textContent || '').slice(0, 40))"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px: {wide}"
            page.screenshot(
                path=str(folder / f"{len(seen) + 1:02d}-{name}-{width}.png"), full_page=True
            )
        page.set_viewport_size({"width": 390, "height": 900})
        seen.append(name)

    run.seen = seen
    return run


def _last_years_wave(council):
    """Return the council's closed wave of last year: two themes with nudges and Welsh."""
    wave = WaveFactory(
        council=council, title="Spring 2026", title_cy="Gwanwyn 2026", status=WaveStatus.DRAFT
    )
    for position, (name, name_cy) in enumerate((("Parks", "Parciau"), ("Litter", "Sbwriel"))):
        theme = ThemeFactory(council=council, name_en=name, name_cy=name_cy)
        for _ in range(2):
            ActivityFactory(theme=theme)
        WaveThemeFactory(wave=wave, theme=theme, position=position)
        NudgeTextFactory(wave=wave, theme=theme, nudge="a")
        NudgeTextFactory(wave=wave, theme=theme, nudge="b")
    open_wave(SYSTEM, Wave.objects.get(pk=wave.pk))
    close_wave(SYSTEM, Wave.objects.get(pk=wave.pk))
    return wave


def test_a_council_admin_copies_last_years_wave_invites_a_sample_closes_it_and_reads_results(
    chromium, live_server, step, settings
):
    from playwright.sync_api import expect

    # Given a Welsh council's admin with a second factor, last year's closed wave and a
    # panel of 130 active members with addresses, a fifth of them reading Welsh first
    settings.KEEP_SENT_EMAILS = True
    membership = CouncilMembershipFactory(
        role=CouncilRole.ADMIN,
        council__name="Ceredigion Council",
        council__name_cy="Cyngor Sir Ceredigion",
        council__nation=Nation.WALES,
        user__username="officer",
        user__email="officer@ceredigion.example",
    )
    council = membership.council
    device = TOTPDevice.objects.create(user=membership.user, name="Phone", confirmed=True)
    _last_years_wave(council)
    for number in range(130):
        MemberContactFactory(
            member__council=council,
            member__preferred_language="cy" if number % 5 == 0 else "en",
            member__ward=["Aberystwyth", "Cardigan", "Lampeter"][number % 3],
        )
    context = chromium.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "response",
        lambda response: (
            refused.append(f"{response.status} {response.url}")
            if response.status in (403, 500) and response.request.resource_type == "document"
            else None
        ),
    )

    # When the admin signs in with their password and then their second factor
    page.goto(f"{live_server.url}/console/login/")
    step(page, "sign-in")
    page.get_by_label("Username").fill("officer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_role("heading", name="Enter the code from your authenticator app")
    ).to_be_visible()
    step(page, "second-factor")
    device.refresh_from_db()
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Continue").click()

    # they land on their council's waves and find last year's, closed
    expect(page.get_by_role("heading", name="Council console", level=1)).to_be_visible()
    step(page, "home")
    page.get_by_role("link", name="Spring 2026", exact=True).first.click()
    expect(page.get_by_role("heading", name="Spring 2026", level=1)).to_be_visible()
    expect(page.get_by_test_id("wave-summary")).to_contain_text("Closed")
    step(page, "last-year")

    # and copy it
    page.get_by_role("link", name="Copy this wave").click()
    expect(page.get_by_role("heading", name="Copy “Spring 2026”")).to_be_visible()
    step(page, "copy-form")
    page.get_by_label("Title of the new wave").fill("Spring 2027")
    page.get_by_label("Title in Welsh").fill("Gwanwyn 2027")
    page.get_by_role("button", name="Make the copy").click()
    expect(page.get_by_role("heading", name="Spring 2027", level=1)).to_be_visible()
    step(page, "copy")
    copy = Wave.objects.get(title="Spring 2027")
    assert copy.status == WaveStatus.DRAFT

    # set its closing time, which the copy does not take from last year's wave
    expect(page.get_by_test_id("next-step")).to_contain_text("Set the closing time")
    page.get_by_test_id("next-step").get_by_role("link", name="Set the closing time").click()
    closes = timezone.localtime(timezone.now() + dt.timedelta(days=28))
    page.get_by_label("Closing time (the wave closes by itself then)").fill(
        closes.strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_role("button", name="Save wave").click()
    expect(page.get_by_text("Wave “Spring 2027” saved.")).to_be_visible()

    # change nudge A of the parks theme, then preview the four groups in Welsh
    parks = page.get_by_test_id(f"theme-{copy.wave_themes.get(position=0).theme_id}")
    parks.get_by_role("link", name="Edit nudges").click()
    step(page, "nudges")
    page.get_by_label("Nudge A in English").fill("Most of your neighbours visit a park monthly.")
    page.get_by_label("Nudge A in Welsh").fill(
        "Mae'r rhan fwyaf o'ch cymdogion yn ymweld â pharc bob mis."
    )
    page.get_by_role("button", name="Save and preview").click()
    expect(page.get_by_test_id("preview-a")).to_contain_text(
        "Most of your neighbours visit a park monthly."
    )
    step(page, "preview-en")
    page.get_by_role("link", name="Preview in Welsh").click()
    for group, nudges in (("ab", 2), ("a", 1), ("b", 1), ("none", 0)):
        expect(page.get_by_test_id(f"preview-{group}").get_by_test_id("nudge")).to_have_count(
            nudges
        )
    expect(page.get_by_test_id("preview-a")).to_contain_text("cymdogion yn ymweld â pharc")
    step(page, "preview-cy")

    # open the copy, confirming
    page.get_by_role("link", name="Back to the wave").click()
    page.get_by_test_id("checklist").get_by_role("link", name="Open the wave").click()
    step(page, "open-confirm")
    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Open the wave now").click()
    expect(page.get_by_text("The wave is open. Next: send the invitations.")).to_be_visible()
    step(page, "open")

    # choose a random sample of 100, look at the e-mail and send a test to themselves
    page.get_by_role("link", name="Invitations and reminders").first.click()
    expect(page.get_by_role("heading", name="Invitations and reminders")).to_be_visible()
    step(page, "invitations")
    page.get_by_label("A random sample of those not yet invited").check()
    page.get_by_label("How many members to draw").fill("100")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check and send the invitations")).to_be_visible()
    expect(page.get_by_role("button", name="Send 100 invitations")).to_be_visible()
    step(page, "check")
    page.get_by_role("button", name="Send me a test").click()
    expect(page.get_by_text("A test e-mail is on its way")).to_be_visible()
    step(page, "test-sent")

    # then send the 100 invitations
    page.get_by_role("button", name="Send 100 invitations").click()
    expect(page.get_by_text("100 invitation e-mails are on their way.")).to_be_visible()
    step(page, "invited")
    assert Invitation.objects.filter(wave=copy).count() == 100
    assert EmailDelivery.objects.filter(wave=copy, kind="invitation").count() == 100

    # read the test e-mail on the sent e-mails page
    page.get_by_role("link", name="Read the e-mails sent for this wave").click()
    expect(page.get_by_role("heading", name="Sent e-mails")).to_be_visible()
    step(page, "sent-emails")
    page.get_by_role("link", name="Show only the test e-mails").click()
    expect(page.get_by_role("heading", name="Test e-mails sent")).to_be_visible()
    step(page, "test-emails")
    test_link = page.get_by_role("link", name="[Test]").first
    subject = test_link.inner_text()
    assert "Spring 2027" in subject or "Gwanwyn 2027" in subject, subject
    test_link.click()
    expect(page.get_by_role("heading", name=subject)).to_be_visible()
    expect(page.get_by_text("officer@ceredigion.example").first).to_be_visible()
    step(page, "test-email")

    # back to the wave, which counts the 100 invited, and close it
    page.get_by_role("link", name="Spring 2027", exact=True).click()
    expect(page.get_by_test_id("invitations-summary")).to_contain_text("100 members invited.")
    step(page, "wave-open")
    page.get_by_role("link", name="Close the wave").click()
    step(page, "close-confirm")
    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Close the wave and start the analysis").click()
    expect(page.get_by_test_id("wave-summary")).to_contain_text("Closed")
    step(page, "closed")

    # and open its results
    page.get_by_test_id("closed-wave-links").get_by_role("link", name="Read the results").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Spring 2027")
    step(page, "results")
    context.close()

    # Then every step passed at both widths, nothing was refused, and the nudge changed
    # in the copy only
    assert refused == []
    assert len(step.seen) == 22
    copy.refresh_from_db()
    assert copy.status == WaveStatus.CLOSED
    assert NudgeText.objects.filter(
        wave=copy, nudge="a", text_en="Most of your neighbours visit a park monthly."
    ).exists()
    assert not NudgeText.objects.filter(text_en__startswith="Most of your").exclude(wave=copy)
