"""Guessing invitation tokens finds nothing, and the guesser is throttled."""

import os
import secrets
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests
import time_machine

from ratelimits.models import RateCounter


@pytest.mark.django_db
def test_three_hundred_random_tokens_find_nothing_and_all_but_thirty_get_429(client, invite):
    invite()  # a real invitation exists, so there is something to find
    # given one minute of the clock, and the default limit of 30 link openings a minute
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC), tick=False):
        # when one client tries 300 random tokens
        responses = [client.get(f"/i/{secrets.token_urlsafe(32)}/") for _ in range(300)]

    # then none is valid, 30 answer "not valid" and the other 270 "too many requests"
    assert Counter(r.status_code for r in responses) == {404: 30, 429: 270}
    assert {r["Retry-After"] for r in responses if r.status_code == 429} == {"60"}
    assert all("sessionid" not in r.cookies for r in responses)
    assert RateCounter.objects.get().count == 300


@pytest.mark.slow
def test_five_thousand_random_tokens_against_gunicorn_find_nothing(healthy_stack):
    stack = healthy_stack
    count = int(os.environ.get("FAULTS_GUESSED_TOKENS", "5000"))
    session = requests.Session()  # one client, one address

    def guess(_):
        response = session.get(
            f"{stack.base_url}/i/{secrets.token_urlsafe(32)}/", allow_redirects=False, timeout=30
        )
        return response.status_code, response.headers.get("Retry-After")

    # when one client tries `count` random tokens, 8 requests at a time
    started = datetime.now(tz=UTC)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(guess, range(count)))
    minutes = int((datetime.now(tz=UTC).timestamp()) // 60 - started.timestamp() // 60) + 1

    # then no token was valid, and all beyond 30 a minute got 429 with Retry-After
    statuses = Counter(status for status, _ in results)
    assert set(statuses) <= {404, 429}
    assert statuses[404] <= 30 * minutes
    assert statuses[429] >= count - 30 * minutes
    assert {retry for status, retry in results if status == 429} == {"60"}
    print(  # noqa: T201
        f"\ntoken guessing: {count} tokens over {minutes} rate window(s): "
        f"{statuses[404]} answered not valid, {statuses[429]} answered 429, 0 valid"
    )
