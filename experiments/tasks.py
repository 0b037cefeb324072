"""Background jobs of the experiments app: thin wrappers around domain functions."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

TRANSIENT_ERRORS = (OperationalError, InterfaceError)


@shared_task(
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    max_retries=5,
    # Throttle each worker so a large panel does not trip the mail provider's limits.
    rate_limit="20/s",
    soft_time_limit=60,
    time_limit=90,
)
def send_email(delivery_id: int, outbox_id: int | None = None) -> None:
    from experiments.emails import deliver_email
    from outbox.relay import mark_done

    deliver_email(delivery_id)
    mark_done(outbox_id)


@shared_task(
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def send_test_email(copy_id: int, outbox_id: int | None = None) -> None:
    from experiments.emails import deliver_test_email
    from outbox.relay import mark_done

    deliver_test_email(copy_id)
    mark_done(outbox_id)


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, max_retries=3)
def send_due_reminders() -> int:
    from experiments.emails import send_due_reminders as send

    return send()


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, max_retries=3)
def close_due_waves() -> list[int]:
    from experiments.waves import close_due_waves as close

    return close()
