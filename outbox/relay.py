"""Put jobs in the outbox, relay them to Celery, and sweep up what the broker lost."""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from outbox.models import MessageStatus, OutboxMessage

logger = logging.getLogger(__name__)


def enqueue(task_name: str, **kwargs) -> OutboxMessage:
    """Record a job in the current transaction and relay it to Celery once that commits.

    The task receives `outbox_id` as well as the given keyword arguments, and must be
    idempotent: the sweeper may hand the same job over more than once.
    """
    message = OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs)
    transaction.on_commit(lambda: relay([message.pk]))
    return message


def enqueue_many(task_name: str, kwargs_list: list[dict]) -> list[OutboxMessage]:
    """Record many jobs of one task in the current transaction; relay them after commit."""
    messages = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task_name=task_name, kwargs=kwargs) for kwargs in kwargs_list],
        batch_size=2000,
    )
    ids = [message.pk for message in messages]
    transaction.on_commit(lambda: relay(ids))
    return messages


def relay(message_ids: Iterable[int]) -> int:
    """Hand the given unfinished messages to the broker; return how many it accepted.

    A broker error leaves a message pending for the sweeper, never raises to the caller:
    the change that queued it has already committed and the member must not see an error.
    """
    from surveyplatform.celery import app

    accepted = 0
    for message in OutboxMessage.objects.filter(
        pk__in=list(message_ids), status__in=[MessageStatus.PENDING, MessageStatus.SENT]
    ):
        kwargs = {**message.kwargs, "outbox_id": message.pk}
        if app.conf.task_always_eager:
            # No broker (`make run`, most tests): run the job here and now.
            if message.task_name not in app.tasks:
                app.loader.import_default_modules()  # autodiscovered task modules
            app.tasks[message.task_name].apply(kwargs=kwargs, throw=True)
            accepted += 1
            continue
        try:
            app.send_task(message.task_name, kwargs=kwargs, retry=False)
        except (BrokerError, OSError) as error:
            OutboxMessage.objects.filter(pk=message.pk).update(last_error=str(error)[:2000])
            logger.warning("Outbox message %s not relayed: %s", message.pk, error)
            # The broker is down: leave the rest pending for the sweeper rather than wait
            # on the broker once per message.
            break
        # Conditional update: a message the worker already finished stays done.
        OutboxMessage.objects.filter(
            pk=message.pk, status__in=[MessageStatus.PENDING, MessageStatus.SENT]
        ).update(status=MessageStatus.SENT, sent_at=timezone.now(), sends=message.sends + 1)
        accepted += 1
    return accepted


def sweep(*, now=None) -> int:
    """Relay again every message still pending, or sent long ago and not done.

    "Long ago" is OUTBOX_RESEND_AFTER seconds: longer than a job normally takes, so that a
    job still running is rarely sent twice (and when it is, the task's idempotency holds).
    """
    now = now or timezone.now()
    resend_after = timedelta(seconds=settings.OUTBOX_RESEND_AFTER)
    pending_after = timedelta(seconds=settings.OUTBOX_PENDING_GRACE)
    stale = OutboxMessage.objects.filter(
        Q(status=MessageStatus.PENDING, created_at__lte=now - pending_after)
        | Q(status=MessageStatus.SENT, sent_at__lte=now - resend_after)
    ).values_list("pk", flat=True)
    return relay(list(stale[: settings.OUTBOX_SWEEP_BATCH]))


def mark_done(outbox_id: int | None) -> None:
    if outbox_id is None:
        return
    OutboxMessage.objects.filter(pk=outbox_id).exclude(status=MessageStatus.DONE).update(
        status=MessageStatus.DONE, done_at=timezone.now()
    )


def mark_failed(outbox_id: int | None, error: str) -> None:
    if outbox_id is None:
        return
    OutboxMessage.objects.filter(pk=outbox_id).exclude(status=MessageStatus.DONE).update(
        status=MessageStatus.FAILED, last_error=error[:2000]
    )


def run_job(outbox_id: int | None, work, *, on_failure, transient: tuple) -> None:
    """Run a job's work and record its outcome on the outbox message.

    Transient errors propagate untouched so that the task's autoretry can act; any other
    error marks both the job's own row (through `on_failure`) and the message failed.
    """
    try:
        work()
    except transient:
        raise
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        on_failure(message)
        mark_failed(outbox_id, message)
        raise
    mark_done(outbox_id)
