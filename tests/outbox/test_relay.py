import os
import signal
import threading
import time
import uuid
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction
from django.utils import timezone

import tests.outbox_tasks  # noqa: F401  (registers the test task)
from outbox.models import MessageStatus, OutboxMessage
from outbox.relay import enqueue, sweep
from surveyplatform.celery import app

pytestmark = pytest.mark.django_db(transaction=True)
TASK = "tests.outbox_tasks.count_run"


@pytest.fixture
def broker(settings):
    """Point Celery at the real Redis, on a queue of this test's own; no worker yet."""
    app.conf.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.CELERY_BROKER_URL = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    queue = f"test-outbox-{uuid.uuid4().hex}"
    app.conf.CELERY_TASK_DEFAULT_QUEUE = queue
    _use_new_connections()
    yield queue
    app.conf.CELERY_TASK_DEFAULT_QUEUE = "celery"
    _use_new_connections()


def _use_new_connections() -> None:
    # Forget pooled broker connections so that a changed broker URL takes effect.
    app._after_fork()


def _drain(queue: str, expected: int) -> None:
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue]):
        deadline = timezone.now() + timedelta(seconds=20)
        while timezone.now() < deadline:
            if OutboxMessage.objects.filter(status=MessageStatus.DONE).count() >= expected:
                return
            import time

            time.sleep(0.1)


def test_a_job_is_relayed_only_after_its_transaction_commits(broker):
    with transaction.atomic():
        message = enqueue(TASK, label="after-commit")
        assert OutboxMessage.objects.get(pk=message.pk).status == MessageStatus.PENDING

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    _drain(broker, 1)
    message.refresh_from_db()
    assert message.status == MessageStatus.DONE
    assert message.kwargs == {"label": "after-commit", "ran": True}


def test_a_rolled_back_transaction_leaves_no_job(broker):
    def change_that_fails():
        with transaction.atomic():
            enqueue(TASK, label="rolled-back")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert not OutboxMessage.objects.exists()


def test_a_job_queued_while_the_broker_is_down_is_kept_and_swept_later(broker):
    # given the broker is unreachable when the change commits
    app.conf.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    _use_new_connections()
    with transaction.atomic():
        message = enqueue(TASK, label="outage")
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    assert message.last_error

    # when the broker is back and the sweeper runs
    app.conf.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    _use_new_connections()
    relayed = sweep(now=timezone.now() + timedelta(seconds=60))

    # then the job runs exactly once
    assert relayed == 1
    _drain(broker, 1)
    message.refresh_from_db()
    assert message.status == MessageStatus.DONE


def test_a_job_lost_by_the_broker_is_sent_again_and_runs_once(broker):
    import redis

    # given a job accepted by the broker and then lost (the queue is flushed)
    with transaction.atomic():
        message = enqueue(TASK, label="flushed")
    redis.Redis.from_url(app.conf.CELERY_BROKER_URL).delete(broker)

    # a sweep before the resend delay leaves it alone; after it, sends it again
    assert sweep(now=timezone.now()) == 0
    assert sweep(now=timezone.now() + timedelta(hours=1)) == 1
    _drain(broker, 1)

    message.refresh_from_db()
    assert message.status == MessageStatus.DONE
    assert message.sends == 2
    assert sweep(now=timezone.now() + timedelta(hours=2)) == 0


def test_invitation_emails_queued_while_the_broker_is_down_wait_in_the_outbox(broker):
    from experiments.emails import queue_invitations
    from outbox.models import OutboxMessage
    from tests.factories import MemberContactFactory, PanelMemberFactory, WaveFactory

    # given an open wave of a council with three members
    wave = WaveFactory()
    for _ in range(3):
        MemberContactFactory(member=PanelMemberFactory(council=wave.council))

    # when invitations are queued while the broker is unreachable
    app.conf.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    _use_new_connections()
    queued = queue_invitations(wave)

    # then one outbox job per e-mail waits for the sweeper, none lost
    assert queued == 3
    jobs = OutboxMessage.objects.filter(task_name="experiments.tasks.send_email")
    assert jobs.count() == 3
    assert set(jobs.values_list("status", flat=True)) == {MessageStatus.PENDING}


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own, which the test may pause; never the shared one."""
    from tests.faults.processes import RedisServer

    server = RedisServer(tmp_path)
    server.start()
    yield server
    os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


def test_a_job_queued_while_redis_hangs_is_kept_and_the_request_goes_on(broker, own_redis):
    # given a broker connection in the pool, to a Redis that then stops answering (SIGSTOP:
    # it still accepts connections, and never replies)
    app.conf.CELERY_BROKER_URL = own_redis.url
    _use_new_connections()
    with transaction.atomic():
        enqueue(TASK, label="before the hang")
    os.kill(own_redis.process.pid, signal.SIGSTOP)

    # when a change that queues a job commits, in a thread the test can wait for
    outcome = {}

    def commit():
        started = time.monotonic()
        with transaction.atomic():
            outcome["message"] = enqueue(TASK, label="during the hang")
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=commit, daemon=True)
    thread.start()
    thread.join(timeout=15)
    hung = thread.is_alive()
    os.kill(own_redis.process.pid, signal.SIGCONT)
    thread.join(timeout=120)

    # then the commit returned after the broker's short timeout, leaving the job pending
    assert not hung, "relaying after commit waited on the hung broker"
    assert outcome["seconds"] < 2 * (
        app.conf.broker_transport_options["socket_timeout"]
        + app.conf.broker_transport_options["socket_connect_timeout"]
    )
    message = outcome["message"]
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    assert "Timeout" in message.last_error or "timed out" in message.last_error

    # and once Redis answers again, the sweeper hands it over
    assert sweep(now=timezone.now() + timedelta(seconds=60)) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_broker_commands_time_out_quickly():
    options = app.conf.broker_transport_options
    assert 0 < options["socket_timeout"] <= 1
    assert 0 < options["socket_connect_timeout"] <= 1


def test_debrief_emails_sent_while_the_broker_is_down_wait_in_the_outbox(broker, open_wave):
    from experiments.debriefs import approve_debrief, send_debrief
    from experiments.models import Debrief, Response, ResponseStatus
    from experiments.policy import SYSTEM
    from experiments.waves import close_wave
    from tests.factories import MemberContactFactory, UserFactory

    # given a closed wave, answered by two members, whose debrief is approved
    for _ in range(2):
        contact = MemberContactFactory(member__council=open_wave.council)
        Response.objects.create(
            wave=open_wave,
            member=contact.member,
            status=ResponseStatus.COMPLETE,
            submitted_at=timezone.now(),
        )
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    close_wave(SYSTEM, open_wave)
    app.conf.CELERY_TASK_ALWAYS_EAGER = False
    debrief = Debrief.objects.get(wave=open_wave)
    approve_debrief(UserFactory(is_superuser=True), debrief)

    # when it is sent while the broker is unreachable
    app.conf.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    _use_new_connections()
    sent = send_debrief(SYSTEM, debrief)

    # then each e-mail waits in the outbox for the sweeper
    assert sent == 2
    jobs = OutboxMessage.objects.filter(task_name="experiments.tasks.send_email")
    assert set(jobs.values_list("status", flat=True)) == {MessageStatus.PENDING}
    assert jobs.count() == 2
