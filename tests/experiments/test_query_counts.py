"""Upper bounds on the SQL queries of each respondent page, so a slow save path cannot creep back.

The wave has four themes of five activities: the bounds do not depend on either number.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from experiments.models import ActivityAnswer, Response, ResponseStatus, ThemeAnswer
from tests.factories import ActivityFactory, NudgeTextFactory, WaveThemeFactory
from tests.respondent import (
    ABOUT_YOU,
    CHECK,
    QUESTIONNAIRE,
    about_you_answers,
    open_link,
    theme_page_answers,
    theme_url,
)

pytestmark = pytest.mark.django_db

THEMES = 4
ACTIVITIES = 5


@pytest.fixture
def wide_wave(open_wave):
    """The open wave with four themes in all, each of five activities and both nudges.

    Each theme is one page (13 questions would otherwise be asked over two pages): the
    budgets of a page asked in parts are checked on their own below.
    """
    open_wave.questions_per_page = 0
    open_wave.save(update_fields=["questions_per_page"])
    themes = [open_wave.wave_themes.get().theme]
    ActivityFactory.create_batch(ACTIVITIES - 3, theme=themes[0])
    for position in range(1, THEMES):
        theme = WaveThemeFactory(wave=open_wave, position=position).theme
        ActivityFactory.create_batch(ACTIVITIES, theme=theme)
        NudgeTextFactory(wave=open_wave, theme=theme, nudge="a")
        NudgeTextFactory(wave=open_wave, theme=theme, nudge="b")
        themes.append(theme)
    return open_wave, themes


def _queries(call) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, len(captured)


def test_a_theme_page_is_saved_in_a_bounded_number_of_queries(
    client, invite, wide_wave, django_assert_max_num_queries
):
    # Given a member who has consented
    _, themes = wide_wave
    issued = invite()
    open_link(client, issued.url)
    client.post(QUESTIONNAIRE, {"consent": "yes"})
    client.get(theme_url(1))
    body = theme_page_answers(themes[0])

    # When they send the first theme page, then show and send the second
    with django_assert_max_num_queries(7):
        sent = client.post(theme_url(1), body)
    with django_assert_max_num_queries(3):
        shown = client.get(theme_url(2))

    # Then the answers are stored all the same
    assert (sent.status_code, sent["Location"], shown.status_code) == (303, theme_url(2), 200)
    response = Response.objects.get(member=issued.invitation.member)
    assert ActivityAnswer.objects.filter(theme_answer__response=response, done=True).count() == 5


def test_a_whole_cycle_stays_within_its_query_budget(client, invite, wide_wave):
    # Given a member with a link to a wave of four themes
    _, themes = wide_wave
    issued = invite()
    counts = []

    # When they answer every page, counting each request's queries
    path = "/" + issued.url.split("://", 1)[-1].split("/", 1)[1]
    _, n = _queries(lambda: client.get(path))
    counts.append(n)
    bodies = [theme_page_answers(t, done=n % 2 == 0) for n, t in enumerate(themes, start=1)]
    for call in [
        lambda: client.get(QUESTIONNAIRE),
        lambda: client.post(QUESTIONNAIRE, {"consent": "yes"}),
        *[
            step
            for number, body in enumerate(bodies, start=1)
            for step in (
                lambda number=number: client.get(theme_url(number)),
                lambda number=number, body=body: client.post(theme_url(number), body),
            )
        ],
        lambda: client.get(ABOUT_YOU),
        lambda: client.post(ABOUT_YOU, about_you_answers()),
        lambda: client.get(CHECK),
        lambda: client.post(CHECK),
    ]:
        _, n = _queries(call)
        counts.append(n)

    # Then the response is complete with every answer, within the budget for the cycle
    response = Response.objects.get(member=issued.invitation.member)
    assert response.status == ResponseStatus.COMPLETE
    assert ThemeAnswer.objects.filter(response=response).count() == THEMES
    assert ActivityAnswer.objects.filter(theme_answer__response=response).count() == 20
    assert ActivityAnswer.objects.filter(theme_answer__response=response, done=True).count() == 10
    theme_gets, theme_posts = counts[3:11:2], counts[4:11:2]
    assert max(theme_gets) <= 3
    assert max(theme_posts) <= 7
    assert sum(counts) <= 115


def test_each_part_of_a_long_theme_keeps_the_budget_of_a_page(
    client, invite, wide_wave, django_assert_max_num_queries
):
    # Given the wide wave's themes asked over two pages each (13 questions: 7 and 6)
    wave, themes = wide_wave
    wave.questions_per_page = 8
    wave.save(update_fields=["questions_per_page"])
    issued = invite()
    open_link(client, issued.url)
    client.post(QUESTIONNAIRE, {"consent": "yes"})
    client.get(theme_url(1))
    body = theme_page_answers(themes[0])

    # When they send the first part, then show and send the second
    with django_assert_max_num_queries(7):
        first = client.post(theme_url(1), body)
    with django_assert_max_num_queries(3):
        shown = client.get(first["Location"])
    with django_assert_max_num_queries(7):
        second = client.post(first["Location"], body)

    # Then each part was saved on its own, and the member goes on to the next theme
    assert (first["Location"], shown.status_code, second["Location"]) == (
        theme_url(1) + "2/",
        200,
        theme_url(2),
    )
    response = Response.objects.get(member=issued.invitation.member)
    assert ActivityAnswer.objects.filter(theme_answer__response=response).count() == 5
