"""The one-statement read of a member's sitting, and the locks taken while answers are saved."""

import threading
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection, transaction

from experiments.invitations import issue_invitation
from experiments.models import (
    Arm,
    Assignment,
    Invitation,
    ItemWording,
    Response,
    ResponseStatus,
    Wave,
    WaveStatus,
)
from experiments.policy import SYSTEM
from experiments.questionnaires import questionnaire_stamp, set_item_wording
from experiments.respondent.sittings import WAVE_DEFERRED, load_sitting
from experiments.responses import (
    THEME_ANSWER_FIELDS,
    AnswersNotAccepted,
    ThemeAnswers,
    _lock_for_answers,
    begin_response,
    record_consent,
    save_theme_answers,
)
from experiments.waves import close_wave
from tests.factories import PanelMemberFactory, WaveFactory, WaveThemeFactory
from tests.respondent import answer_whole_questionnaire, open_link, theme_page_answers, theme_url


def _fields(instance, leave_out=()) -> dict:
    return {
        f.attname: getattr(instance, f.attname)
        for f in type(instance)._meta.concrete_fields
        if f.name not in leave_out
    }


@pytest.mark.django_db
def test_one_statement_reads_every_field_the_models_hold(client, open_wave, invite):
    # Given a member who has opened their link and answered the first theme page
    issued = invite()
    open_link(client, issued.url)
    client.post("/survey/", {"consent": "yes"})
    theme = open_wave.wave_themes.get().theme
    client.post(theme_url(1), theme_page_answers(theme))

    # When the sitting is read in one statement
    sitting = load_sitting(issued.invitation.pk)

    # Then it holds, field by field, the invitation, wave, council, member and response
    # as the models read them, and the arm
    invitation = Invitation.objects.select_related("wave__council", "member").get(
        pk=issued.invitation.pk
    )
    assert _fields(sitting.invitation) == _fields(invitation)
    assert _fields(sitting.invitation.wave, WAVE_DEFERRED) == _fields(
        invitation.wave, WAVE_DEFERRED
    )
    assert _fields(sitting.invitation.wave.council) == _fields(invitation.wave.council)
    assert _fields(sitting.invitation.member) == _fields(invitation.member)
    assert _fields(sitting.response) == _fields(Response.objects.get(member=invitation.member))
    assert sitting.arm == Assignment.objects.get().arm
    # And the themes answered and the digest of the pages
    assert sitting.theme_progress == {theme.pk: 11}
    assert sitting.pages_stamp == questionnaire_stamp(open_wave.pk)
    assert set(WAVE_DEFERRED) <= sitting.invitation.wave.get_deferred_fields()


@pytest.mark.django_db
def test_before_the_first_opening_there_is_no_response_and_no_arm(invite):
    issued = invite()
    sitting = load_sitting(issued.invitation.pk)
    assert sitting.response is None
    assert sitting.arm is None
    assert sitting.invitation.member.pk == issued.invitation.member_id
    assert load_sitting(issued.invitation.pk + 1000) is None
    assert load_sitting(None) is None


@pytest.mark.django_db
def test_the_digest_follows_this_waves_wordings_and_not_another_waves(open_wave, invite):
    # Given a second wave of the same council sharing the theme, still a draft
    theme = open_wave.wave_themes.get().theme
    other = WaveFactory(council=open_wave.council, status=WaveStatus.DRAFT)
    WaveThemeFactory(wave=other, theme=theme)
    issued = invite()
    before = load_sitting(issued.invitation.pk).pages_stamp

    # When the other wave rewords an item, this wave's digest stays as it was
    set_item_wording(other, theme=theme, item="collective", text_en="Another wording")
    assert load_sitting(issued.invitation.pk).pages_stamp == before

    # And when this wave's own wording changes (however it is stored), the digest follows
    ItemWording.objects.create(
        wave=open_wave, theme=theme, item="collective", text_en="A new wording"
    )
    after = load_sitting(issued.invitation.pk).pages_stamp
    assert after != before
    assert after == questionnaire_stamp(open_wave.pk)


def _answers(theme) -> ThemeAnswers:
    return ThemeAnswers(
        theme_id=theme.pk,
        activities={a.pk: True for a in theme.activities.all()},
        collective=1,
        efficacy=2,
    )


def _opened(wave):
    member = PanelMemberFactory(council=wave.council)
    response, _ = begin_response(issue_invitation(wave, member=member).invitation, language="en")
    record_consent(response.pk)
    return response


class _HeldLock:
    """Hold one member's answer lock in another thread until released."""

    def __init__(self, response_id: int):
        self.response_id = response_id
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            with transaction.atomic():
                _lock_for_answers(self.response_id)
                self.locked.set()
                self.release.wait(10)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(10)


@contextmanager
def _waiting_at_most(timeout: str):
    """A transaction that fails instead of waiting longer than timeout for a lock."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{timeout}'")
        yield


def _close_waiting_at_most(wave_id: int, timeout: str) -> None:
    with _waiting_at_most(timeout):
        close_wave(SYSTEM, Wave.objects.get(pk=wave_id))


@pytest.mark.django_db(transaction=True)
def test_members_answers_do_not_wait_for_one_another(open_wave):
    # Given two members answering the same wave
    theme = open_wave.wave_themes.get().theme
    first, second = _opened(open_wave), _opened(open_wave)

    # When the first member's save holds its locks
    # Then the second member's answers are saved without waiting for it
    with _HeldLock(first.pk), _waiting_at_most("2s"):
        save_theme_answers(second.pk, answers=_answers(theme), language="en")
    assert second.theme_answers.count() == 1


@pytest.mark.django_db(transaction=True)
def test_closing_waits_for_answers_being_saved_and_later_answers_are_refused(open_wave):
    # Given a member whose answers are being saved
    theme = open_wave.wave_themes.get().theme
    first, second = _opened(open_wave), _opened(open_wave)
    # Then closing the wave waits for that save to finish
    with _HeldLock(first.pk), pytest.raises(OperationalError):
        _close_waiting_at_most(open_wave.pk, "500ms")
    open_wave.refresh_from_db()
    assert open_wave.status == WaveStatus.OPEN

    # And once it has closed, answers sent after it are refused and nothing is stored
    close_wave(SYSTEM, open_wave)
    with pytest.raises(AnswersNotAccepted):
        save_theme_answers(second.pk, answers=_answers(theme), language="en")
    assert second.theme_answers.count() == 0


def _stored(member) -> dict:
    """What a member's questionnaire left in the database, without ids and times."""
    response = Response.objects.get(member=member)
    answers = []
    for answer in response.theme_answers.order_by("theme_id"):
        values = {f: getattr(answer, f) for f in THEME_ANSWER_FIELDS if f != "saved_at"}
        activities = sorted(answer.activity_answers.values_list("activity_id", "done"))
        answers.append((answer.theme_id, values, activities))
    visits = [
        (v.page, v.submitted_at is not None)
        for v in response.page_visits.order_by("shown_at", "pk")
    ]
    about = ("status", "language", "birth_year", "age_band", "gender", "ethnic_group", "ward")
    return {
        "response": {f: getattr(response, f) for f in about},
        "times": all(
            t is not None
            for t in (response.consented_at, response.about_saved_at, response.submitted_at)
        ),
        "answers": answers,
        "visits": visits,
        # Every render of a theme page shows the nudges of the member's arm, and only those
        "exposures": set(response.exposures.values_list("nudge_text__nudge", flat=True))
        == set(Arm(Assignment.objects.get(member=member).arm).nudges),
    }


@pytest.mark.django_db
def test_a_whole_questionnaire_stores_each_page_once_with_its_visits_and_exposures(
    client, invite, open_wave
):
    # Given a member who answers every page (and sends the theme page twice)
    theme = open_wave.wave_themes.get().theme
    issued = invite()
    open_link(client, issued.url)
    client.post("/survey/", {"consent": "yes"})
    client.get(theme_url(1))
    client.post(theme_url(1), theme_page_answers(theme, collective=2, done=False))
    answer_whole_questionnaire(client, issued.url, collective=1)

    # Then the one set of rows the page statements write is exactly what was answered
    stored = _stored(issued.invitation.member)
    activities = sorted((a.pk, True) for a in theme.activities.all())
    assert stored["response"] == {
        "status": ResponseStatus.COMPLETE,
        "language": "en",
        "birth_year": 1970,
        "age_band": "",
        "gender": "woman",
        "ethnic_group": "white",
        "ward": "Central",
    }
    assert stored["times"] is True
    assert stored["answers"] == [
        (
            theme.pk,
            {
                "collective": 1,
                "time_now": 2,
                "time_more": 3,
                "conditions": 2,
                "satisfaction_information": 2,
                "satisfaction_consultation": 3,
                "satisfaction_response": 9,
                "efficacy": 2,
                "recalled_nudge": "",
            },
            activities,
        )
    ]
    # Every page shown has a visit, and each page sent stamped its latest visit
    pages = [page for page, _ in stored["visits"]]
    assert {"start", f"theme-{theme.pk}", "about-you", "check"} <= set(pages)
    assert all(sent for page, sent in stored["visits"] if page == "about-you")
    assert stored["exposures"] is True
