"""Member-facing e-mails and pages outside the questionnaire speak Welsh to Welsh readers."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from experiments.emails import queue_invitations, send_due_reminders, unsubscribe_token
from experiments.models import ReminderSchedule, WaveStatus
from panel.models import MemberStatus
from tests.factories import (
    ActivityFactory,
    MemberContactFactory,
    WaveFactory,
    WaveThemeFactory,
)

CLOSES_AT = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)


def _welsh_reader(wave):
    return MemberContactFactory(
        member__council=wave.council, member__preferred_language="cy", name="Siân"
    )


def _heading(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.content.decode()).group(1)


def _lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.django_db(transaction=True)
def test_a_welsh_reader_gets_the_invitation_and_reminder_in_welsh_first_with_welsh_dates(
    open_wave,
):
    # given a Welsh reader on a wave that closes on 1 March 2027, sent from a Welsh console page
    open_wave.closes_at = CLOSES_AT
    open_wave.save(update_fields=["closes_at"])
    person = _welsh_reader(open_wave)
    ReminderSchedule.objects.create(wave=open_wave, send_at=timezone.now())

    # when the invitation and then the reminder go out
    with translation.override("cy"):
        queue_invitations(open_wave)
        send_due_reminders()

    # then each opens in Welsh, and each half writes the date in its own language
    invitation, reminder = mail.outbox
    assert invitation.to == reminder.to == [person.email]
    assert invitation.subject == f"Eich barn: {open_wave.title_cy} / Your views: {open_wave.title}"
    for message, welsh_first_line in [
        (invitation, "Annwyl Siân,"),
        (reminder, "Annwyl Siân,"),
    ]:
        welsh, english = message.body.split("\n\n— — —\n\n")
        assert welsh.splitlines()[0] == welsh_first_line
        assert "Mae'r arolwg yn cau ar 1 Mawrth 2027." in welsh.splitlines()
        assert english.splitlines()[0] == "Dear Siân,"
        assert "The survey closes on 1 March 2027." in english.splitlines()
    assert "Nodyn atgoffa:" in reminder.body.split("\n\n— — —\n\n")[0]


@pytest.mark.django_db
def test_the_unsubscribe_page_speaks_welsh_to_a_welsh_reader_until_they_switch(client):
    # given a Welsh reader whose browser asks for English and who has not used the switch
    member = MemberContactFactory(member__preferred_language="cy").member
    path = f"/unsubscribe/{unsubscribe_token(member)}/"

    # when they open the link, choose to stop e-mails and confirm
    asked = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    chosen = client.post(path, {"choice": "stop_emails"}, HTTP_ACCEPT_LANGUAGE="en")
    confirm = client.get(chosen["Location"], HTTP_ACCEPT_LANGUAGE="en")
    confirmed = client.post(chosen["Location"], HTTP_ACCEPT_LANGUAGE="en")
    done = client.get(confirmed["Location"], HTTP_ACCEPT_LANGUAGE="en")

    # then every page is in Welsh, marked as Welsh, and the member is unsubscribed
    assert (asked.status_code, _lang(asked)) == (200, "cy")
    assert _heading(asked) == "Rhoi'r gorau i gael e-byst neu adael y panel"
    assert (_lang(confirm), _heading(confirm)) == ("cy", "Rhoi'r gorau i gael e-byst gan y panel?")
    assert (done.status_code, _lang(done)) == (200, "cy")
    assert _heading(done) == "Rydych wedi dad-danysgrifio"
    assert "Ni fyddwch yn cael rhagor o e-byst gan y panel dinasyddion." in done.content.decode()
    member.refresh_from_db()
    assert member.status == MemberStatus.UNSUBSCRIBED


@pytest.mark.django_db
def test_the_unsubscribe_page_follows_the_language_switch_over_the_panel_record(client):
    # given a Welsh reader who chose English with the language switch
    member = MemberContactFactory(member__preferred_language="cy").member
    client.cookies["django_language"] = "en"

    response = client.get(f"/unsubscribe/{unsubscribe_token(member)}/")

    assert (_lang(response), _heading(response)) == ("en", "Stop e-mails or leave the panel")
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE


@pytest.mark.django_db
def test_the_too_many_attempts_page_is_in_welsh_for_a_welsh_browser(client, settings):
    # given a limit of one link a window, already used from this address
    settings.INVITATION_RATE_LIMIT = 1
    client.get("/i/guess-1/", HTTP_ACCEPT_LANGUAGE="cy")

    # when a Welsh browser opens another link
    response = client.get("/i/guess-2/", HTTP_ACCEPT_LANGUAGE="cy")

    # then the refusal is in Welsh and marked as Welsh
    assert response.status_code == 429
    assert (_lang(response), _heading(response)) == ("cy", "Gormod o ymdrechion")
    assert (
        "Bu gormod o ymdrechion i agor dolenni arolwg o'ch cysylltiad chi. "
        "Arhoswch funud a rhowch gynnig ar eich dolen eto."
    ) in response.content.decode()


def test_the_welsh_preview_shows_the_members_page_in_welsh_inside_an_english_console(
    console_client,
):
    # given a draft wave with one theme whose name has both languages
    wave = WaveFactory(council=console_client.council, status=WaveStatus.DRAFT)
    theme = WaveThemeFactory(wave=wave, theme__name_en="Health", theme__name_cy="Iechyd").theme
    ActivityFactory(theme=theme)

    # when an admin reading English previews the theme in Welsh
    response = console_client.get(
        reverse("console:preview", args=[wave.pk, theme.pk]) + "?lang=cy",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    # then the console around it is English and each member's page is Welsh
    body = response.content.decode()
    assert _lang(response) == "en"
    assert ">Back to the wave</a>" in body
    assert ">Preview in English</a>" in body
    members_pages = body.split('class="preview-arm__page" lang="cy">')[1:]
    assert len(members_pages) == 4
    assert all(">Iechyd</h3>" in page for page in members_pages)
    assert "Back to the wave" not in "".join(members_pages)
