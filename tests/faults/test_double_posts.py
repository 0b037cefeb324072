"""The same page posted twice, at once or one after the other, stores one answer set."""

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from experiments.models import ActivityAnswer, Response, ThemeAnswer
from tests.faults.client import Respondent
from tests.faults.load import CLIENTS, member_address, stored_state


def _double_post(base_url: str, link: str, *, concurrent: bool, address: str | None = None):
    respondent = Respondent(base_url, address=address)
    action, data = respondent.first_page(link)
    first, second = respondent.post_twice(action, data, concurrent=concurrent)
    outcome = respondent.follow(first.headers.get("Location", "/"))
    return first, second, outcome


@pytest.mark.django_db(transaction=True)
def test_twenty_members_posting_a_page_twice_each_store_one_answer_set(
    live_server, invite, open_wave, settings
):
    settings.INVITATION_RATE_LIMIT = 10_000
    # given 20 members, ten who double-click at once and ten who resend the page later
    links = [invite().url.replace(settings.PUBLIC_BASE_URL, live_server.url) for _ in range(20)]

    # when each posts the first page twice and then finishes the questionnaire
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(
                lambda pair: _double_post(live_server.url, pair[1], concurrent=pair[0] % 2 == 0),
                enumerate(links),
            )
        )

    # then both posts redirect to the same place, and each member has one answer set
    for first, second, outcome in results:
        assert (first.status_code, second.status_code) == (303, 303)
        assert first.headers["Location"] == second.headers["Location"]
        assert outcome.acknowledged
    themes = open_wave.themes.count()
    assert Response.objects.filter(wave=open_wave, status="complete").count() == 20
    assert ThemeAnswer.objects.filter(response__wave=open_wave).count() == 20 * themes
    activities = sum(t.activities.count() for t in open_wave.themes.all())
    assert (
        ActivityAnswer.objects.filter(theme_answer__response__wave=open_wave).count()
        == 20 * activities
    )


@pytest.mark.slow
def test_a_thousand_double_posts_against_gunicorn_store_one_answer_set_each(healthy_stack):
    stack = healthy_stack
    count = int(os.environ.get("FAULTS_DOUBLE_POSTS", "300"))
    # given `count` members of an open wave
    seeded = stack.seed("wave", "--members", str(count), "--prefix", "D")
    links, wave_id = seeded["links"], seeded["wave_id"]

    # when half post their first page twice at once and half twice in a row, 32 at a time
    def run(index_link):
        index, link = index_link
        return _double_post(
            stack.base_url,
            f"{stack.base_url}/i/{link['token']}/",
            concurrent=index % 2 == 0,
            address=member_address(index),
        )

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(run, enumerate(links)))

    # then every pair redirected to the same place and nothing was stored twice
    mismatched = [
        (a.status_code, b.status_code)
        for a, b, _ in results
        if (a.status_code, b.status_code) != (303, 303)
        or a.headers.get("Location") != b.headers.get("Location")
    ]
    assert mismatched == []
    assert all(outcome.acknowledged for _, _, outcome in results)
    state = stored_state(stack, wave_id)
    assert len(state["complete"]) == count
    assert state["duplicates"] == 0
    assert state["half_written"] == 0
    print(f"\ndouble posts: {count} members, {len(mismatched)} mismatched pairs")  # noqa: T201
