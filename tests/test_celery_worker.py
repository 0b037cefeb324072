"""One end-to-end run through a real Celery worker and the real Redis broker."""

import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from analysis.models import AnalysisRun, RunStatus
from experiments.policy import SYSTEM
from experiments.waves import close_wave
from surveyplatform.celery import app
from tests.respondent import answer_whole_questionnaire


@pytest.fixture
def real_worker(settings):
    redis_url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    app.conf.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.CELERY_BROKER_URL = redis_url
    # A queue of this run's own, so that no stray worker or stale message interferes.
    queue = f"test-worker-{uuid.uuid4().hex}"
    app.conf.CELERY_TASK_DEFAULT_QUEUE = queue
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30
        ):
            yield
    finally:
        app.conf.CELERY_TASK_DEFAULT_QUEUE = "celery"
        app.conf.CELERY_TASK_ALWAYS_EAGER = True


@pytest.mark.django_db(transaction=True)
def test_closing_a_wave_runs_the_analysis_on_a_real_worker(client, invite, open_wave, real_worker):
    import time

    issued = invite()
    answer_whole_questionnaire(client, issued.url)

    with transaction.atomic():
        close_wave(SYSTEM, open_wave)

    deadline = time.monotonic() + 30
    run = None
    while time.monotonic() < deadline:
        run = AnalysisRun.objects.filter(wave=open_wave).first()
        if run is not None and run.status in (RunStatus.DONE, RunStatus.FAILED):
            break
        time.sleep(0.2)
    assert run is not None, "the worker made no analysis run"
    assert run.status == RunStatus.DONE, run.error
    assert run.results["cases"][0]["n"] == 1
    assert AnalysisRun.objects.count() == 1
