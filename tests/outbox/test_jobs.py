"""The one job lifecycle of exports and analysis runs, against the real Postgres.

The concurrent cases run each worker in a thread of its own, on its own connection.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import OperationalError, connection, connections
from django.utils import timezone

from analysis.models import AnalysisRun
from exports.models import Export
from outbox import jobs
from outbox.models import JobStatus, MessageStatus, OutboxMessage

pytestmark = pytest.mark.django_db
# The workers of the concurrent cases read each other's commits.
concurrent = pytest.mark.django_db(transaction=True)


def _job() -> AnalysisRun:
    return AnalysisRun.objects.create(wave_key="")


def _finish(held: jobs.Claim) -> None:
    held.finish(input_hash="f" * 64)


def _in_threads(*targets):
    """Run each target in a thread with its own connection; re-raise the first error."""
    errors = []

    def wrapped(target):
        try:
            target()
        except BaseException as error:  # the test's thread reports it
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrapped, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]


@concurrent
@pytest.mark.parametrize("model", [AnalysisRun, Export])
def test_two_workers_delivered_the_same_job_at_once_run_it_once(model):
    # given a pending job delivered to two workers at the same moment
    if model is Export:
        job = Export.objects.create(format="csv_tidy", wave_ids=[], council_ids=[], input_hash="0")
        result = {"file_path": "exports/1-0.csv"}
    else:
        job, result = _job(), {"input_hash": "f" * 64}
    start = threading.Barrier(2)
    ran, returned = [], []

    def work(held):
        ran.append(held.attempt)
        time.sleep(0.5)  # long enough for the other worker to try its claim meanwhile
        held.finish(**result)

    def worker():
        start.wait()
        returned.append(jobs.run(model, job.pk, work).status)

    # when both run it
    _in_threads(worker, worker)

    # then one claimed it and did the work; the other left it to that one
    assert ran == [1]
    assert sorted(returned) == [JobStatus.DONE, JobStatus.RUNNING]
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_expires_at) == (JobStatus.DONE, 1, None)


def test_a_job_is_marked_done_once_and_can_then_be_neither_failed_nor_finished_again():
    job = _job()
    held = jobs.claim(AnalysisRun, job.pk)

    assert held.finish(input_hash="a" * 64) is True
    finished_at = AnalysisRun.objects.get(pk=job.pk).finished_at

    assert held.finish(input_hash="b" * 64) is False
    assert held.fail("too late") is False
    assert jobs.claim(AnalysisRun, job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.input_hash, job.finished_at, job.error, job.attempts) == (
        JobStatus.DONE,
        "a" * 64,
        finished_at,
        "",
        1,
    )


def test_a_failure_is_recorded_once_with_its_error_on_the_job_and_its_outbox_message():
    # given a job whose work raises
    job = _job()
    message = OutboxMessage.objects.create(task_name="analysis.tasks.run_analysis")

    def work(held):
        raise ValueError("the plan names no such column")

    # when it runs
    with pytest.raises(ValueError, match="no such column"):
        jobs.run(AnalysisRun, job.pk, work, outbox_id=message.pk)

    # then the job and the message are failed with the error
    job.refresh_from_db()
    message.refresh_from_db()
    error = "ValueError: the plan names no such column"
    assert (job.status, job.error, job.attempts) == (JobStatus.FAILED, error, 1)
    assert job.finished_at is not None
    assert (message.status, message.last_error) == (MessageStatus.FAILED, error)

    # and a later delivery leaves it failed without running the work again
    again = jobs.run(AnalysisRun, job.pk, _must_not_run, outbox_id=message.pk)
    assert (again.status, again.error, again.attempts) == (JobStatus.FAILED, error, 1)


def _must_not_run(held):
    raise AssertionError("the work ran again")


def test_a_stale_claim_is_taken_over_and_its_late_worker_can_no_longer_write():
    # given a job claimed by a worker that stopped renewing its lease (it died, or hangs)
    job = _job()
    first = jobs.claim(AnalysisRun, job.pk, lease=timedelta(seconds=60))
    assert jobs.claim(AnalysisRun, job.pk) is None  # held while the lease runs
    AnalysisRun.objects.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    # when the next delivery runs it
    done = jobs.run(AnalysisRun, job.pk, _finish)

    # then it took the job over and finished it, and the first worker's writes are refused
    assert (done.status, done.attempts, done.input_hash) == (JobStatus.DONE, 2, "f" * 64)
    assert first.finish(input_hash="0" * 64) is False
    assert first.fail("late") is False
    assert first.release() is False
    job.refresh_from_db()
    assert (job.status, job.attempts, job.input_hash, job.error) == (
        JobStatus.DONE,
        2,
        "f" * 64,
        "",
    )


# A worker process that claims the job and works on it until it is killed.
WORKER = """
import sys, time
from datetime import timedelta
import django
django.setup()
from analysis.models import AnalysisRun
from outbox import jobs
jobs.run(AnalysisRun, int(sys.argv[1]), lambda held: time.sleep(600), lease=timedelta(seconds=1))
"""


def _wait_for(condition, *, timeout: float):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@concurrent
def test_a_job_whose_worker_process_is_killed_is_taken_over_once_its_lease_runs_out():
    # given a job being worked on by a worker process of its own
    job = _job()
    database = connection.settings_dict
    login = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "surveyplatform.settings",
        "DATABASE_URL": f"postgres://{login}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(job.pk)], cwd=settings.BASE_DIR, env=env
    )
    try:
        _wait_for(lambda: AnalysisRun.objects.get(pk=job.pk).status == "running", timeout=120)
        time.sleep(1.5)  # past the first lease: the heartbeat has renewed it
        assert jobs.claim(AnalysisRun, job.pk, lease=timedelta(seconds=1)) is None

        # when the worker is killed with SIGKILL
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait(timeout=30)
    killed_at = time.monotonic()

    # then the next delivery after the lease takes the job over and finishes it
    def taken_over() -> bool:
        return jobs.run(AnalysisRun, job.pk, _finish).status == JobStatus.DONE

    _wait_for(taken_over, timeout=10)
    waited = time.monotonic() - killed_at
    job.refresh_from_db()
    assert (job.status, job.attempts, job.input_hash) == (JobStatus.DONE, 2, "f" * 64)
    assert waited < 5


def test_a_job_left_running_without_a_lease_is_taken_over():
    job = AnalysisRun.objects.create(wave_key="", status=JobStatus.RUNNING, attempts=1)

    done = jobs.run(AnalysisRun, job.pk, _finish)

    assert (done.status, done.attempts) == (JobStatus.DONE, 2)


@concurrent
def test_a_live_worker_keeps_its_claim_past_the_lease_by_renewing_it():
    # given a job whose work takes longer than its lease
    job = _job()
    lease = timedelta(seconds=0.6)
    claimed = threading.Event()
    others = []

    def long_work(held):
        claimed.set()
        time.sleep(1.5)
        held.finish()

    def holder():
        jobs.run(AnalysisRun, job.pk, long_work, lease=lease)

    def another_delivery():
        # when another delivery comes after the first lease would have run out
        claimed.wait(timeout=10)
        time.sleep(1.0)
        others.append(jobs.claim(AnalysisRun, job.pk, lease=lease))

    _in_threads(holder, another_delivery)

    # then the heartbeat had renewed the claim: the other found it held
    assert others == [None]
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)


def test_a_transient_error_gives_the_job_back_for_the_retry():
    # given a job whose first delivery meets a database hiccup
    job = _job()
    message = OutboxMessage.objects.create(task_name="analysis.tasks.run_analysis")

    def hiccup(held):
        raise OperationalError("server closed the connection unexpectedly")

    with pytest.raises(OperationalError):
        jobs.run(AnalysisRun, job.pk, hiccup, outbox_id=message.pk, transient=(OperationalError,))

    # then the job is pending again and its message unfinished, so the retry claims it
    job.refresh_from_db()
    message.refresh_from_db()
    assert (job.status, job.attempts, job.error) == (JobStatus.PENDING, 1, "")
    assert message.status == MessageStatus.PENDING
    done = jobs.run(AnalysisRun, job.pk, _finish, outbox_id=message.pk)
    message.refresh_from_db()
    assert (done.status, done.attempts, message.status) == (JobStatus.DONE, 2, MessageStatus.DONE)


def test_a_delivery_that_finds_the_job_held_leaves_its_outbox_message_unfinished():
    job = _job()
    message = OutboxMessage.objects.create(
        task_name="analysis.tasks.run_analysis", status=MessageStatus.SENT
    )
    jobs.claim(AnalysisRun, job.pk)

    held = jobs.run(AnalysisRun, job.pk, _must_not_run, outbox_id=message.pk)

    message.refresh_from_db()
    assert (held.status, message.status) == (JobStatus.RUNNING, MessageStatus.SENT)


def test_a_job_whose_worker_dies_every_time_is_given_up():
    job = AnalysisRun.objects.create(
        wave_key="",
        status=JobStatus.RUNNING,
        attempts=jobs.MAX_ATTEMPTS,
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )

    failed = jobs.run(AnalysisRun, job.pk, _must_not_run)

    assert (failed.status, failed.attempts) == (JobStatus.FAILED, jobs.MAX_ATTEMPTS)
    assert failed.error == f"Given up after {jobs.MAX_ATTEMPTS} attempts, none of which ended."


def test_work_that_returns_without_finishing_fails_the_job():
    job = _job()

    with pytest.raises(RuntimeError, match="ended without finishing it"):
        jobs.run(AnalysisRun, job.pk, lambda held: None)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "ended without finishing it" in job.error


def test_a_job_that_no_longer_exists_fails_its_outbox_message_so_it_is_not_sent_again():
    message = OutboxMessage.objects.create(
        task_name="analysis.tasks.run_analysis", status=MessageStatus.SENT
    )

    with pytest.raises(AnalysisRun.DoesNotExist):
        jobs.run(AnalysisRun, 987654321, _must_not_run, outbox_id=message.pk)

    message.refresh_from_db()
    assert (message.status, message.last_error) == (
        MessageStatus.FAILED,
        "analysis.AnalysisRun #987654321 does not exist.",
    )
