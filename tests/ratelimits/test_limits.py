import threading

import pytest
from django.db import connection

from ratelimits.limits import hit
from ratelimits.models import RateCounter


@pytest.mark.django_db
def test_requests_over_the_limit_are_refused_within_a_window():
    results = [hit("scope", "10.0.0.1", limit=3, window_seconds=60) for _ in range(5)]

    assert results == [True, True, True, False, False]
    assert hit("scope", "10.0.0.2", limit=3, window_seconds=60) is True
    assert hit("other", "10.0.0.1", limit=3, window_seconds=60) is True


@pytest.mark.django_db
def test_addresses_are_not_stored_in_the_clear():
    hit("scope", "192.0.2.77", limit=3, window_seconds=60)

    assert "192.0.2.77" not in RateCounter.objects.get().key


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_are_each_counted_once():
    barrier = threading.Barrier(20)
    allowed: list[bool] = []

    def request_once():
        try:
            barrier.wait()
            allowed.append(hit("burst", "198.51.100.1", limit=5, window_seconds=3600))
        finally:
            connection.close()

    threads = [threading.Thread(target=request_once) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(allowed) == [False] * 15 + [True] * 5
    assert RateCounter.objects.get().count == 20


@pytest.mark.django_db
def test_guessing_invitation_tokens_is_throttled_per_address(client, settings, invite):
    settings.INVITATION_RATE_LIMIT = 10
    issued = invite()

    statuses = [client.get(f"/i/guess-{n}/").status_code for n in range(10)]
    over = client.get(f"/i/{issued.token}/")

    assert statuses == [404] * 10
    assert over.status_code == 429
    assert over["Retry-After"] == str(settings.INVITATION_RATE_WINDOW)
    assert "invitation_id" not in client.session
