"""Keep the benchmark harness working as the pages change: its form filler against the real
questionnaire, its report, and the ceiling view that must stay out of production routes."""

import os
import random
import subprocess
import sys
from urllib.parse import urljoin

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from bench import (
    analysis,
    cpu,
    data,
    exports,
    loadgen,
    openings,
    panel_import,
    respondent,
    services,
)
from bench.analysis_probe import synthetic_frame
from bench.formfill import answer_form, parse_forms
from bench.report import Row, render
from experiments.models import Response, ResponseStatus, ThemeAnswer

FORM = """
<form class="language-switch" action="/i18n/setlang/" method="post">
  <input type="hidden" name="csrfmiddlewaretoken" value="t0k">
  <select name="language">
    <option value="en">English</option><option value="cy">Cymraeg</option>
  </select>
</form>
<form method="post" novalidate>
  <input type="hidden" name="csrfmiddlewaretoken" value="t0k">
  <input type="hidden" name="page" value="3">
  <input type="radio" name="collective_1" value="1">
  <input type="radio" name="collective_1" value="2">
  <select name="ethnic_group">
    <option value="">Choose</option><option value="white">W</option>
  </select>
  <input type="text" name="birth_year">
  <input type="checkbox" name="consent" value="yes">
  <input type="radio" name="gone" value="x" disabled>
  <button type="submit" name="action" value="continue">Continue</button>
</form>
"""


def test_the_form_filler_answers_every_field_with_a_valid_value():
    # given a page with a language switch and an answer form
    # when the filler answers it
    action, body = answer_form(FORM, rng=random.Random(4))

    # then it skips the language switch and gives one valid value per field
    assert action is None
    assert set(body) == {
        "csrfmiddlewaretoken",
        "page",
        "collective_1",
        "ethnic_group",
        "birth_year",
        "consent",
        "action",
    }
    assert body["csrfmiddlewaretoken"] == "t0k"
    assert body["page"] == "3"
    assert body["collective_1"] in {"1", "2"}
    assert body["ethnic_group"] == "white"
    assert 1940 <= int(body["birth_year"]) <= 2005
    assert body["consent"] == "yes"
    assert body["action"] == "continue"
    assert len(parse_forms(FORM)) == 2


def test_a_page_without_an_answer_form_ends_the_cycle():
    assert answer_form("<p>Thank you</p>" + FORM.split("<form method")[0]) is None


@pytest.mark.django_db
def test_the_form_filler_completes_the_rendered_questionnaire(invite, open_wave):
    # given a member who opened their link
    client = Client()
    issued = invite()
    url = client.get(f"/i/{issued.token}/")["Location"]

    # when the harness walks the pages as its Locust user does
    for _ in range(20):
        page = client.get(url)
        if page.status_code == 302:
            url = urljoin(url, page["Location"])
            continue
        assert page.status_code == 200
        answer = answer_form(page.content.decode(), rng=random.Random(1))
        if answer is None:
            break
        action, body = answer
        posted = client.post(urljoin(url, action) if action else url, body)
        assert posted.status_code == 303, posted.content.decode()[:500]
        url = urljoin(url, posted["Location"])

    # then it reached the confirmation and every theme's answers were stored
    assert url == reverse("experiments:done")
    response = Response.objects.get(wave=open_wave, member=issued.invitation.member)
    assert response.status == ResponseStatus.COMPLETE
    assert ThemeAnswer.objects.filter(response=response).count() == open_wave.themes.count()
    assert respondent.count_stored_submissions(open_wave, [issued.token]) == 1


def test_the_ceiling_view_is_not_routed_without_its_flag():
    with pytest.raises(NoReverseMatch):
        reverse("bench-ceiling")


def test_the_report_prints_each_ratio_against_its_baseline():
    table = render(
        [
            Row("respondent @32", "requests/s", 30.0, "req/s", "ceiling @32", 60.0),
            Row("panel import", "dry run", None, note="not available yet"),
        ]
    )

    assert "0.50×" in table
    assert "not available yet" in table


def test_the_synthetic_frame_has_the_loader_columns_and_ten_cases():
    from analysis.datasets import CASE_COLUMNS

    frame = synthetic_frame(1000)

    assert list(frame.columns) == CASE_COLUMNS
    assert frame["theme_id"].nunique() == 10


def test_the_form_filler_always_consents():
    # given a start page whose consent is a yes/no radio group
    page = (
        '<form method="post"><input type="radio" name="consent" value="yes">'
        '<input type="radio" name="consent" value="no"></form>'
    )

    # when it is answered with any seed, then the member takes part
    assert {answer_form(page, rng=random.Random(seed))[1]["consent"] for seed in range(20)} == {
        "yes"
    }


def test_the_bench_modules_and_the_locust_users_load():
    # The Locust file is checked in a subprocess: importing Locust patches the standard
    # library with gevent, which must not happen inside the test process.
    assert all(m is not None for m in (analysis, data, exports, openings, panel_import, services))
    listed = subprocess.run(
        [sys.executable, "-m", "locust", "-f", "bench/locustfile.py", "--list"],
        cwd=services.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Respondent" in listed.stdout
    assert "Ceiling" in listed.stdout


def test_gunicorn_runs_threaded_workers_unless_told_otherwise(monkeypatch):
    # The settings every start path shares (bin/serve, Docker, the bench) come from one file.
    source = (services.ROOT / "gunicorn.conf.py").read_text()

    def settings(**env) -> dict:
        for name in ("WEB_CONCURRENCY", "WEB_THREADS"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        namespace: dict = {}
        exec(compile(source, "gunicorn.conf.py", "exec"), namespace)
        return {k: namespace[k] for k in ("workers", "threads", "worker_class", "timeout")}

    assert settings() == {"workers": 3, "threads": 4, "worker_class": "gthread", "timeout": 60}
    assert settings(WEB_THREADS="1", WEB_CONCURRENCY="5")["worker_class"] == "sync"
    assert settings(WEB_CONCURRENCY="5")["workers"] == 5


@pytest.mark.django_db
def test_the_generators_cycle_made_from_the_instrument_completes_the_questionnaire(
    invite, open_wave
):
    # given the load generator's requests for one member, made from the wave's instrument
    open_wave.questions_per_page = 4  # each theme over several pages
    open_wave.save(update_fields=["questions_per_page"])
    issued = invite(ward="Central")
    plan = {"tokens": [issued.token], "cycle": respondent.instrument_cycle(open_wave)}
    (member,) = loadgen.members_of(plan)
    client = Client(enforce_csrf_checks=True)

    # when each is sent as the generator sends it, with the CSRF token of the cookie
    for step in member.steps:
        if step.method == "POST":
            token = client.cookies["csrftoken"].value
            answer = client.post(
                step.path,
                f"{step.body}&csrfmiddlewaretoken={token}",
                content_type="application/x-www-form-urlencoded",
            )
        else:
            answer = client.get(step.path)

        # then every answer is the one the generator expects
        assert answer.status_code == step.status, (step, answer.content.decode()[:1500])
        if step.location is not None:
            assert answer["Location"] == step.location
        assert step.holds in answer.content

    # and the member's answers are all stored
    assert [step.kind for step in member.steps].count("theme POST") > open_wave.themes.count()
    assert respondent.count_stored_submissions(open_wave, [issued.token]) == 1


def test_the_cpu_of_a_process_is_read_from_proc():
    # given this process, which spends some CPU
    before = cpu.process_cpu(os.getpid())
    sum(i * i for i in range(3_000_000))

    # then /proc says so, and a process that is gone reads as None
    assert cpu.process_cpu(os.getpid()) > before
    assert cpu.process_cpu(2**22 + 1) is None
