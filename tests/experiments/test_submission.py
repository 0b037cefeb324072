"""Sending the answers: accepted only when every question the wave asks is answered.

The count of a theme's questions follows the wave (its time items, the manipulation check)
and the theme (its activities); each case below removes one stored answer and expects the
submission refused, with nothing marked complete.
"""

import pytest
from django.db import transaction

from experiments.models import ActivityAnswer, Response, ResponseStatus, ThemeAnswer
from experiments.responses import (
    IncompleteResponse,
    stored_page_answers,
    submit_response,
    unanswered_theme_ids,
)
from tests.respondent import answer_whole_questionnaire

pytestmark = pytest.mark.django_db


def _answered_but_not_sent(client, issued) -> Response:
    """Answer every page of the questionnaire, then mark the response open again."""
    answer_whole_questionnaire(client, issued.url)
    response = Response.objects.get(member=issued.invitation.member)
    assert response.status == ResponseStatus.COMPLETE
    Response.objects.filter(pk=response.pk).update(status=ResponseStatus.PARTIAL)
    return Response.objects.get(pk=response.pk)


@pytest.mark.parametrize("time_questions", ["now", "more", "both"])
@pytest.mark.parametrize("manipulation_check", [False, True])
def test_every_question_answered_is_complete_and_any_one_missing_is_not(
    client, invite, open_wave, time_questions, manipulation_check
):
    open_wave.time_questions = time_questions
    open_wave.manipulation_check = manipulation_check
    open_wave.save(update_fields=["time_questions", "manipulation_check"])
    issued = invite()
    if manipulation_check:
        # The journey helper answers the rated items; the check is answered here.
        from tests import respondent

        answers = respondent.theme_page_answers
        respondent.theme_page_answers = lambda theme, **kw: {
            **answers(theme, **kw),
            "recalled_nudge": "none",
        }
        try:
            response = _answered_but_not_sent(client, issued)
        finally:
            respondent.theme_page_answers = answers
    else:
        response = _answered_but_not_sent(client, issued)
    theme_id = open_wave.wave_themes.get().theme_id
    answer = ThemeAnswer.objects.get(response=response)

    assert unanswered_theme_ids(response) == set()

    # One activity unanswered
    activity = ActivityAnswer.objects.filter(theme_answer=answer).first()
    ActivityAnswer.objects.filter(pk=activity.pk).update(done=None)
    assert unanswered_theme_ids(response) == {theme_id}
    with pytest.raises(IncompleteResponse), transaction.atomic():  # as the check page sends
        submit_response(response.pk, language="en")
    ActivityAnswer.objects.filter(pk=activity.pk).update(done=True)

    # One asked time item unanswered; an item not asked does not count
    asked = "time_now" if time_questions in ("now", "both") else "time_more"
    not_asked = {"now": "time_more", "more": "time_now", "both": None}[time_questions]
    ThemeAnswer.objects.filter(pk=answer.pk).update(**{asked: None})
    assert unanswered_theme_ids(response) == {theme_id}
    ThemeAnswer.objects.filter(pk=answer.pk).update(**{asked: 2})
    if not_asked:
        ThemeAnswer.objects.filter(pk=answer.pk).update(**{not_asked: None})
        assert unanswered_theme_ids(response) == set()

    # The manipulation check, when asked
    if manipulation_check:
        ThemeAnswer.objects.filter(pk=answer.pk).update(recalled_nudge="")
        assert unanswered_theme_ids(response) == {theme_id}
        ThemeAnswer.objects.filter(pk=answer.pk).update(recalled_nudge="none")

    # And, all answered again, sending completes it once
    assert submit_response(response.pk, language="en")[1] is True
    assert Response.objects.get(pk=response.pk).status == ResponseStatus.COMPLETE


def test_the_stored_answers_read_back_as_each_page_shows_them(client, invite, open_wave):
    issued = invite()
    response = _answered_but_not_sent(client, issued)
    answer = ThemeAnswer.objects.get(response=response)
    first, second, third = ActivityAnswer.objects.filter(theme_answer=answer).order_by("pk")
    ActivityAnswer.objects.filter(pk=first.pk).update(done=False)
    ActivityAnswer.objects.filter(pk=second.pk).update(done=None)
    ThemeAnswer.objects.filter(pk=answer.pk).update(conditions=None, recalled_nudge="b")

    shown = stored_page_answers(response.pk)
    one = stored_page_answers(response.pk, theme_id=answer.theme_id)

    expected = {
        f"activity_{first.activity_id}": "no",
        f"activity_{third.activity_id}": "yes",
        "collective": 1,
        "efficacy": 2,
        "time_now": 2,
        "time_more": 3,
        "satisfaction_information": 2,
        "satisfaction_consultation": 3,
        "satisfaction_response": 9,
        "recalled_nudge": "b",
    }
    assert shown == one == {answer.theme_id: expected}
    assert stored_page_answers(response.pk, theme_id=answer.theme_id + 999) == {}
