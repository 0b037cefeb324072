"""One export produced end to end by a real Celery worker over the real Redis broker."""

import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker

from exports import jobs
from exports.models import ExportStatus
from surveyplatform.celery import app
from tests.analysis.test_exports import WARDS, build_closed_wave, read_csv
from tests.factories import UserFactory


@pytest.fixture
def real_worker(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    app.conf.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.CELERY_BROKER_URL = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    # A queue of this run's own, so that no stray worker or stale message interferes.
    queue = f"test-exports-{uuid.uuid4().hex}"
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
def test_a_real_worker_produces_an_export_that_reads_back(real_worker):
    # Given a closed wave and a superuser's request for its tidy CSV
    wave, *_ = build_closed_wave()
    export = jobs.request_export(
        UserFactory(is_superuser=True), wave_ids=[wave.pk], format="csv_tidy"
    )

    # When the worker picks the job up
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        export.refresh_from_db()
        if export.status in (ExportStatus.DONE, ExportStatus.FAILED):
            break
        time.sleep(0.2)

    # Then the file is in place and holds every response
    assert export.status == ExportStatus.DONE, export.error
    assert len(read_csv(jobs.export_path(export).read_bytes())) == len(WARDS)
