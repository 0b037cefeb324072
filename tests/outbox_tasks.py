"""A task for outbox tests: it counts its runs on the message and finishes it."""

from celery import shared_task
from django.db.models import F

from outbox.models import OutboxMessage
from outbox.relay import mark_done


@shared_task(name="tests.outbox_tasks.count_run", acks_late=True)
def count_run(*, outbox_id: int, label: str) -> None:
    # Idempotent in effect: a message already done is not counted again.
    if OutboxMessage.objects.filter(pk=outbox_id, status="done").exists():
        return
    OutboxMessage.objects.filter(pk=outbox_id).update(kwargs={"label": label, "ran": True})
    OutboxMessage.objects.filter(pk=outbox_id).update(sends=F("sends"))
    mark_done(outbox_id)
