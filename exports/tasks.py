"""The Celery task that produces an export."""

from celery import shared_task

from exports.jobs import TRANSIENT_ERRORS, execute_export


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
    soft_time_limit=1800,
    time_limit=1900,
)
def produce_export(self, export_id: int, outbox_id: int | None = None) -> None:
    """Produce an export's file; safe to run twice, retried on database hiccups."""
    execute_export(export_id, outbox_id=outbox_id)
