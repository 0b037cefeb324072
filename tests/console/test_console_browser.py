"""An admin runs the console in headless Chromium: theme, nudges, preview, opening."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone

from experiments.models import CouncilRole, NudgeText, Wave, WaveStatus
from tests.factories import CouncilMembershipFactory

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        yield page
        browser.close()


@pytest.fixture
def shots(tmp_path):
    """Save screenshots under $CONSOLE_SCREENSHOTS when set (for checking by eye)."""
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return lambda page, name: page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_admin_creates_a_theme_edits_a_nudge_previews_four_arms_and_opens_a_wave(
    live_server, page, shots
):
    from playwright.sync_api import expect

    membership = CouncilMembershipFactory(role=CouncilRole.ADMIN, council__name="Abertawe Council")
    base = live_server.url

    # Sign in
    page.goto(f"{base}/console/")
    page.get_by_label("Username").fill(membership.user.username)
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Council console")).to_be_visible()
    shots(page, "01-overview")

    # Create a theme with one activity
    page.get_by_role("link", name="Create a theme").click()
    page.get_by_label("Kind of theme").select_option("environment")
    page.get_by_label("Name in English").fill("Local environment")
    page.get_by_label("Name in Welsh").fill("Amgylchedd lleol")
    page.locator("#id_activities-0-text_en").fill("Picked up litter in my street")
    page.locator("#id_activities-0-text_cy").fill("Codi sbwriel yn fy stryd")
    shots(page, "02-theme-form")
    page.get_by_role("button", name="Save theme").click()
    expect(page.get_by_text("Theme “Local environment” saved.")).to_be_visible()

    # Create a wave with it
    page.get_by_role("link", name="Create a wave").click()
    page.get_by_label("Title", exact=True).fill("Spring survey")
    closes = timezone.localtime(timezone.now() + dt.timedelta(days=28))
    page.get_by_label("Closing time (the wave closes by itself then)").fill(
        closes.strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Local environment (Abertawe Council)").check()
    page.get_by_role("button", name="Save wave").click()
    expect(page.get_by_role("heading", name="Spring survey")).to_be_visible()
    shots(page, "03-wave-draft")

    # Edit the nudges, then preview the four arms
    page.get_by_role("link", name="Edit nudges").click()
    page.get_by_label("Nudge A in English").fill("Many people near you already do this.")
    page.get_by_label("Nudge A in Welsh").fill(
        "Mae llawer o bobl yn agos atoch eisoes yn gwneud hyn."
    )
    page.get_by_label("Nudge B in English").fill("It takes less than an hour a month.")
    page.get_by_label("Nudge B in Welsh").fill("Mae'n cymryd llai nag awr y mis.")
    shots(page, "04-nudges")
    page.get_by_role("button", name="Save and preview").click()
    for arm, boxes in (("ab", 2), ("a", 1), ("b", 1), ("none", 0)):
        section = page.get_by_test_id(f"preview-{arm}")
        expect(section).to_be_visible()
        expect(section.get_by_test_id("nudge")).to_have_count(boxes)
    expect(page.get_by_test_id("preview-a")).to_contain_text(
        "Many people near you already do this."
    )
    expect(page.get_by_test_id("preview-b")).to_contain_text("It takes less than an hour a month.")
    shots(page, "05-preview-en")
    page.get_by_role("link", name="Preview in Welsh").click()
    expect(page.get_by_test_id("preview-ab")).to_contain_text("Mae'n cymryd llai nag awr y mis.")
    shots(page, "06-preview-cy")

    # Open the wave, confirming
    page.get_by_role("link", name="Back to the wave").click()
    # The next step and the checklist both lead there
    page.get_by_test_id("next-step").get_by_role("link", name="Open the wave").click()
    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Open the wave now").click()
    expect(page.get_by_text("The wave is open. Next: send the invitations.")).to_be_visible()
    shots(page, "07-wave-open")

    wave = Wave.objects.get()
    assert wave.status == WaveStatus.OPEN
    assert list(NudgeText.objects.values_list("nudge", "version").order_by("nudge")) == [
        ("a", 1),
        ("b", 1),
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_admin_sees_the_problems_of_a_panel_file_then_imports_a_clean_one(
    live_server, page, shots, tmp_path
):
    from playwright.sync_api import expect

    from panel.models import PanelMember

    membership = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    page.goto(f"{live_server.url}/console/panel/import/")
    page.get_by_label("Username").fill(membership.user.username)
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()

    # A file with two problems: nothing is imported, each problem is listed
    bad = tmp_path / "bad.csv"
    bad.write_text("external_id,email\nP1,nope\nP1,=SUM(A1)\n", encoding="utf-8")
    page.get_by_label("Panel file (.csv or .xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    problems = page.get_by_test_id("problems")
    # Row 2: bad e-mail; row 3: formula-like cell, repeated id, bad e-mail
    expect(problems.locator("tbody tr")).to_have_count(4)
    expect(page.get_by_role("button", name="Import now")).to_have_count(0)
    shots(page, "08-import-problems")
    assert PanelMember.objects.count() == 0

    # A clean file: the check says how many, the import creates them
    good = tmp_path / "good.csv"
    good.write_text(
        "external_id,email,name,preferred_language\nP1,ann@example.org,Ann,cy\n"
        "P2,bob@example.org,Bob,en\n",
        encoding="utf-8",
    )
    page.get_by_role("link", name="Upload another file").click()
    page.get_by_label("Panel file (.csv or .xlsx)").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("The file is fine: 2 members are ready to import.")).to_be_visible()
    page.get_by_role("button", name="Import now").click()
    expect(page.get_by_text("Imported: 2 new members, 0 updated.")).to_be_visible()
    expect(page.get_by_role("cell", name="ann@example.org")).to_be_visible()
    shots(page, "09-panel")
    assert PanelMember.objects.count() == 2

    # The two-step sign-in page, from the account page, shows a QR code and its key as text
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Turn on two-step sign-in").click()
    expect(page.get_by_test_id("qr-code").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("secret")).to_have_text(re.compile(r"^([A-Z2-7]{4} ?)+$"))
    shots(page, "10-two-factor")
