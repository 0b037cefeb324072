"""The sign-in lock-out (django-axes) knows clients by the address the rate limits use.

Behind a proxy every request comes from the proxy's address: keyed on that, five wrong
passwords from an attacker lock the account for everyone behind the same proxy.
"""

import pytest
from axes.helpers import get_client_ip_address
from django.test import Client, RequestFactory
from django.urls import reverse

from experiments.models import CouncilRole
from ratelimits.limits import client_ip
from tests.factories import CouncilMembershipFactory

PASSWORD = "a-long-test-password"
PROXY = "10.0.0.1"


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("console:login"), {"username": username, "password": password})


def behind_proxy(address: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)


@pytest.mark.django_db
def test_behind_one_proxy_an_attacker_cannot_lock_another_user_out(settings):
    # given one trusted proxy, and an admin
    settings.TRUSTED_PROXY_HOPS = 1
    user = CouncilMembershipFactory(role=CouncilRole.ADMIN).user
    attacker, owner = behind_proxy("203.0.113.9"), behind_proxy("198.51.100.7")

    # when an attacker behind the proxy tries five wrong passwords for that admin
    for _ in range(5):
        sign_in(attacker, user.username, "wrong-password")

    # then the attacker's address is locked out, and the admin still signs in from theirs
    assert sign_in(attacker, user.username).status_code == 429
    assert sign_in(owner, user.username).status_code == 302
    assert owner.get("/console/").status_code == 200


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_forwarded_address_does_not_escape_the_lockout(
    settings,
):
    # given no proxy in front: X-Forwarded-For is whatever the client writes
    settings.TRUSTED_PROXY_HOPS = 0
    user = CouncilMembershipFactory(role=CouncilRole.ADMIN).user
    attacker = Client(REMOTE_ADDR="203.0.113.9")

    # when each wrong password claims another forwarded address
    for attempt in range(5):
        forged = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{attempt}"}
        attacker.post(
            reverse("console:login"),
            {"username": user.username, "password": "wrong-password"},
            **forged,
        )

    # then the lock-out still holds for the attacker's real address
    response = attacker.post(
        reverse("console:login"),
        {"username": user.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="192.0.2.99",
    )
    assert response.status_code == 429


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "", "10.0.0.1"),
        (0, "203.0.113.9", "10.0.0.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "192.0.2.1, 203.0.113.9", "203.0.113.9"),
        (2, "192.0.2.1, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.1"),
    ],
)
def test_the_lockout_and_the_rate_limits_read_the_same_address(settings, hops, forwarded, expected):
    settings.TRUSTED_PROXY_HOPS = hops
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().post("/console/login/", REMOTE_ADDR=PROXY, **headers)

    assert client_ip(request) == expected
    assert get_client_ip_address(request) == expected


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "not an address"}, PROXY),
        ({"HTTP_X_FORWARDED_FOR": "not an address"}, None),
        ({}, None),
    ],
)
def test_the_lockout_stores_only_addresses(settings, meta, expected):
    from django.http import HttpRequest

    # A forwarded value that is no address (a misconfigured proxy) falls back to the
    # socket's address; a request with none (force_login) has none.
    settings.TRUSTED_PROXY_HOPS = 1
    request = HttpRequest()
    request.META.update(meta)

    assert get_client_ip_address(request) == expected
