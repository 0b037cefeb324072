"""Leaving from the link in any panel e-mail: stop e-mails, leave, or leave and delete."""

import base64
import html
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from audit.models import AuditEntry
from experiments.emails import UNSUBSCRIBE_SALT, member_for_unsubscribe_token, unsubscribe_token
from experiments.invitations import find_invitation, issue_invitation
from experiments.models import Response
from panel.models import MemberContact, MemberStatus
from tests.factories import MemberContactFactory
from tests.respondent import answer_whole_questionnaire

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _member(open_wave, **fields):
    return MemberContactFactory(
        member__council=open_wave.council, **{f"member__{k}": v for k, v in fields.items()}
    ).member


def _leave(client, token: str, choice: str):
    """Choose on the page, confirm on the next; return the pages seen."""
    chosen = client.post(f"/unsubscribe/{token}/", {"choice": choice})
    confirm = client.get(chosen["Location"])
    done = client.post(chosen["Location"])
    return chosen, confirm, done, client.get(done["Location"])


def test_the_link_names_the_council_and_no_internal_id(client, open_wave):
    member = _member(open_wave)
    token = unsubscribe_token(member)

    page = client.get(f"/unsubscribe/{token}/")

    assert page.status_code == 200
    assert open_wave.council.name in _text(page)
    for choice in ("Stop e-mails", "Leave the panel", "Leave the panel and delete my answers"):
        assert f">{choice}</label>" in _text(page)
    # The token carries the id encrypted: neither it nor its base64 shows the number.
    padded = token + "=" * (-len(token) % 4)
    assert f'"member": {member.pk}' not in base64.urlsafe_b64decode(padded).decode("latin-1")
    assert f'"member":{member.pk}' not in base64.urlsafe_b64decode(padded).decode("latin-1")
    assert f"#{member.pk}" not in _text(page)


def test_stopping_e_mails_is_confirmed_then_done_and_recorded(client, open_wave):
    member = _member(open_wave)

    chosen, confirm, done, page = _leave(client, unsubscribe_token(member), "stop_emails")

    assert (chosen.status_code, done.status_code) == (303, 303)
    assert "Stop e-mails from the panel?" in _text(confirm)
    assert "You are unsubscribed" in _text(page)
    member.refresh_from_db()
    assert member.status == MemberStatus.UNSUBSCRIBED
    assert AuditEntry.objects.filter(action="unsubscribe", object_id=str(member.pk)).count() == 1


def test_leaving_the_panel_withdraws_the_member_and_their_links_stop(client, open_wave):
    member = _member(open_wave)
    issued = issue_invitation(open_wave, member=member)

    _chosen, confirm, _done, page = _leave(client, unsubscribe_token(member), "leave")

    assert "Leave the panel?" in _text(confirm)
    assert "You have left the panel" in _text(page)
    member.refresh_from_db()
    assert member.status == MemberStatus.WITHDRAWN
    assert member.erased_at is None
    assert find_invitation(issued.token) is None
    assert AuditEntry.objects.filter(action="withdraw", object_id=str(member.pk)).exists()


def test_leaving_and_deleting_erases_the_member_and_their_answers(client, open_wave):
    # given a member who answered the whole questionnaire
    member = _member(open_wave)
    answer_whole_questionnaire(client, issue_invitation(open_wave, member=member).url)
    token = unsubscribe_token(member)

    # when they leave and ask for their answers to be deleted
    _chosen, confirm, _done, page = _leave(client, token, "leave_and_delete")

    # then contact details and answers are gone, and the link names nobody any more
    assert "this cannot be undone" in _text(confirm)
    assert "Your contact details and answers have been deleted." in _text(page)
    member.refresh_from_db()
    assert member.erased_at is not None
    assert not Response.objects.filter(member=member).exists()
    assert not MemberContact.objects.filter(member=member).exists()
    assert client.get(f"/unsubscribe/{token}/").status_code == 404


def test_nothing_is_done_before_the_member_confirms(client, open_wave):
    member = _member(open_wave)
    token = unsubscribe_token(member)

    chosen = client.post(f"/unsubscribe/{token}/", {"choice": "leave_and_delete"})
    client.get(chosen["Location"])

    member.refresh_from_db()
    assert (member.status, member.erased_at) == (MemberStatus.ACTIVE, None)


def test_no_choice_is_a_problem_shown_once_on_the_page(client, open_wave):
    member = _member(open_wave)
    path = f"/unsubscribe/{unsubscribe_token(member)}/"

    sent = client.post(path, {})
    shown, again = client.get(path), client.get(path)

    assert (sent.status_code, sent["Location"]) == (303, path)
    assert "Select whether to stop e-mails or leave the panel" in _text(shown)
    assert "There is a problem" not in _text(again)


def test_a_mail_client_s_one_click_post_stops_e_mails(client, open_wave):
    member = _member(open_wave)

    done = client.post(
        f"/unsubscribe/{unsubscribe_token(member)}/", {"List-Unsubscribe": "One-Click"}
    )

    assert done.status_code == 200
    member.refresh_from_db()
    assert member.status == MemberStatus.UNSUBSCRIBED


def test_the_link_expires_with_the_council_s_retention_period(client, open_wave):
    # given a council that keeps members' data 30 days
    open_wave.council.retention_days = 30
    open_wave.council.save(update_fields=["retention_days"])
    member = _member(open_wave)
    with time_machine.travel(timezone.now() - timedelta(days=31)):
        old = unsubscribe_token(member)
    recent = unsubscribe_token(member)

    # then a link made 31 days ago is refused, and one made today works
    assert member_for_unsubscribe_token(old) is None
    assert client.get(f"/unsubscribe/{old}/").status_code == 404
    assert client.get(f"/unsubscribe/{recent}/").status_code == 200


def test_links_of_earlier_e_mails_still_work_at_their_old_address(client, open_wave):
    # given a link in the format and at the address of e-mails sent before the move
    member = _member(open_wave)
    earlier = signing.dumps({"member": member.pk}, salt=UNSUBSCRIBE_SALT, compress=True)

    page = client.get(f"/console/unsubscribe/{earlier}/")
    forged = client.get(f"/console/unsubscribe/{earlier[:-2]}xx/")

    assert page.status_code == 200
    assert "Stop e-mails or leave the panel" in _text(page)
    assert forged.status_code == 404


def test_a_welsh_member_reads_welsh_and_the_switch_keeps_their_choice(client, open_wave):
    member = _member(open_wave, preferred_language="cy")
    path = f"/unsubscribe/{unsubscribe_token(member)}/"

    welsh = client.get(path)
    switched = client.post(path, {"choice": "leave", "language": "en"})
    english = client.get(switched["Location"])

    assert '<html lang="cy">' in _text(welsh)
    assert "Rhoi'r gorau i gael e-byst neu adael y panel" in _text(welsh)
    assert '<html lang="en">' in _text(english)
    assert 'value="leave" aria-describedby="id_choice_1-hint" checked' in _text(english)
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE
