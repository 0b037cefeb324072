from celery import shared_task
from django.utils.dateparse import parse_datetime

from analysis.runs import TRANSIENT_ERRORS, execute_run, run_for_closed_wave


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
    soft_time_limit=600,
    time_limit=660,
)
def run_analysis(self, run_id: int, outbox_id: int | None = None) -> None:
    """Compute an analysis run; safe to run twice, retried on database hiccups."""
    execute_run(run_id, outbox_id=outbox_id)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
    soft_time_limit=600,
    time_limit=660,
)
def analyse_closed_wave(
    self, wave_id: int, requested_after: str | None = None, outbox_id: int | None = None
) -> None:
    """Compute the analysis of a wave that closed (or took new answers after closing)."""
    after = parse_datetime(requested_after) if requested_after else None
    run = run_for_closed_wave(wave_id, requested_after=after)
    execute_run(run.pk, outbox_id=outbox_id)
