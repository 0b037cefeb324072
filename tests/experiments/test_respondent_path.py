import html
import re
from contextlib import contextmanager

import pytest
from django.test import Client
from django.test.signals import template_rendered

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
from experiments.questionnaires import wave_time_estimate
from tests.respondent import (
    ABOUT_YOU,
    CHECK,
    DONE,
    QUESTIONNAIRE,
    about_you_answers,
    answer_whole_questionnaire,
    consent,
    open_link,
    theme_page_answers,
    theme_url,
)

pytestmark = pytest.mark.django_db


def _without_csrf(content: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())


@contextmanager
def _templates_rendered():
    names = []

    def receive(sender, template, **kwargs):
        names.append(template.name)

    template_rendered.connect(receive)
    try:
        yield names
    finally:
        template_rendered.disconnect(receive)


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

    open_link(client, issued.url)
    page = consent(client).content.decode()

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

    result = answer_whole_questionnaire(client, issued.url, collective=2, efficacy=1)

    assert result.status_code == 303
    assert result["Location"] == DONE
    response = Response.objects.get(member=issued.invitation.member)
    assert response.status == ResponseStatus.COMPLETE
    assert response.submitted_at is not None
    theme_answer = ThemeAnswer.objects.get(response=response)
    assert (theme_answer.collective, theme_answer.efficacy) == (2, 1)
    assert (theme_answer.time_now, theme_answer.time_more, theme_answer.conditions) == (2, 3, 2)
    assert (
        theme_answer.satisfaction_information,
        theme_answer.satisfaction_consultation,
        theme_answer.satisfaction_response,
    ) == (2, 3, 9)
    assert ActivityAnswer.objects.filter(theme_answer=theme_answer, done=True).count() == 3
    assert (response.birth_year, response.gender, response.ethnic_group) == (1970, "woman", "white")
    assert (response.qualification, response.ward, response.language) == (
        "level_3",
        "Central",
        "en",
    )


def test_missing_answers_are_reported_and_nothing_is_saved(client, invite, open_wave):
    issued = invite()
    open_link(client, issued.url)
    consent(client)
    answers = theme_page_answers(open_wave.themes.get())
    del answers["collective"]

    result = client.post(theme_url(1), answers)
    shown = client.get(result["Location"])
    again = client.get(result["Location"])

    # the problem is shown once, on the page itself after a redirect, with what was ticked
    assert (result.status_code, result["Location"]) == (303, theme_url(1))
    assert "There is a problem" in shown.content.decode()
    assert "Select how often you work with others in groups" in shown.content.decode()
    assert 'name="efficacy" value="2" checked' in shown.content.decode()
    assert "There is a problem" not in again.content.decode()
    assert 'name="efficacy" value="2" checked' in again.content.decode()
    assert not ThemeAnswer.objects.exists()
    assert Response.objects.get().status == ResponseStatus.PARTIAL


def test_an_impossible_code_is_refused(client, invite, open_wave):
    issued = invite()
    open_link(client, issued.url)
    consent(client)
    answers = theme_page_answers(open_wave.themes.get())
    answers["efficacy"] = "7"

    result = client.post(theme_url(1), answers)

    assert (result.status_code, result["Location"]) == (303, theme_url(1))
    assert "There is a problem" in client.get(theme_url(1)).content.decode()
    assert not ThemeAnswer.objects.exists()


def test_a_saved_page_is_partial_and_the_link_resumes_on_the_next_page(client, invite, open_wave):
    from django.test import Client

    # given a member who consented and saved the only theme page
    issued = invite()
    open_link(client, issued.url)
    consent(client)
    client.post(theme_url(1), theme_page_answers(open_wave.themes.get(), collective=3))

    # when they open the same link on another device
    page = open_link(Client(), issued.url)

    # then they land on the page after the last one saved, and the answer is kept
    assert page.redirect_chain[-1][0] == ABOUT_YOU
    assert Response.objects.get().status == ResponseStatus.PARTIAL
    assert ThemeAnswer.objects.get().collective == 3


def test_going_back_and_saving_a_page_again_replaces_its_answers(client, invite, open_wave):
    issued = invite()
    open_link(client, issued.url)
    consent(client)
    theme = open_wave.themes.get()
    client.post(theme_url(1), theme_page_answers(theme, collective=3))

    back = client.get(theme_url(1))
    client.post(theme_url(1), theme_page_answers(theme, collective=1, done=False))

    assert 'value="3" checked' in back.content.decode()
    assert Response.objects.count() == ThemeAnswer.objects.count() == 1
    assert ThemeAnswer.objects.get().collective == 1
    assert ActivityAnswer.objects.filter(done=False).count() == 3


def test_pages_ahead_of_the_member_send_them_back_to_where_they_are(client, invite):
    issued = invite()
    open_link(client, issued.url)
    consent(client)

    result = client.get(CHECK)

    assert result.status_code == 302
    assert result["Location"] == theme_url(1)


def test_opening_the_link_again_after_submitting_shows_already_answered(client, invite, open_wave):
    issued = invite()
    answer_whole_questionnaire(client, issued.url)
    arm_before = Assignment.objects.get().arm

    again = client.get(f"/i/{issued.token}/", follow=True)

    assert again.status_code == 200
    assert "You sent your answers to this survey on" in again.content.decode()
    assert Assignment.objects.get().arm == arm_before
    assert Response.objects.count() == 1


def test_a_double_post_stores_one_response(client, invite, open_wave):
    issued = invite()
    answer_whole_questionnaire(client, issued.url, collective=1)
    first = client.post(CHECK)
    resent = client.post(theme_url(1), theme_page_answers(open_wave.themes.get(), collective=3))
    second = client.post(CHECK)

    assert first["Location"] == resent["Location"] == second["Location"] == DONE
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
    consent(client)
    open_wave.status = WaveStatus.CLOSED
    open_wave.save(update_fields=["status"])

    result = client.post(theme_url(1), theme_page_answers(open_wave.themes.get()))
    about = client.post(ABOUT_YOU, about_you_answers())
    check = client.post(CHECK)

    assert result.status_code == about.status_code == check.status_code == 410
    assert "has closed" in result.content.decode()
    assert not ThemeAnswer.objects.exists()
    assert Response.objects.get().about_saved_at is None


def test_the_page_speaks_welsh_to_a_welsh_speaker(client, invite):
    issued = invite(preferred_language="cy")

    page = open_link(client, issued.url)

    assert page.headers["Content-Language"] == "cy"
    assert 'lang="cy"' in page.content.decode()


def test_each_render_of_a_theme_page_records_the_nudge_version_shown(client, invite, open_wave):
    from experiments.nudges import set_nudge_text

    # given a member in arm A+B, and nudge A edited into a second version
    issued = _invite_into_arm(invite, open_wave, "ab")
    theme = open_wave.themes.get()
    version_2 = set_nudge_text(open_wave, theme=theme, nudge="a", text_en="Nudge A, edited")
    open_link(client, issued.url)

    # when the theme page is rendered twice (a refresh)
    consent(client)
    page = client.get(theme_url(1)).content.decode()

    # then each render recorded the versions shown: A version 2 and B version 1
    assert "Nudge A, edited" in page
    shown = sorted(
        Exposure.objects.filter(response__member=issued.invitation.member).values_list(
            "nudge_text__nudge", "nudge_text__version"
        )
    )
    assert shown == [("a", 2), ("a", 2), ("b", 1), ("b", 1)]
    assert version_2.version == 2


def test_the_time_on_each_page_is_recorded(client, invite, open_wave):
    from experiments.models import PageVisit

    issued = invite()

    answer_whole_questionnaire(client, issued.url)

    visits = PageVisit.objects.filter(response__member=issued.invitation.member).order_by("pk")
    theme_id = open_wave.themes.get().pk
    assert [v.page for v in visits] == ["start", f"theme-{theme_id}", "about-you", "check"]
    assert all(v.submitted_at is not None and v.submitted_at >= v.shown_at for v in visits)


def test_a_page_sent_again_without_being_shown_again_gets_a_visit_of_its_own(client, invite):
    from experiments.models import PageVisit

    # Given a member who was shown the start page once
    issued = invite()
    open_link(client, issued.url)

    # When they send it twice (a resent form)
    client.post(QUESTIONNAIRE, {"consent": "yes"})
    client.post(QUESTIONNAIRE, {"consent": "yes"})

    # Then the visit shown is stamped once, and the second sending has a visit of its own
    first, second = PageVisit.objects.filter(
        response__member=issued.invitation.member, page="start"
    ).order_by("pk")
    assert first.shown_at < first.submitted_at
    assert second.shown_at == second.submitted_at


def test_a_welsh_speaker_answers_in_welsh_and_the_language_is_stored(client, invite, open_wave):
    issued = invite(preferred_language="cy")
    open_link(client, issued.url)

    theme_page = html.unescape(consent(client).content.decode())
    result = answer_whole_questionnaire(client, issued.url)

    assert "Yn ystod y 12 mis diwethaf, a wnaethoch chi unrhyw un o'r pethau canlynol?" in (
        theme_page
    )
    assert ">Do</label>" in theme_page
    assert ">Naddo</label>" in theme_page
    assert "Tudalen gwestiynau 1 o 2" in theme_page
    assert result["Location"] == DONE
    assert Response.objects.get().language == "cy"


def test_a_wave_that_has_not_opened_shows_a_clear_page(client, invite, open_wave):
    issued = invite()
    open_wave.status = WaveStatus.DRAFT
    open_wave.save(update_fields=["status"])

    page = client.get(f"/i/{issued.token}/", follow=True)

    assert page.status_code == 410
    assert "has not opened yet" in page.content.decode()
    assert not Response.objects.exists()


def test_the_language_switch_changes_the_page_and_the_language_stored(client, invite):
    # given an English speaker on the first theme page
    issued = invite(preferred_language="en")
    open_link(client, issued.url)
    consent(client)

    # when they switch to Welsh from that page
    switched = client.post("/i18n/setlang/", {"language": "cy", "next": theme_url(1)}, follow=True)
    result = answer_whole_questionnaire(client, issued.url)

    # then the same page comes back in Welsh and the response says it was completed in Welsh
    assert switched.redirect_chain[-1][0] == theme_url(1)
    assert "Cadw a pharhau" in switched.content.decode()
    assert result["Location"] == DONE
    assert Response.objects.get().language == "cy"


def test_declining_stores_no_consent_and_keeps_the_questions_closed(client, invite):
    issued = invite()
    open_link(client, issued.url)

    declined = client.post(QUESTIONNAIRE, {"consent": "no"})
    page = client.get(declined["Location"])
    theme = client.get(theme_url(1))

    assert (declined.status_code, declined["Location"]) == (303, "/survey/declined/")
    assert "You have chosen not to take part" in html.unescape(page.content.decode())
    assert "What happens next" in page.content.decode()
    assert theme.status_code == 302
    assert theme["Location"] == QUESTIONNAIRE
    assert Response.objects.get().consented_at is None
    assert not Exposure.objects.exists()


def test_a_kept_theme_page_shows_each_arm_its_own_nudges_and_each_request_its_own_token(
    invite, open_wave
):
    # Given members of two arms of the same wave, whose blank pages are kept in this process
    pages, renders = {}, []
    for arm in ("a", "b", "a"):
        client = Client(enforce_csrf_checks=True)
        issued = _invite_into_arm(invite, open_wave, arm)
        open_link(client, issued.url)
        start = client.get(QUESTIONNAIRE).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', start).group(1)
        assert client.post(QUESTIONNAIRE, {"consent": "yes", "csrfmiddlewaretoken": token})[
            "Location"
        ] == theme_url(1)
        with _templates_rendered() as rendered:
            page = client.get(theme_url(1)).content.decode()
        pages.setdefault(arm, []).append((client, page))
        renders.append("experiments/theme.html" in rendered)

    # Then each page shows its arm's nudge only
    for arm, shown, hidden in (("a", "Nudge A", "Nudge B"), ("b", "Nudge B", "Nudge A")):
        for _, page in pages[arm]:
            assert shown in page
            assert hidden not in page
    # And the two members of arm A got the same page but not the same token
    (first_client, first), (_, second) = pages["a"]
    assert _without_csrf(first.encode()) == _without_csrf(second.encode())
    tokens = [
        re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        for page in (first, second)
    ]
    assert tokens[0] != tokens[1]
    assert "kept-page-csrf-token-mark" not in first + second
    # And the second member of arm A was answered from the kept HTML, without rendering
    assert renders[2] is False
    # And each token is one its own member's form is accepted with
    theme = open_wave.wave_themes.get().theme
    sent = first_client.post(
        theme_url(1), {**theme_page_answers(theme), "csrfmiddlewaretoken": tokens[0]}
    )
    assert sent.status_code == 303
    assert ThemeAnswer.objects.filter(response__member__invitations__pk__isnull=False).count() == 1


def test_blank_start_and_about_you_pages_are_kept_and_saved_answers_are_still_shown(
    invite, open_wave
):
    theme = open_wave.wave_themes.get().theme
    rendered_by_member = []
    for _ in range(2):
        client = Client()
        issued = invite()
        with _templates_rendered() as rendered:
            open_link(client, issued.url)
        consent(client)
        client.post(theme_url(1), theme_page_answers(theme))
        with _templates_rendered() as about:
            blank = client.get(ABOUT_YOU).content.decode()
        rendered_by_member.append(("experiments/start.html" in rendered, about))
        assert 'name="birth_year"' in blank
        assert 'value="1970"' not in blank

    # Then the second member's blank pages came from the kept HTML
    assert rendered_by_member[1][0] is False
    assert "experiments/about_you.html" not in rendered_by_member[1][1]
    # And once saved, the about-you page shows the member's own answers again
    assert client.post(ABOUT_YOU, about_you_answers()).status_code == 303
    assert 'value="1970"' in client.get(ABOUT_YOU).content.decode()


def test_every_group_is_told_the_same_time_on_the_start_page(invite, open_wave):
    # The start page comes before any nudge: nothing on it may differ between the groups
    estimates = set()
    for arm in ("none", "a", "b", "ab"):
        client = Client()
        page = open_link(client, _invite_into_arm(invite, open_wave, arm).url)
        estimates.add(re.search(r"It takes about (\d+) minutes?", page.content.decode()).group(1))
    assert estimates == {str(wave_time_estimate(open_wave))}
