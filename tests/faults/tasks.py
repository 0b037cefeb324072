"""A job for the fault tests: it takes a while, and records each start and each completion.

It runs only on the workers the fault fixtures start, against their own throwaway
Postgres, where the fixtures create the two plain tables it writes to.
"""

import os
import time

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection, transaction

from outbox.models import MessageStatus, OutboxMessage
from outbox.relay import mark_done


def _log(outbox_id: int, event: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO faults_run_log (outbox_id, event, pid) VALUES (%s, %s, %s)",
            [outbox_id, event, os.getpid()],
        )


@shared_task(
    name="tests.faults.tasks.slow_job",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    max_retries=10,
)
def slow_job(*, outbox_id: int, label: str, seconds: float = 0.0) -> None:
    """Sleep, then record the completion once: a job already done records nothing."""
    _log(outbox_id, "started")
    time.sleep(seconds)
    with transaction.atomic():
        # The row lock makes two deliveries of the same job finish one after the other,
        # and the second one sees the first one's "done".
        message = OutboxMessage.objects.select_for_update().filter(pk=outbox_id).first()
        if message is None or message.status == MessageStatus.DONE:
            _log(outbox_id, "skipped")
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO faults_completion (outbox_id, label, pid) VALUES (%s, %s, %s)",
                [outbox_id, label, os.getpid()],
            )
        _log(outbox_id, "finished")
        mark_done(outbox_id)
