"""A council admin works through the wave pages in Chromium, by links and buttons only.

From the sign-in page: copy last year's wave, put its themes in order, write the council's
Welsh name from the checklist, preview a theme in Welsh with its English stand-ins marked,
read the power plan and the experiment settings, view a fixed theme, build a new theme
with "Add another activity" and "Remove", then follow a running wave's dashboard to the
statistician's view. Every page is checked with axe-core (WCAG 2.2 AA) and for sideways
scrolling at 390 px and 1280 px; screenshots of each go to $CONSOLE_SCREENSHOTS when set.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from experiments.models import (
    Arm,
    Assignment,
    CouncilRole,
    Invitation,
    Nation,
    Response,
    ResponseStatus,
    Theme,
    Wave,
    WaveStatus,
)
from experiments.policy import SYSTEM
from experiments.waves import close_wave, open_wave
from tests.factories import (
    ActivityFactory,
    CouncilMembershipFactory,
    NudgeTextFactory,
    PanelMemberFactory,
    ThemeFactory,
    WaveFactory,
    WaveThemeFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (390, 1280)


@pytest.fixture
def check(tmp_path):
    """Check the page at each width (axe-core, no sideways scrolling) and screenshot it."""
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    seen: list[str] = []

    def run(page, name: str) -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
            results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
            assert results.violations_count == 0, (
                f"{name} at {width}px:\n{results.generate_report()}"
            )
            page.screenshot(
                path=str(folder / f"{len(seen) + 1:02d}-{name}-{width}.png"), full_page=True
            )
        seen.append(name)

    run.seen = seen
    return run


def _running_wave(council):
    """Return an open wave of the council with members invited, grouped and answering."""
    wave = WaveFactory(council=council, title="Autumn 2026", title_cy="Hydref 2026")
    theme = ThemeFactory(council=council, name_en="Safety", name_cy="Diogelwch")
    WaveThemeFactory(wave=wave, theme=theme)
    arms = [arm.value for arm in Arm]
    now = timezone.now()
    for i, member in enumerate(
        PanelMemberFactory.create_batch(24, council=council, gender="woman")
        + PanelMemberFactory.create_batch(16, council=council, gender="man")
    ):
        Invitation.objects.create(wave=wave, member=member, token_hash=f"{member.pk:064d}")
        Assignment.objects.create(wave=wave, member=member, arm=arms[i % 4], scheme="simple")
        if i % 3:
            Response.objects.create(
                wave=wave, member=member, status=ResponseStatus.COMPLETE, submitted_at=now
            )
    return wave


def test_a_council_admin_copies_orders_translates_previews_and_follows_a_wave(
    chromium, live_server, check
):
    from playwright.sync_api import expect

    # Given a Welsh council whose Welsh name is missing, last year's closed wave and a
    # running one
    membership = CouncilMembershipFactory(
        role=CouncilRole.ADMIN, council__name="Powys Council", council__nation=Nation.WALES
    )
    council = membership.council
    parks = ThemeFactory(council=council, name_en="Parks", name_cy="Parciau", kind="environment")
    litter = ThemeFactory(council=council, name_en="Litter", name_cy="Sbwriel", kind="custom")
    ActivityFactory(theme=parks, text_en="Picked up litter in a park", text_cy="")
    ActivityFactory(theme=litter, text_en="Joined a litter pick", text_cy="Ymuno â chasglu sbwriel")
    last_year = WaveFactory(
        council=council, title="Spring 2026", title_cy="Gwanwyn 2026", status=WaveStatus.DRAFT
    )
    for position, theme in enumerate((parks, litter)):
        WaveThemeFactory(wave=last_year, theme=theme, position=position)
        NudgeTextFactory(wave=last_year, theme=theme, nudge="a")
        NudgeTextFactory(wave=last_year, theme=theme, nudge="b")
    # Last year the council's Welsh texts were complete enough to open (the check is on)
    type(council).objects.filter(pk=council.pk).update(nation=Nation.ENGLAND)
    open_wave(SYSTEM, Wave.objects.get(pk=last_year.pk))
    close_wave(SYSTEM, Wave.objects.get(pk=last_year.pk))
    type(council).objects.filter(pk=council.pk).update(nation=Nation.WALES, name_cy="")
    PanelMemberFactory.create_batch(40, council=council)
    running = _running_wave(council)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    # When the admin signs in
    page.goto(f"{live_server.url}/console/login/")
    page.get_by_label("Username").fill(membership.user.username)
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()

    # and copies last year's wave
    page.get_by_role("link", name="Spring 2026", exact=True).first.click()
    check(page, "closed-wave")
    page.get_by_role("link", name="Copy this wave").click()
    check(page, "copy-form")
    page.get_by_label("Title of the new wave").fill("Spring 2027")
    page.get_by_label("Title in Welsh").fill("Gwanwyn 2027")
    page.get_by_role("button", name="Make the copy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring 2027")
    copy = Wave.objects.get(title="Spring 2027")
    next_step = page.get_by_test_id("next-step")
    check(page, "copy-checklist")

    # sets the copy's closing time, which a copy does not carry over
    expect(next_step).to_contain_text("Set the closing time")
    next_step.get_by_role("link", name="Set the closing time").click()
    closes = (timezone.localtime() + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Closing time (the wave closes by itself then)").fill(closes)
    page.get_by_role("button", name="Save wave").click()
    expect(next_step).to_contain_text("Missing Welsh text: Council “Powys Council”: name.")
    copy.refresh_from_db()
    assert copy.closes_at is not None

    # puts Litter first
    page.get_by_test_id(f"theme-{litter.pk}").get_by_role("button", name="Move up").click()
    expect(page.get_by_test_id("themes").locator("h3").first).to_contain_text("1. Litter")
    assert list(copy.wave_themes.order_by("position").values_list("theme_id", flat=True)) == [
        litter.pk,
        parks.pk,
    ]

    # writes the council's Welsh name from the checklist
    next_step.get_by_role("link", name="Write the council's Welsh texts").click()
    check(page, "council-welsh")
    page.get_by_label("Name of the council in Welsh").fill("Cyngor Sir Powys")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("welsh-missing")).not_to_contain_text("Powys Council")

    # previews the parks theme in Welsh: its activity without Welsh is marked
    page.get_by_test_id(f"theme-{parks.pk}").get_by_role("link", name="in Welsh").click()
    expect(page.get_by_test_id("english-in-welsh")).to_be_visible()
    expect(page.locator("mark.english-in-welsh")).to_have_count(4)
    check(page, "preview-cy")

    # reads the power plan and the experiment settings
    page.get_by_role("link", name="Back to the wave").click()
    page.get_by_role("link", name="See the full power plan").click()
    expect(page.get_by_test_id("power-plan")).to_be_visible()
    check(page, "power-plan")
    page.get_by_role("link", name="Change the experiment settings").click()
    check(page, "settings")
    page.get_by_role("link", name="Back to the wave").click()

    # views a theme that last year's wave fixed
    page.get_by_test_id(f"theme-{parks.pk}").get_by_role("link", name="View the theme").click()
    expect(page.get_by_test_id("theme-fixed")).to_be_visible()
    check(page, "theme-fixed")

    # builds a new theme, adding and removing rows without JavaScript's help
    page.get_by_role("link", name="Back", exact=True).click()
    page.get_by_role("link", name="Create a theme").click()
    page.get_by_label("Kind of theme").select_option("health")
    page.get_by_label("Name in English").fill("Health")
    page.get_by_label("Name in Welsh").fill("Iechyd")
    rows = page.get_by_test_id("activity-row")
    rows.nth(0).get_by_label("Activity in English").fill("Walked to work")
    rows.nth(1).get_by_label("Activity in English").fill("Not this one")
    page.get_by_role("button", name="Add another activity").click()
    expect(page.get_by_test_id("activity-row")).to_have_count(4)
    check(page, "theme-form")
    page.get_by_role("button", name="Remove activity 2").click()
    expect(page.get_by_test_id("activity-row")).to_have_count(3)
    page.get_by_test_id("activity-row").nth(1).get_by_label("Activity in English").fill("Cycled")
    page.get_by_role("button", name="Save theme", exact=True).click()
    health = Theme.objects.get(name_en="Health")
    assert list(health.activities.values_list("text_en", flat=True)) == ["Walked to work", "Cycled"]

    # and follows the running wave to its dashboard and the statistician's view
    page.get_by_role("link", name="Autumn 2026", exact=True).first.click()
    check(page, "running-wave")
    page.get_by_role("link", name="Open the dashboard").click()
    expect(page.get_by_test_id("headline")).to_contain_text("of the 40 invited")
    check(page, "dashboard")
    page.get_by_role("link", name="The statistician's view of the groups").click()
    check(page, "groups")

    # Then every page passed, at both widths
    assert running.status == WaveStatus.OPEN
    assert len(check.seen) == 12
