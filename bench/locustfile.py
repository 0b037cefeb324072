"""Locust users of the respondent benchmark, run headless by `bench.respondent`.

`Respondent` walks the questionnaire generically: open the personal link, then GET each
page, fill its form from the HTML (bench.formfill), POST it, follow redirects by hand
(so every HTTP request is one entry in the statistics), until a page without an answer
form. Each cycle is a different member, with a fresh cookie jar. A cycle that reached
the confirmation is appended to BENCH_ACKS_FILE, so the bench can check the database.

`Ceiling` POSTs to the ceiling view, which stores one row per request, and appends the
acknowledged row ids to the same kind of file.
"""

import os
import random
from urllib.parse import urljoin

from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

from bench.formfill import answer_form

MAX_STEPS = 40
DONE_PATH = "/survey/done/"

_tokens: list[str] = []
_acks = None


@events.init.add_listener
def _load_tokens(environment, **kwargs) -> None:
    global _acks
    path = os.environ.get("BENCH_TOKENS_FILE")
    if path:
        with open(path) as handle:
            _tokens.extend(line.strip() for line in handle if line.strip())
        _tokens.reverse()  # pop() from the end hands them out in file order
    acks_path = os.environ.get("BENCH_ACKS_FILE")
    if acks_path:
        _acks = open(acks_path, "a", buffering=1)  # noqa: SIM115 (closed at quit)


@events.quitting.add_listener
def _close_acks(environment, **kwargs) -> None:
    if _acks is not None:
        _acks.close()


def _acknowledge(value: str) -> None:
    if _acks is not None:
        _acks.write(value + "\n")


class Respondent(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.rng = random.Random()

    def _follow(self, response, url: str) -> str:
        return urljoin(url, response.headers["Location"])

    @task
    def answer_the_questionnaire(self) -> None:
        if not _tokens:
            raise StopUser()
        token = _tokens.pop()
        self.client.cookiejar.clear()
        url = f"{self.host}/i/{token}/"
        with self.client.get(
            url, name="open link", allow_redirects=False, catch_response=True
        ) as opened:
            if opened.status_code != 302:
                opened.failure(f"link answered {opened.status_code}")
                return
            opened.success()
        url = self._follow(opened, url)
        for _ in range(MAX_STEPS):
            with self.client.get(
                url, name="GET page", allow_redirects=False, catch_response=True
            ) as page:
                if page.status_code == 302:
                    page.success()
                    url = self._follow(page, url)
                    continue
                if page.status_code != 200:
                    page.failure(f"GET {url} answered {page.status_code}")
                    return
                page.success()
            answer = None if url.endswith(DONE_PATH) else answer_form(page.text, rng=self.rng)
            if answer is None:
                if url.endswith(DONE_PATH):
                    _acknowledge(token)
                else:
                    events.request.fire(
                        request_type="CYCLE",
                        name="ended without confirmation",
                        response_time=0,
                        response_length=0,
                        exception=RuntimeError(f"no form and no confirmation at {url}"),
                        context={},
                    )
                return
            action, data = answer
            post_url = urljoin(url, action) if action else url
            with self.client.post(
                post_url, data=data, name="POST page", allow_redirects=False, catch_response=True
            ) as posted:
                if posted.status_code not in (302, 303):
                    posted.failure(f"POST {post_url} answered {posted.status_code}")
                    return
                posted.success()
            url = self._follow(posted, post_url)
        events.request.fire(
            request_type="CYCLE",
            name="too many steps",
            response_time=0,
            response_length=0,
            exception=RuntimeError(f"more than {MAX_STEPS} pages"),
            context={},
        )


class Ceiling(FastHttpUser):
    wait_time = constant(0)

    @task
    def insert_one_row(self) -> None:
        with self.client.post(
            "/bench/ceiling/", data={"body": "x" * 64}, name="POST ceiling", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"ceiling answered {response.status_code}")
                return
            response.success()
            _acknowledge(response.text.strip())
