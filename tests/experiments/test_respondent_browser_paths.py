"""A panel member's rough edges, tried in Debian's Chromium as a member would.

Back after a problem, the language switch half way down a page (with and without
JavaScript), declining and leaving in both languages, coming back, and a long theme asked
in two parts.
"""

import re

import pytest

from experiments.emails import unsubscribe_token
from experiments.invitations import issue_invitation
from experiments.models import ActivityAnswer, Nation, Response, ThemeAnswer
from panel.models import MemberStatus
from tests.factories import (
    ActivityFactory,
    MemberContactFactory,
    NudgeTextFactory,
    WaveFactory,
    WaveThemeFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITEMS = [
    ("collective", 2),
    ("time_now", 2),
    ("time_more", 3),
    ("conditions", 4),
    ("satisfaction_information", 1),
    ("satisfaction_consultation", 9),
    ("satisfaction_response", 5),
    ("efficacy", 4),
]


def _wave(*, activities: int = 2, nation=Nation.ENGLAND, themes: int = 1):
    wave = WaveFactory(council__nation=nation, council__panel_email="panel@example.org")
    made = []
    for position in range(themes):
        theme = WaveThemeFactory(wave=wave, position=position, theme__kind="health").theme
        ActivityFactory.create_batch(activities, theme=theme)
        NudgeTextFactory(wave=wave, theme=theme, nudge="a")
        NudgeTextFactory(wave=wave, theme=theme, nudge="b")
        made.append(theme)
    return wave, made


def _link(live_server, wave, *, language="en"):
    member = MemberContactFactory(
        member__council=wave.council, member__preferred_language=language
    ).member
    return member, live_server.url + "/i/" + issue_invitation(wave, member=member).token + "/"


def _submit(page) -> None:
    page.locator("#answers button[type=submit]").click()
    page.wait_for_load_state()


def _checked(page) -> dict[str, str]:
    return dict(
        page.locator("#answers input[type=radio]:checked").evaluate_all(
            "els => els.map(e => [e.name, e.value])"
        )
    )


@pytest.mark.parametrize("javascript", [False, True])
def test_back_after_a_problem_returns_to_the_last_page_seen_with_its_answers(
    chromium, live_server, javascript
):
    # given a member who saved the first theme and ticked two answers on the second
    wave, themes = _wave(themes=2)
    _member, link = _link(live_server, wave)
    context = chromium.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(link)
    page.check('input[name="consent"][value="yes"]')
    _submit(page)
    for activity in themes[0].activities.all():
        page.check(f'input[name="activity_{activity.pk}"][value="yes"]')
    for name, value in ITEMS:
        page.check(f'input[name="{name}"][value="{value}"]')
    _submit(page)
    page.wait_for_url(re.compile(r"/survey/theme/2/$"))
    page.check('input[name="collective"][value="3"]')
    page.check('input[name="efficacy"][value="5"]')

    # when they send it with problems twice, ticking one more answer in between
    _submit(page)
    assert page.locator(".error-summary").count() == 1
    page.check('input[name="conditions"][value="1"]')
    _submit(page)
    assert page.locator(".error-summary").count() == 1
    seen = _checked(page)

    # then Back shows the same page again, its answers kept, with no resubmission prompt
    page.go_back()
    assert page.url.endswith("/survey/theme/2/")
    assert _checked(page) == seen == {"collective": "3", "efficacy": "5", "conditions": "1"}
    assert page.locator(".error-summary").count() == 0
    page.go_back()
    assert page.url.endswith("/survey/theme/2/")
    assert _checked(page) == seen
    # and further back, the first theme shows what was saved on it
    page.go_back()
    assert page.url.endswith("/survey/theme/1/")
    assert _checked(page)["efficacy"] == "4"
    # and refreshing never asks to send a form again
    page.reload()
    assert page.url.endswith("/survey/theme/1/")
    context.close()


@pytest.mark.parametrize("javascript", [False, True])
def test_the_language_switch_half_way_keeps_every_ticked_answer(chromium, live_server, javascript):
    # given an English speaker half way down a theme page
    wave, (theme,) = _wave(activities=3, nation=Nation.WALES)
    member, link = _link(live_server, wave)
    context = chromium.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(link)
    page.check('input[name="consent"][value="yes"]')
    _submit(page)
    for activity in theme.activities.all():
        page.check(f'input[name="activity_{activity.pk}"][value="no"]')
    for name, value in ITEMS[:4]:
        page.check(f'input[name="{name}"][value="{value}"]')
    ticked = _checked(page)

    # when they switch to Welsh
    page.get_by_role("button", name="Cymraeg").click()
    page.wait_for_load_state()

    # then the same page is in Welsh with every answer still ticked, and no problem shown
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.url.endswith("/survey/theme/1/")
    assert _checked(page) == ticked
    assert page.locator(".error-summary").count() == 0
    assert not ThemeAnswer.objects.exists()
    # and they finish the page in Welsh, which saves all of it
    for name, value in ITEMS[4:]:
        page.check(f'input[name="{name}"][value="{value}"]')
    page.get_by_role("button", name="Cadw a pharhau").click()
    page.wait_for_url(re.compile(r"/survey/about-you/$"))
    answer = ThemeAnswer.objects.get(response__member=member)
    assert (answer.collective, answer.conditions, answer.efficacy) == (2, 4, 4)
    assert not ActivityAnswer.objects.filter(theme_answer=answer, done=True).exists()
    context.close()


LEAVING = {
    "en": {
        "no": "No",
        "continue": "Continue",
        "declined": "You have chosen not to take part",
        "leave_link": "Stop e-mails from the panel, or leave it",
        "leave": "Leave the panel",
        "delete": "Leave the panel and delete my answers",
        "confirm_leave": "Leave the panel",
        "confirm_delete": "Leave and delete my answers",
        "left": "You have left the panel",
    },
    "cy": {
        "no": "Nac ydw",
        "continue": "Parhau",
        "declined": "Rydych wedi dewis peidio â chymryd rhan",
        "leave_link": "Rhoi'r gorau i gael e-byst gan y panel, neu ei adael",
        "leave": "Gadael y panel",
        "delete": "Gadael y panel a dileu fy atebion",
        "confirm_leave": "Gadael y panel",
        "confirm_delete": "Gadael a dileu fy atebion",
        "left": "Rydych wedi gadael y panel",
    },
}


@pytest.mark.parametrize("language", ["en", "cy"])
def test_declining_then_leaving_the_panel(chromium, live_server, language):
    # given a member of a Welsh council reading in their own language
    words = LEAVING[language]
    wave, _themes = _wave(nation=Nation.WALES)
    member, link = _link(live_server, wave, language=language)
    context = chromium.new_context()
    page = context.new_page()
    page.goto(link)

    # when they answer "No", then follow the link to leave, choose to leave and confirm
    page.get_by_label(words["no"], exact=True).check()
    page.get_by_role("button", name=words["continue"]).click()
    page.wait_for_url(re.compile(r"/survey/declined/$"))
    assert page.get_by_role("heading", level=1).inner_text() == words["declined"]
    page.get_by_role("link", name=words["leave_link"]).click()
    assert wave.council.name_cy if language == "cy" else wave.council.name in page.content()
    page.get_by_label(words["leave"], exact=True).check()
    page.get_by_role("button", name=words["continue"]).click()
    page.wait_for_url(re.compile(r"/confirm/\?choice=leave$"))
    page.get_by_role("button", name=words["confirm_leave"]).click()

    # then they have left, told in their language, and nothing was answered
    page.wait_for_url(re.compile(r"/done/$"))
    assert page.locator("html").get_attribute("lang") == language
    assert page.get_by_role("heading", level=1).inner_text() == words["left"]
    member.refresh_from_db()
    assert member.status == MemberStatus.WITHDRAWN
    assert Response.objects.get(member=member).consented_at is None
    context.close()


@pytest.mark.parametrize("language", ["en", "cy"])
def test_unsubscribing_with_the_answers_deleted(chromium, live_server, language):
    # given a member who has answered a theme and follows the link in an e-mail
    words = LEAVING[language]
    wave, (theme,) = _wave(nation=Nation.WALES)
    member, link = _link(live_server, wave, language=language)
    context = chromium.new_context()
    page = context.new_page()
    page.goto(link)
    page.locator('input[name="consent"][value="yes"]').check()
    _submit(page)
    for activity in theme.activities.all():
        page.check(f'input[name="activity_{activity.pk}"][value="yes"]')
    for name, value in ITEMS:
        page.check(f'input[name="{name}"][value="{value}"]')
    _submit(page)
    assert ThemeAnswer.objects.filter(response__member=member).exists()
    page.goto(f"{live_server.url}/unsubscribe/{unsubscribe_token(member)}/")

    # when they choose to leave and delete their answers, and confirm
    page.get_by_label(words["delete"], exact=True).check()
    page.get_by_role("button", name=words["continue"]).click()
    page.get_by_role("button", name=words["confirm_delete"]).click()

    # then they are erased, answers included, and told so in their language
    page.wait_for_url(re.compile(r"/done/$"))
    assert page.get_by_role("heading", level=1).inner_text() == words["left"]
    member.refresh_from_db()
    assert member.erased_at is not None
    assert not Response.objects.filter(member=member).exists()
    context.close()


def test_coming_back_shows_the_welcome_back_line(chromium, live_server):
    # given a member who saved the first of two themes on one device
    wave, themes = _wave(themes=2)
    _member, link = _link(live_server, wave)
    first = chromium.new_context()
    page = first.new_page()
    page.goto(link)
    page.check('input[name="consent"][value="yes"]')
    _submit(page)
    for activity in themes[0].activities.all():
        page.check(f'input[name="activity_{activity.pk}"][value="yes"]')
    for name, value in ITEMS:
        page.check(f'input[name="{name}"][value="{value}"]')
    _submit(page)
    first.close()

    # when they open the link again on another device
    second = chromium.new_context()
    page = second.new_page()
    page.goto(link)

    # then the page where they left off welcomes them back with what is done
    page.wait_for_url(re.compile(r"/survey/theme/2/$"))
    banner = page.get_by_role("region", name="Welcome back")
    assert banner.inner_text().splitlines()[-1] == (
        "You have answered 1 of 3 sections. Your answers so far are saved."
    )
    page.reload()
    assert page.get_by_role("region", name="Welcome back").count() == 0
    second.close()


def test_a_thirteen_question_theme_is_asked_in_two_parts_each_saved(chromium, live_server):
    # given a theme of five activities and eight questions with scales: 13 questions
    wave, (theme,) = _wave(activities=5)
    member, link = _link(live_server, wave)
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(link)
    page.check('input[name="consent"][value="yes"]')
    _submit(page)

    # when the member answers the first part
    assert page.get_by_text("Question page 1 of 3").is_visible()
    assert page.locator("h1").inner_text().endswith("part 1 of 2")
    assert page.locator("#answers fieldset").count() == 8
    for activity in theme.activities.all():
        page.check(f'input[name="activity_{activity.pk}"][value="yes"]')
    for name, value in ITEMS[:3]:
        page.check(f'input[name="{name}"][value="{value}"]')
    _submit(page)

    # then it is saved on its own, and the second part asks the rest
    page.wait_for_url(re.compile(r"/survey/theme/1/2/$"))
    answer = ThemeAnswer.objects.get(response__member=member)
    assert ActivityAnswer.objects.filter(theme_answer=answer, done=True).count() == 5
    assert (answer.collective, answer.time_more, answer.conditions) == (2, 3, None)
    assert page.get_by_text("Question page 2 of 3").is_visible()
    assert page.locator("#answers fieldset").count() == 5
    for name, value in ITEMS[3:]:
        page.check(f'input[name="{name}"][value="{value}"]')
    _submit(page)
    page.wait_for_url(re.compile(r"/survey/about-you/$"))
    answer.refresh_from_db()
    assert (answer.conditions, answer.satisfaction_response, answer.efficacy) == (4, 5, 4)
    context.close()
