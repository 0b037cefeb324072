"""Analysis runs: request one for a wave, and execute it (from the Celery task)."""

import logging
import time

from django.db import transaction
from django.utils import timezone

from analysis import datasets, indices
from analysis.models import AnalysisRun, RunStatus
from experiments.models import Wave

logger = logging.getLogger(__name__)


def request_analysis(wave: Wave) -> AnalysisRun:
    """Create a pending run and queue its task once the surrounding transaction commits."""
    from analysis.tasks import run_analysis

    run = AnalysisRun.objects.create(wave=wave)
    transaction.on_commit(lambda: run_analysis.delay(run.pk))
    return run


def execute_run(run_id: int) -> AnalysisRun:
    """Compute the run's results; a run that is already done is left as it is.

    A redelivered task (after a worker crash, with acks_late) finds the run still
    pending or running and simply computes it again: the results depend only on the
    stored answers, so a second computation writes the same numbers.
    """
    with transaction.atomic():
        run = AnalysisRun.objects.select_for_update().get(pk=run_id)
        if run.status == RunStatus.DONE:
            return run
        run.status = RunStatus.RUNNING
        run.started_at = timezone.now()
        run.attempts += 1
        run.save(update_fields=["status", "started_at", "attempts"])

    started = time.perf_counter()
    frame = datasets.load_case_frame(run.wave_id)
    loaded = time.perf_counter()
    cases = indices.case_summaries(frame)
    computed = time.perf_counter()

    run.results = {
        "cases": cases,
        "n_rows": len(frame),
        "timings_seconds": {
            "load": round(loaded - started, 4),
            "indices": round(computed - loaded, 4),
        },
    }
    run.input_hash = indices.frame_digest(frame)
    run.status = RunStatus.DONE
    run.finished_at = timezone.now()
    run.error = ""
    run.save(update_fields=["results", "input_hash", "status", "finished_at", "error"])
    logger.info("Analysis run %s done: %s rows", run.pk, len(frame))
    return run


def mark_failed(run_id: int, error: str) -> None:
    AnalysisRun.objects.filter(pk=run_id).exclude(status=RunStatus.DONE).update(
        status=RunStatus.FAILED, error=error[:5000], finished_at=timezone.now()
    )
