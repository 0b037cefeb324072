"""The questionnaire's pages run on a short middleware stack of their own (respondent.stack)."""

import pytest
from django.conf import settings

from experiments.respondent.stack import PREFIXES, ROOT_URLCONF
from tests.respondent import QUESTIONNAIRE, open_link

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
