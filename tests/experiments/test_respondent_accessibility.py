"""axe-core over every respondent page, in English and Welsh, with and without errors.

Each page is checked on a 320 px wide screen (WCAG reflow) and at 640 px, which is a
1280 px window at 200 % zoom: no violation at the WCAG 2.2 AA tags, and no sideways
scrolling.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from experiments.invitations import issue_invitation
from experiments.models import Arm, Assignment, Nation, WaveStatus
from tests.factories import (
    ActivityFactory,
    NudgeTextFactory,
    PanelMemberFactory,
    WaveFactory,
    WaveThemeFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE = Axe()


def _audit(page, name: str, audited: dict[str, int]) -> None:
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    audited[name] = results.violations_count
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
    for width in (320, 640):
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
    page.set_viewport_size({"width": 320, "height": 800})


def _submit(page) -> None:
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["en", "cy"])
def test_every_respondent_page_has_no_wcag_22_aa_violations(chromium, live_server, language):
    # given a Welsh council's wave with one theme, nudges and a member in the arm A+B
    wave = WaveFactory(council__nation=Nation.WALES)
    theme = WaveThemeFactory(wave=wave, theme__kind="community_safety").theme
    ActivityFactory(theme=theme, text_en="Reported a crime", text_cy="Rhoi gwybod am drosedd")
    NudgeTextFactory(wave=wave, theme=theme, nudge="a")
    NudgeTextFactory(wave=wave, theme=theme, nudge="b")
    member = PanelMemberFactory(council=wave.council, preferred_language=language)
    # The arm is stored before the first opening, so this member sees both nudges.
    Assignment.objects.create(wave=wave, member=member, arm=Arm.AB, scheme="simple")
    link = live_server.url + "/i/" + issue_invitation(wave, member=member).token + "/"
    context = chromium.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    audited: dict[str, int] = {}

    # when each page is visited, clean and then sent empty to show its errors
    page.goto(live_server.url + "/i/not-a-real-token/")
    _audit(page, "link not valid", audited)
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == language
    _audit(page, "start", audited)
    _submit(page)
    assert page.locator(".error-summary").count() == 1
    assert page.evaluate("document.activeElement.className") == "error-summary"
    _audit(page, "start with errors", audited)
    page.check('input[name="consent"][value="yes"]')
    _submit(page)
    assert page.locator("[data-testid=nudge]").count() == 2
    _audit(page, "theme", audited)
    _submit(page)
    assert page.locator(".error-message").count() == 9
    _audit(page, "theme with errors", audited)
    page.locator('input[value="yes"]').check()
    for name in (
        "collective",
        "time_now",
        "time_more",
        "conditions",
        "satisfaction_information",
        "satisfaction_consultation",
        "satisfaction_response",
        "efficacy",
    ):
        page.locator(f'input[name="{name}"]').first.check()
    _submit(page)
    _audit(page, "about you", audited)
    page.fill('input[name="birth_year"]', "12")
    _submit(page)
    assert page.locator(".error-message").count() == 5
    _audit(page, "about you with errors", audited)
    page.fill('input[name="birth_year"]', "1950")
    for name in ("gender", "ethnic_group", "qualification"):
        page.locator(f'input[name="{name}"]').first.check()
    page.select_option('select[name="ward"]', "not_said")
    _submit(page)
    _audit(page, "check your answers", audited)
    _submit(page)
    _audit(page, "confirmation", audited)
    wave.status = WaveStatus.CLOSED
    wave.save(update_fields=["status"])
    other = PanelMemberFactory(council=wave.council, preferred_language=language)
    page.context.clear_cookies()
    page.goto(live_server.url + "/i/" + issue_invitation(wave, member=other).token + "/")
    _audit(page, "wave closed", audited)
    context.close()

    # then every page was audited and none had a violation
    assert audited == {
        "link not valid": 0,
        "start": 0,
        "start with errors": 0,
        "theme": 0,
        "theme with errors": 0,
        "about you": 0,
        "about you with errors": 0,
        "check your answers": 0,
        "confirmation": 0,
        "wave closed": 0,
    }


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_pages_around_the_questions_have_no_wcag_22_aa_violations(
    chromium, live_server, language
):
    # given a Welsh council with its panel team, a long theme (two parts) and a member
    from experiments.emails import unsubscribe_token
    from tests.factories import MemberContactFactory

    wave = WaveFactory(
        council__nation=Nation.WALES,
        council__panel_email="panel@example.org",
        council__panel_telephone="01632 960 000",
        council__retention_days=365,
    )
    theme = WaveThemeFactory(wave=wave, theme__kind="health").theme
    ActivityFactory.create_batch(6, theme=theme)
    NudgeTextFactory(wave=wave, theme=theme, nudge="a")
    NudgeTextFactory(wave=wave, theme=theme, nudge="b")
    member = MemberContactFactory(
        member__council=wave.council, member__preferred_language=language
    ).member
    Assignment.objects.create(wave=wave, member=member, arm=Arm.AB, scheme="simple")
    decliner = PanelMemberFactory(council=wave.council, preferred_language=language)
    context = chromium.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    audited: dict[str, int] = {}

    # when each page is visited
    page.goto(live_server.url + "/i/" + issue_invitation(wave, member=decliner).token + "/")
    page.check('input[name="consent"][value="no"]')
    _submit(page)
    _audit(page, "declined", audited)
    page.goto(live_server.url + f"/privacy/{wave.council.slug}/")
    _audit(page, "privacy notice", audited)
    page.context.clear_cookies()
    page.goto(live_server.url + "/i/" + issue_invitation(wave, member=member).token + "/")
    page.check('input[name="consent"][value="yes"]')
    _submit(page)
    for name in page.locator("#answers input[type=radio]").evaluate_all(
        "els => [...new Set(els.map(e => e.name))]"
    ):
        page.locator(f'#answers input[name="{name}"]').first.check()
    _submit(page)
    assert page.url.endswith("/survey/theme/1/2/")
    _audit(page, "theme, second part", audited)
    page.goto(live_server.url + "/i/" + issue_invitation(wave, member=member).token + "/")
    assert page.locator("[data-testid=welcome-back]").count() == 1
    _audit(page, "welcome back", audited)
    for name in page.locator("#answers input[type=radio]").evaluate_all(
        "els => [...new Set(els.map(e => e.name))]"
    ):
        page.locator(f'#answers input[name="{name}"]').first.check()
    _submit(page)
    page.fill('input[name="birth_year"]', "1990")
    page.check('input[name="age_band"][value="75+"]')
    _submit(page)
    assert page.locator('input[name="confirm_age"]').count() == 1
    _audit(page, "about you, asking to confirm the age", audited)
    leaving = live_server.url + f"/unsubscribe/{unsubscribe_token(member)}/"
    page.goto(leaving)
    _audit(page, "leaving", audited)
    _submit(page)
    assert page.locator(".error-summary").count() == 1
    _audit(page, "leaving with errors", audited)
    page.locator('input[name="choice"][value="leave_and_delete"]').check()
    _submit(page)
    _audit(page, "leaving, confirm", audited)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    _audit(page, "leaving, done", audited)
    page.goto(leaving)
    _audit(page, "leaving link not valid", audited)
    context.close()

    # then every page was audited and none had a violation
    assert audited == {
        "declined": 0,
        "privacy notice": 0,
        "theme, second part": 0,
        "welcome back": 0,
        "about you, asking to confirm the age": 0,
        "leaving": 0,
        "leaving with errors": 0,
        "leaving, confirm": 0,
        "leaving, done": 0,
        "leaving link not valid": 0,
    }
