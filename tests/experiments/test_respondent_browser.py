"""A panel member answers in a real browser: English without JavaScript, Welsh with it.

Each member stops half way, and resumes from a new browser context (another device) with
the same link; the test then checks what was stored.
"""

import re

import pytest

from experiments.invitations import issue_invitation
from experiments.models import ActivityAnswer, Nation, Response, ResponseStatus, ThemeAnswer
from tests.factories import (
    ActivityFactory,
    NudgeTextFactory,
    PanelMemberFactory,
    WaveFactory,
    WaveThemeFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _two_theme_wave(nation=Nation.ENGLAND):
    wave = WaveFactory(council__nation=nation)
    themes = []
    for position, (kind, name_en, name_cy) in enumerate(
        [
            ("environment", "Local environment", "Yr amgylchedd lleol"),
            ("health", "Health", "Iechyd"),
        ]
    ):
        theme = WaveThemeFactory(
            wave=wave,
            position=position,
            theme__kind=kind,
            theme__name_en=name_en,
            theme__name_cy=name_cy,
        ).theme
        for _ in range(2):
            ActivityFactory(theme=theme)
        NudgeTextFactory(wave=wave, theme=theme, nudge="a")
        NudgeTextFactory(wave=wave, theme=theme, nudge="b")
        themes.append(theme)
    return wave, themes


def _answer_theme(page, theme, *, done, collective, efficacy):
    for activity in theme.activities.all():
        page.check(f'input[name="activity_{activity.pk}"][value="{"yes" if done else "no"}"]')
    page.check(f'input[name="collective"][value="{collective}"]')
    for name, value in [
        ("time_now", 2),
        ("time_more", 3),
        ("conditions", 4),
        ("satisfaction_information", 1),
        ("satisfaction_consultation", 9),
        ("satisfaction_response", 5),
    ]:
        page.check(f'input[name="{name}"][value="{value}"]')
    page.check(f'input[name="efficacy"][value="{efficacy}"]')


def _answer_everything(chromium, live_server, *, language, labels, javascript):
    wave, themes = _two_theme_wave(Nation.WALES if language == "cy" else Nation.ENGLAND)
    member = PanelMemberFactory(council=wave.council, preferred_language=language)
    link = live_server.url + "/i/" + issue_invitation(wave, member=member).token + "/"

    # given a member who consents and saves the first theme, then stops
    first_device = chromium.new_context(java_script_enabled=javascript)
    page = first_device.new_page()
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == language
    page.get_by_label(labels["yes"], exact=True).check()
    page.get_by_role("button", name=labels["continue"]).click()
    assert page.get_by_text(labels["section_1"]).is_visible()
    _answer_theme(page, themes[0], done=True, collective=1, efficacy=2)
    page.get_by_role("button", name=labels["save"]).click()
    page.wait_for_url(re.compile(r"/survey/theme/2/$"))
    first_device.close()
    assert Response.objects.get(member=member).status == ResponseStatus.PARTIAL

    # when they open the same link on another device
    second_device = chromium.new_context(java_script_enabled=javascript)
    page = second_device.new_page()
    page.goto(link)

    # then they resume on the second theme, and going back shows the first theme's answers
    page.wait_for_url(re.compile(r"/survey/theme/2/$"))
    page.get_by_role("link", name=labels["back"]).click()
    page.wait_for_url(re.compile(r"/survey/theme/1/$"))
    assert page.locator('input[name="collective"][value="1"]').is_checked()
    page.get_by_role("button", name=labels["save"]).click()
    page.wait_for_url(re.compile(r"/survey/theme/2/$"))

    # and they answer the rest and send it
    _answer_theme(page, themes[1], done=False, collective=3, efficacy=9)
    page.get_by_role("button", name=labels["save"]).click()
    page.wait_for_url(re.compile(r"/survey/about-you/$"))
    page.get_by_label(labels["birth_year"]).fill("1961")
    page.check('input[name="gender"][value="woman"]')
    page.check('input[name="ethnic_group"][value="white"]')
    page.check('input[name="qualification"][value="level_4"]')
    page.get_by_label(labels["ward"]).select_option("Central")
    page.get_by_role("button", name=labels["save"]).click()
    page.wait_for_url(re.compile(r"/survey/check/$"))
    assert page.get_by_role("heading", name=labels["check"]).is_visible()
    page.get_by_role("button", name=labels["send"]).click()
    page.wait_for_url(re.compile(r"/survey/done/$"))
    assert page.get_by_role("heading", name=labels["thanks"]).is_visible()
    second_device.close()

    # then exactly one complete response holds every answer, in the language used
    response = Response.objects.get(member=member)
    assert (response.status, response.language) == (ResponseStatus.COMPLETE, language)
    assert (response.birth_year, response.gender, response.ward) == (1961, "woman", "Central")
    assert (response.ethnic_group, response.qualification) == ("white", "level_4")
    answers = {a.theme_id: a for a in ThemeAnswer.objects.filter(response=response)}
    first, second = answers[themes[0].pk], answers[themes[1].pk]
    assert (first.collective, first.efficacy, first.conditions) == (1, 2, 4)
    assert (second.collective, second.efficacy, second.satisfaction_consultation) == (3, 9, 9)
    assert (second.time_now, second.time_more, second.satisfaction_response) == (2, 3, 5)
    assert sorted(
        ActivityAnswer.objects.filter(theme_answer__response=response).values_list(
            "theme_answer__theme_id", "done"
        )
    ) == sorted([(themes[0].pk, True)] * 2 + [(themes[1].pk, False)] * 2)


def test_a_member_answers_in_english_without_javascript_stopping_half_way(chromium, live_server):
    _answer_everything(
        chromium,
        live_server,
        language="en",
        javascript=False,
        labels={
            "yes": "Yes",
            "continue": "Continue",
            "section_1": "Question page 1 of 3",
            "save": "Save and continue",
            "back": "Back",
            "birth_year": "What is your year of birth?",
            "ward": "Which ward do you live in?",
            "check": "Check your answers before sending them",
            "send": "Send your answers",
            "thanks": "Thank you",
        },
    )


def test_a_member_answers_in_welsh_stopping_half_way(chromium, live_server):
    _answer_everything(
        chromium,
        live_server,
        language="cy",
        javascript=True,
        labels={
            "yes": "Ydw",
            "continue": "Parhau",
            "section_1": "Tudalen gwestiynau 1 o 3",
            "save": "Cadw a pharhau",
            "back": "Yn ôl",
            "birth_year": "Ym mha flwyddyn y cawsoch chi eich geni?",
            "ward": "Ym mha ward ydych chi'n byw?",
            "check": "Gwiriwch eich atebion cyn eu hanfon",
            "send": "Anfon eich atebion",
            "thanks": "Diolch",
        },
    )
