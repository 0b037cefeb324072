"""Count the SQL queries of one respondent cycle, request by request, in-process.

The same walk as the Locust user (bench.formfill), through Django's test client with the
run's production settings; the ceiling view's single POST is the baseline.
"""

from urllib.parse import urljoin

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.formfill import answer_form
from bench.report import Row

MAX_STEPS = 40


def _counted(call) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as queries:
        answer = call()
    return answer, len(queries)


def run(*, token: str) -> list[Row]:
    client = Client(HTTP_HOST="127.0.0.1")
    counts: list[tuple[str, int]] = []
    opened, n = _counted(lambda: client.get(f"/i/{token}/"))
    counts.append(("open link", n))
    url = opened["Location"]
    for _ in range(MAX_STEPS):
        page, n = _counted(lambda url=url: client.get(url))
        counts.append((f"GET {url}", n))
        if page.status_code == 302:
            url = urljoin(url, page["Location"])
            continue
        answer = answer_form(page.content.decode())
        if answer is None:
            break
        action, body = answer
        target = urljoin(url, action) if action else url
        posted, n = _counted(lambda target=target, body=body: client.post(target, body))
        counts.append((f"POST {target}", n))
        url = urljoin(target, posted["Location"])
    _, ceiling = _counted(lambda: client.post("/bench/ceiling/", {"body": "x"}))
    total = sum(n for _, n in counts)
    worst = max(counts, key=lambda item: item[1])
    return [
        Row(
            "respondent queries",
            "SQL queries per cycle",
            total,
            "queries",
            "ceiling POST",
            ceiling,
            note=f"{len(counts)} requests; most in {worst[0]}: {worst[1]}",
        )
    ]
