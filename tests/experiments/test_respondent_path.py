import re

import pytest
from django.urls import reverse

from experiments.assignment import simple_arm
from experiments.models import (
    ActivityAnswer,
    Assignment,
    Exposure,
    Response,
    ResponseStatus,
    ThemeAnswer,
    WaveStatus,
)
from tests.respondent import QUESTIONNAIRE, complete_answers, open_link

pytestmark = pytest.mark.django_db


def _without_csrf(content: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())


def _invite_into_arm(invite, open_wave, arm):
    """Invite members until one falls in the wanted arm (the seed is fixed)."""
    for _ in range(200):
        issued = invite()
        if simple_arm(open_wave.seed, issued.invitation.member_id) == arm:
            return issued
    raise AssertionError(f"no member drawn into {arm}")


def test_opening_a_link_swaps_the_token_for_a_session_and_redirects(client, invite):
    issued = invite()

    response = client.get(f"/i/{issued.token}/")

    assert response.status_code == 302
    assert response["Location"] == QUESTIONNAIRE
    assert issued.token not in response["Location"]
    assert client.session["invitation_id"] == issued.invitation.pk


def test_first_opening_assigns_the_arm_before_the_page_is_sent(client, invite):
    issued = invite()

    page = open_link(client, issued.url)

    assert page.status_code == 200
    assignment = Assignment.objects.get(member=issued.invitation.member)
    assert assignment.arm == simple_arm(issued.invitation.wave.seed, assignment.member_id)


@pytest.mark.parametrize(
    ("arm", "shown", "hidden"),
    [
        ("ab", ["Nudge A in English", "Nudge B in English"], []),
        ("a", ["Nudge A in English"], ["Nudge B in English"]),
        ("b", ["Nudge B in English"], ["Nudge A in English"]),
        ("none", [], ["Nudge A in English", "Nudge B in English"]),
    ],
)
def test_each_arm_sees_exactly_its_nudges(client, invite, open_wave, arm, shown, hidden):
    issued = _invite_into_arm(invite, open_wave, arm)

    page = open_link(client, issued.url).content.decode()

    for text in shown:
        assert text in page
    for text in hidden:
        assert text not in page
    # The arm's name never reaches the member.
    for label in ("A and B", "A only", "B only", f'"{arm}"'):
        assert label not in page
    assert Exposure.objects.filter(response__member=issued.invitation.member).count() == len(shown)


def test_submitting_stores_the_response_and_every_answer(client, invite, open_wave):
    issued = invite()
    open_link(client, issued.url)

    result = client.post(QUESTIONNAIRE, complete_answers(open_wave, collective=2, efficacy=1))

    assert result.status_code == 302
    assert result["Location"] == reverse("experiments:done")
    response = Response.objects.get(member=issued.invitation.member)
    assert response.status == ResponseStatus.COMPLETE
    assert response.submitted_at is not None
    theme_answer = ThemeAnswer.objects.get(response=response)
    assert (theme_answer.collective, theme_answer.efficacy) == (2, 1)
    assert ActivityAnswer.objects.filter(theme_answer=theme_answer, done=True).count() == 3


def test_missing_answers_are_reported_and_nothing_is_completed(client, invite, open_wave):
    issued = invite()
    open_link(client, issued.url)
    answers = complete_answers(open_wave)
    del answers[next(key for key in answers if key.startswith("collective_"))]

    result = client.post(QUESTIONNAIRE, answers)

    assert result.status_code == 400
    assert "There is a problem" in result.content.decode()
    assert "Select how often you work with others" in result.content.decode()
    assert not ThemeAnswer.objects.exists()
    assert Response.objects.get().status == ResponseStatus.PARTIAL


def test_an_impossible_code_is_refused(client, invite, open_wave):
    issued = invite()
    open_link(client, issued.url)
    answers = complete_answers(open_wave)
    key = next(key for key in answers if key.startswith("efficacy_"))
    answers[key] = "7"

    result = client.post(QUESTIONNAIRE, answers)

    assert result.status_code == 400
    assert not ThemeAnswer.objects.exists()


def test_opening_the_link_again_after_submitting_shows_already_answered(client, invite, open_wave):
    issued = invite()
    open_link(client, issued.url)
    client.post(QUESTIONNAIRE, complete_answers(open_wave))
    arm_before = Assignment.objects.get().arm

    again = client.get(f"/i/{issued.token}/", follow=True)

    assert again.status_code == 200
    assert "already answered" in again.content.decode()
    assert Assignment.objects.get().arm == arm_before
    assert Response.objects.count() == 1


def test_a_double_post_stores_one_response(client, invite, open_wave):
    issued = invite()
    open_link(client, issued.url)

    first = client.post(QUESTIONNAIRE, complete_answers(open_wave, collective=1))
    second = client.post(QUESTIONNAIRE, complete_answers(open_wave, collective=3))

    assert first["Location"] == second["Location"] == reverse("experiments:done")
    assert Response.objects.count() == 1
    assert ThemeAnswer.objects.get().collective == 1


def test_unknown_and_expired_links_get_the_same_page(client, invite):
    from django.utils import timezone

    issued = invite()
    issued.invitation.expires_at = timezone.now()
    issued.invitation.save(update_fields=["expires_at"])

    unknown = client.get("/i/not-a-real-token/")
    expired = client.get(f"/i/{issued.token}/")

    assert unknown.status_code == expired.status_code == 404
    assert _without_csrf(unknown.content) == _without_csrf(expired.content)
    assert issued.token not in expired.content.decode()
    assert not Assignment.objects.exists()


def test_a_closed_wave_no_longer_accepts_answers(client, invite, open_wave):
    issued = invite()
    open_link(client, issued.url)
    open_wave.status = WaveStatus.CLOSED
    open_wave.save(update_fields=["status"])

    result = client.post(QUESTIONNAIRE, complete_answers(open_wave))

    assert result.status_code == 410
    assert "has closed" in result.content.decode()
    assert not ThemeAnswer.objects.exists()


def test_the_page_speaks_welsh_to_a_welsh_speaker(client, invite):
    issued = invite(preferred_language="cy")

    page = open_link(client, issued.url)

    assert page.headers["Content-Language"] == "cy"
    assert 'lang="cy"' in page.content.decode()
