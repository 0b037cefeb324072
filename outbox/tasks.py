from celery import shared_task

from outbox.relay import sweep


@shared_task(acks_late=True, ignore_result=True)
def sweep_outbox() -> int:
    """Relay unfinished outbox messages again (run by Celery beat)."""
    return sweep()
