"""The member's path beyond the questions: drafts, the language switch, parts, progress,
welcome back, the time estimate, who is asking and what happens after declining."""

import html

import pytest
from django.core import mail
from django.test import Client

from experiments.emails import queue_invitations
from experiments.forms import age_band_fits
from experiments.models import ActivityAnswer, Nation, Response, ResponseStatus, ThemeAnswer
from experiments.questionnaires import (
    SECONDS_PER_ITEM,
    estimate_minutes,
    split_questions,
    wave_time_estimate,
)
from tests.factories import (
    ActivityFactory,
    MemberContactFactory,
    NudgeTextFactory,
    WaveFactory,
    WaveThemeFactory,
)
from tests.respondent import (
    ABOUT_YOU,
    CHECK,
    DONE,
    QUESTIONNAIRE,
    about_you_answers,
    consent,
    open_link,
    theme_page_answers,
    theme_url,
)

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _long_wave(activities: int = 10, **wave_fields):
    """An open wave of one theme with many activities: 18 questions with 10 activities."""
    wave = WaveFactory(**wave_fields)
    theme = WaveThemeFactory(wave=wave, theme__kind="environment").theme
    ActivityFactory.create_batch(activities, theme=theme)
    NudgeTextFactory(wave=wave, theme=theme, nudge="a")
    NudgeTextFactory(wave=wave, theme=theme, nudge="b")
    return wave, theme


# Post/Redirect/Get ---------------------------------------------------------------------------


def test_about_you_with_a_problem_redirects_and_keeps_every_value_typed(client, invite, open_wave):
    # given a member on the about-you page
    issued = invite()
    open_link(client, issued.url)
    consent(client)
    client.post(theme_url(1), theme_page_answers(open_wave.themes.get()))

    # when they send it without their gender
    body = about_you_answers(birth_year="1961")
    del body["gender"]
    sent = client.post(ABOUT_YOU, body)
    shown = client.get(ABOUT_YOU)
    refreshed = client.get(ABOUT_YOU)

    # then the page comes back by a redirect, with the problem once and the values always
    assert (sent.status_code, sent["Location"]) == (303, ABOUT_YOU)
    assert "Select how you would describe your gender" in _text(shown)
    assert 'value="1961"' in _text(shown)
    assert "Select how you would describe your gender" not in _text(refreshed)
    assert 'value="1961"' in _text(refreshed)
    assert Response.objects.get().about_saved_at is None


def test_a_saved_page_forgets_its_draft(client, invite, open_wave):
    # given a member whose first try at the theme page had a problem
    issued = invite()
    open_link(client, issued.url)
    consent(client)
    theme = open_wave.themes.get()
    body = theme_page_answers(theme, collective=3)
    client.post(theme_url(1), {k: v for k, v in body.items() if k != "efficacy"})

    # when they send it whole and come back to it
    sent = client.post(theme_url(1), theme_page_answers(theme, collective=2))
    page = client.get(theme_url(1))

    # then the page shows what was saved, not the draft
    assert sent.status_code == 303
    assert 'name="collective" value="2" checked' in _text(page)
    assert "drafts" not in client.session or not client.session["drafts"]


# The language switch ----------------------------------------------------------------------


def test_the_switch_on_a_page_keeps_its_answers_and_saves_nothing(client, invite, open_wave):
    # given an English speaker who has ticked two answers on the theme page
    issued = invite(preferred_language="en")
    open_link(client, issued.url)
    consent(client)
    ticked = {"collective": "2", "efficacy": "4"}

    # when they press "Cymraeg", which sends the page's own form
    switched = client.post(theme_url(1), {**ticked, "language": "cy"})
    page = client.get(switched["Location"])

    # then the same page comes back in Welsh with both answers and no error
    assert (switched.status_code, switched["Location"]) == (303, theme_url(1))
    assert switched.cookies["django_language"].value == "cy"
    assert '<html lang="cy">' in _text(page)
    assert 'name="collective" value="2" checked' in _text(page)
    assert 'name="efficacy" value="4" checked' in _text(page)
    assert "error-summary" not in _text(page)
    assert not ThemeAnswer.objects.exists()


def test_the_switch_on_the_start_page_keeps_the_consent_ticked(client, invite):
    issued = invite(preferred_language="en")
    open_link(client, issued.url)

    switched = client.post(QUESTIONNAIRE, {"consent": "yes", "language": "cy"})
    page = client.get(switched["Location"])

    assert switched["Location"] == QUESTIONNAIRE
    assert 'name="consent" value="yes" checked' in _text(page)
    assert "Ydych chi'n cytuno i gymryd rhan" in _text(page)
    assert Response.objects.get().consented_at is None


# Long themes in parts -------------------------------------------------------------------------


def test_split_questions_balances_the_room_the_questions_take():
    activities = [f"activity_{n}" for n in range(5)]
    items = ["collective", "time_now", "time_more", "conditions", "a", "b", "c", "efficacy"]

    assert [len(p) for p in split_questions(activities + items, per_page=12)] == [8, 5]
    assert [len(p) for p in split_questions(activities + items, per_page=0)] == [13]
    assert [len(p) for p in split_questions(items, per_page=12)] == [8]
    assert split_questions(activities + items, per_page=12)[1] == (
        "conditions",
        "a",
        "b",
        "c",
        "efficacy",
    )
    assert all(len(p) <= 6 for p in split_questions(activities + items, per_page=6))


def test_a_long_theme_is_asked_in_two_parts_each_saved_on_its_own(client, invite):
    # given a theme of 18 questions (10 activities), at most 12 a page
    wave, theme = _long_wave(activities=10)
    issued = invite(wave=wave)
    open_link(client, issued.url)
    consent(client)
    body = theme_page_answers(theme)

    # when the member sends the first part
    first = client.get(theme_url(1))
    sent = client.post(theme_url(1), body)

    # then the activities are stored, the rest waits for the second part
    assert "part 1 of 2" in _text(first)
    assert (sent.status_code, sent["Location"]) == (303, theme_url(1) + "2/")
    response = Response.objects.get()
    assert ActivityAnswer.objects.filter(theme_answer__response=response).count() == 10
    assert ThemeAnswer.objects.get().efficacy is None
    # and the link opened on another device resumes on the second part
    elsewhere = Client()
    assert open_link(elsewhere, issued.url).redirect_chain[-1][0] == theme_url(1) + "2/"
    # and the questionnaire cannot be sent yet
    assert client.get(CHECK)["Location"] == theme_url(1) + "2/"

    # when the second part is sent too
    second = client.post(theme_url(1) + "2/", body)

    # then the theme is whole and the member goes on to about you
    assert second["Location"] == ABOUT_YOU
    answer = ThemeAnswer.objects.get()
    assert (answer.collective, answer.efficacy, answer.satisfaction_response) == (1, 2, 9)
    assert ActivityAnswer.objects.filter(theme_answer=answer).count() == 10


def test_changing_the_first_part_keeps_the_second(client, invite):
    # given a long theme answered in full
    wave, theme = _long_wave(activities=10)
    issued = invite(wave=wave)
    open_link(client, issued.url)
    consent(client)
    client.post(theme_url(1), theme_page_answers(theme))
    client.post(theme_url(1) + "2/", theme_page_answers(theme, efficacy=5))

    # when the member changes an activity from check your answers
    changed = client.post(theme_url(1) + "?check=1", theme_page_answers(theme, done=False))

    # then they go on through the second part, whose answers are kept
    assert changed["Location"] == theme_url(1) + "2/?check=1"
    answer = ThemeAnswer.objects.get()
    assert answer.efficacy == 5
    assert not ActivityAnswer.objects.filter(theme_answer=answer, done=True).exists()


def test_a_wave_may_keep_every_theme_on_one_page(client, invite):
    wave, theme = _long_wave(activities=10, questions_per_page=0)
    issued = invite(wave=wave)
    open_link(client, issued.url)
    consent(client)

    sent = client.post(theme_url(1), theme_page_answers(theme))

    assert sent["Location"] == ABOUT_YOU


# Progress, welcome back and the time estimate ---------------------------------------------------


def test_progress_counts_question_pages_and_not_the_check_page(client, invite, open_wave):
    issued = invite()
    open_link(client, issued.url)
    page = consent(client)

    assert "Question page 1 of 2" in _text(page)
    assert '<progress class="progress-indicator__bar" max="2" value="1" aria-hidden="true">' in (
        _text(page)
    )
    client.post(theme_url(1), theme_page_answers(open_wave.themes.get()))
    assert "Question page 2 of 2" in _text(client.get(ABOUT_YOU))
    client.post(ABOUT_YOU, about_you_answers())
    assert "Question page" not in _text(client.get(CHECK))


def test_opening_the_link_again_welcomes_the_member_back_once(client, invite, open_wave):
    # given a wave of two themes, the first answered
    second = WaveThemeFactory(wave=open_wave, position=1).theme
    ActivityFactory(theme=second)
    issued = invite()
    first_page = open_link(client, issued.url)
    consent(client)
    client.post(theme_url(1), theme_page_answers(open_wave.wave_themes.first().theme))

    # when they open the link again on another device, then refresh
    elsewhere = Client()
    back = open_link(elsewhere, issued.url)
    again = elsewhere.get(theme_url(2))

    # then the first page shown welcomes them back with what they have done, once
    assert "Welcome back" not in _text(first_page)
    assert back.redirect_chain[-1][0] == theme_url(2)
    assert "Welcome back" in _text(back)
    assert "You have answered 1 of 3 sections." in _text(back)
    assert "Welcome back" not in _text(again)


def test_the_time_estimate_adds_up_the_documented_seconds_of_each_item_kind():
    # 30 start + 2×10 boxes + 4×4 activities + 8×8 scales + 40 about you + 20 check = 190 s
    assert SECONDS_PER_ITEM == {
        "start": 30,
        "information": 10,
        "activity": 4,
        "rated": 8,
        "about_you": 40,
        "check": 20,
    }
    assert estimate_minutes(activities=4, rated=8, information=2) == 4
    assert estimate_minutes(activities=0, rated=0, information=0) == 2


@pytest.mark.django_db(transaction=True)
def test_the_start_page_and_the_invitation_state_the_same_estimate(client, invite):
    # given a wave without the experiment (no boxes for anyone) of one theme of 10 activities
    wave, _theme = _long_wave(activities=10, experiment_on=False)
    person = MemberContactFactory(member__council=wave.council)
    # 30 + 10×4 + 8×8 + 40 + 20 = 194 s: about 4 minutes
    assert wave_time_estimate(wave) == 4

    queue_invitations(wave)
    link = next(line for line in mail.outbox[0].body.splitlines() if "/i/" in line).strip()
    start = open_link(Client(), link)

    assert "It takes about 4 minutes." in mail.outbox[0].body
    assert "It takes about 4 minutes." in _text(start)
    assert person.member.pk  # the e-mail went to the member made above


# Who is asking --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_welsh_pages_and_e_mails_name_the_council_and_survey_in_welsh(client, invite):
    wave, _theme = _long_wave(
        council__nation=Nation.WALES,
        council__name="City and County of Swansea",
        council__name_cy="Dinas a Sir Abertawe",
        title="Your area",
        title_cy="Eich ardal",
    )
    MemberContactFactory(member__council=wave.council, member__preferred_language="cy")
    issued = invite(wave=wave, preferred_language="cy")

    start = open_link(client, issued.url)
    queue_invitations(wave)
    welsh, english = mail.outbox[0].body.split("\n\n— — —\n\n")

    assert "Mae Dinas a Sir Abertawe eisiau deall" in _text(start)
    assert "City and County of Swansea" not in _text(start)
    assert "banel dinasyddion Dinas a Sir Abertawe" in welsh
    assert "“Eich ardal”" in welsh
    assert "City and County of Swansea citizen panel" in english
    assert mail.outbox[0].subject == "Eich barn: Eich ardal / Your views: Your area"


def test_the_privacy_notice_is_linked_from_every_page_and_says_who_why_how_long(client, invite):
    # given a council with its panel team, lawful basis and retention period
    wave, _theme = _long_wave(
        council__slug="somewhere",
        council__panel_email="panel@somewhere.example.org",
        council__panel_telephone="01632 960 001",
        council__lawful_basis_en="Public task: we consult residents.",
        council__lawful_basis_cy="Tasg gyhoeddus: rydyn ni'n ymgynghori.",
        council__retention_days=365,
    )
    issued = invite(wave=wave)
    start = open_link(client, issued.url)
    theme = consent(client)

    english = client.get("/privacy/somewhere/")
    client.cookies["django_language"] = "cy"
    welsh = client.get("/privacy/somewhere/")

    for page in (start, theme, english):
        assert 'href="/privacy/somewhere/"' in _text(page)
        assert "mailto:panel@somewhere.example.org" in _text(page)
        assert 'href="tel:01632960001"' in _text(page)
    assert "Public task: we consult residents." in _text(english)
    assert "deleted 365 days after you leave the panel" in _text(english)
    assert "Tasg gyhoeddus: rydyn ni'n ymgynghori." in _text(welsh)
    assert "365 diwrnod ar ôl i chi adael y panel" in _text(welsh)
    assert client.get("/privacy/nowhere/").status_code == 404


# Wording ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "band", "fits"),
    [(1968, "55-64", True), (1968, "25-34", False), (1950, "75+", True), (2000, "not_said", True)],
)
def test_a_year_of_birth_fits_a_band_before_or_after_this_year_s_birthday(year, band, fits):
    import time_machine

    with time_machine.travel("2026-06-01"):
        assert age_band_fits(year, band) is fits


def test_a_year_of_birth_against_another_band_asks_to_confirm(client, invite, open_wave):
    # given a member on the about-you page
    issued = invite()
    open_link(client, issued.url)
    consent(client)
    client.post(theme_url(1), theme_page_answers(open_wave.themes.get()))
    body = about_you_answers(birth_year="1968", age_band="16-24")

    # when they send a year of birth and a band that do not match
    asked = client.post(ABOUT_YOU, body)
    page = client.get(ABOUT_YOU)
    # and then confirm both are right
    confirmed = client.post(ABOUT_YOU, {**body, "confirm_age": "on"})

    # then they are asked once, and the confirmed answers are stored as given
    assert asked["Location"] == ABOUT_YOU
    assert "Your year of birth, 1968, does not match the age band you selected." in _text(page)
    assert 'name="confirm_age"' in _text(page)
    assert confirmed["Location"] == CHECK
    response = Response.objects.get()
    assert (response.birth_year, response.age_band) == (1968, "16-24")


def test_the_thank_you_page_thanks_and_later_says_when_it_was_sent(client, invite, open_wave):
    issued = invite()
    open_link(client, issued.url)
    consent(client)
    client.post(theme_url(1), theme_page_answers(open_wave.themes.get()))
    client.post(ABOUT_YOU, about_you_answers())

    sent = client.post(CHECK)
    thanks = client.get(sent["Location"])
    later = open_link(Client(), issued.url)

    assert sent["Location"] == DONE
    assert "Thank you for taking part" in _text(thanks)
    assert "already" not in _text(thanks)
    assert "You sent your answers to this survey on" in _text(later)
    assert Response.objects.get().status == ResponseStatus.COMPLETE


def test_declining_says_what_happens_next_and_how_to_leave(client, invite):
    issued = invite()
    open_link(client, issued.url)

    declined = client.post(QUESTIONNAIRE, {"consent": "no"})
    page = client.get(declined["Location"])

    assert declined.status_code == 303
    assert "What happens next" in _text(page)
    assert "You stay a member of the citizen panel" in _text(page)
    assert 'href="/unsubscribe/' in _text(page)
    assert Response.objects.get().consented_at is None


def test_declining_after_agreeing_says_the_saved_answers_are_kept(client, invite, open_wave):
    # given a member who agreed and saved the theme, then went back to the start page
    issued = invite()
    open_link(client, issued.url)
    consent(client)
    client.post(theme_url(1), theme_page_answers(open_wave.themes.get()))

    # when they answer "No" there
    declined = client.post(QUESTIONNAIRE + "?start=1", {"consent": "no"})
    page = client.get(declined["Location"])

    # then the page does not pretend nothing was stored, and says how to delete it
    assert "the answers you have already saved are kept" in _text(page)
    assert "no answers are stored" not in _text(page)
    assert ThemeAnswer.objects.filter(response__member=issued.invitation.member).exists()
