"""The questionnaire's pages run on a short middleware stack of their own (respondent.stack)."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from experiments.respondent.stack import PREFIXES, ROOT_URLCONF
from surveyplatform.sessions import SessionStore, key_names
from tests.respondent import QUESTIONNAIRE, consent, open_link

pytestmark = pytest.mark.django_db


def test_the_short_stack_is_the_full_stack_less_staff_parts_in_the_same_order():
    full = settings.MIDDLEWARE
    after = full[full.index("experiments.respondent.stack.RespondentStackMiddleware") + 1 :]
    short = settings.RESPONDENT_MIDDLEWARE
    assert [name for name in after if name in short] == short
    left_out = {name.rsplit(".", 1)[1] for name in after if name not in short}
    assert left_out == {
        "WhiteNoiseMiddleware",
        "AuthenticationMiddleware",
        "OTPMiddleware",
        "MessageMiddleware",
        "AxesMiddleware",
        "FailedAccessAuditMiddleware",
    }


def test_a_questionnaire_page_runs_on_the_short_stack_and_a_staff_page_does_not(client, invite):
    issued = invite()
    page = open_link(client, issued.url)
    assert page.status_code == 200
    assert page.wsgi_request.urlconf == ROOT_URLCONF
    assert not hasattr(page.wsgi_request, "user")
    # Security headers and the session come with it all the same
    assert page["X-Frame-Options"] == "DENY"
    assert page["Content-Security-Policy"]
    assert client.session["invitation_id"] == issued.invitation.pk

    staff = client.get("/console/")
    assert not hasattr(staff.wsgi_request, "urlconf")
    assert hasattr(staff.wsgi_request, "user")


def test_pages_without_a_sitting_still_offer_the_language_switch(client):
    page = client.get(QUESTIONNAIRE)
    assert page.status_code == 404
    assert 'action="/i18n/setlang/"' in page.content.decode()
    assert QUESTIONNAIRE.startswith(PREFIXES)


def test_an_address_without_its_slash_is_still_sent_to_it(client):
    assert client.get("/survey/about-you")["Location"] == "/survey/about-you/"


def test_a_page_reads_the_member_s_session_with_their_sitting_in_one_statement(client, invite):
    issued = invite()
    open_link(client, issued.url)
    assert key_names(client.session.session_key) == issued.invitation.pk

    with CaptureQueriesContext(connection) as captured:
        page = client.get(QUESTIONNAIRE)

    assert page.status_code == 200
    statements = [q["sql"] for q in captured.captured_queries]
    assert "django_session" in statements[0]
    assert "sit_inv" in statements[0]
    assert not any(s.lstrip().startswith('SELECT "session_key"') for s in statements)


def test_the_session_s_own_data_decides_whose_sitting_it_is(client, invite):
    # Given a member who has agreed to take part, their session key naming their invitation
    first = invite()
    open_link(client, first.url)
    consent(client)
    key = client.session.session_key
    # When the session's data names another invitation (not yet started) under that key
    second = invite()
    other = SessionStore()
    other["invitation_id"] = second.invitation.pk
    Session.objects.filter(session_key=key).update(
        session_data=other.encode(other._get_session(no_load=True))
    )

    # Then the pages follow the data: the other member's start page, not a resume
    page = client.get(QUESTIONNAIRE)
    assert page.status_code == 200
    assert page.wsgi_request.session["invitation_id"] == second.invitation.pk
