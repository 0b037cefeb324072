"""Malformed and oversized bodies get a clear 4xx and never a 5xx (in-process, fast)."""

import pytest
from django.test import Client
from django.urls import reverse

from experiments.models import Response, ThemeAnswer
from tests.faults.bodies import BODIES, Body
from tests.respondent import QUESTIONNAIRE, open_link

PATHS = [QUESTIONNAIRE, reverse("set_language"), "/i/some-token/"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", BODIES, ids=[b.name for b in BODIES])
def test_a_malformed_or_oversized_body_gets_a_clear_refusal_and_changes_nothing(invite, body: Body):
    # given a member in the middle of the questionnaire, whose browser sends the CSRF token
    # in a header, so that every body is read as a real browser's would be
    client = Client(enforce_csrf_checks=True)
    open_link(client, invite().url)
    token = client.cookies["csrftoken"].value
    before = (Response.objects.filter(status="complete").count(), ThemeAnswer.objects.count())

    for path in PATHS:
        # when the body is posted to a respondent page or to the language switch
        response = client.generic(
            "POST", path, body.content, content_type=body.content_type, HTTP_X_CSRFTOKEN=token
        )

        # then it is refused with a 4xx that says why (or, for the switch, sent back)
        assert response.status_code < 500, (path, response.status_code)
        if body.status is not None:
            assert response.status_code == body.status, path
            assert body.says in response.content.decode()
    assert (Response.objects.filter(status="complete").count(), ThemeAnswer.objects.count()) == (
        before
    )


@pytest.mark.slow
def test_malformed_and_oversized_bodies_sent_to_gunicorn_never_get_a_5xx(healthy_stack):
    import requests

    from tests.faults.client import Respondent

    stack = healthy_stack
    # given a member in the middle of the questionnaire, sending the CSRF token in a header
    seeded = stack.seed("wave", "--members", "1", "--prefix", "B")
    respondent = Respondent(stack.base_url, address="127.0.9.9")
    respondent.first_page(f"{stack.base_url}/i/{seeded['links'][0]['token']}/")
    token = respondent.session.cookies["csrftoken"]
    seen = {}
    closed_early = []

    for body in BODIES:
        for path in PATHS:
            # when the body is posted to a respondent page or to the language switch
            try:
                response = respondent.session.post(
                    stack.base_url + path,
                    data=body.content,
                    headers={"Content-Type": body.content_type, "X-CSRFToken": token},
                    allow_redirects=False,
                    timeout=60,
                )
            except requests.ConnectionError as error:
                # The server may answer and close before a huge body is fully sent.
                seen[(body.name, path)] = f"closed early: {type(error).__name__}"
                closed_early.append((body.name, body.status))
                continue
            seen[(body.name, path)] = response.status_code
            # then it is refused with a 4xx that says why (or, for the switch, sent back)
            assert response.status_code < 500, (body.name, path, response.status_code)
            if body.status is not None:
                assert response.status_code == body.status, (body.name, path)
                assert body.says in response.text

    # Only a body too large to read may have the connection closed on it.
    assert {status for _, status in closed_early} <= {413}
    # and nothing was stored for the member
    assert stack.postgres.query(
        "SELECT count(*) FROM experiments_response WHERE wave_id = %s AND status = 'complete'",
        [seeded["wave_id"]],
    ) == [(0,)]
    print("\nbodies:", sorted(set(seen.values()), key=str))  # noqa: T201
