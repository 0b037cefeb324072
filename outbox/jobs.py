"""One lifecycle for every job row a task fills in (exports, analysis runs).

A delivery of the task claims the job with a locked read and one UPDATE: a pending job,
or a running one whose lease has passed because its worker died (killed, out of memory,
its host gone). Each claim is numbered (`attempts`), and every later write of the
delivery is conditional on that number, so a worker that lost its claim can neither
finish nor fail the job: the job becomes done or failed exactly once. While the work
runs, a heartbeat renews the lease; another delivery of a job whose lease holds (a
sweeper resend, a redelivery after a worker restart) leaves it to its holder and leaves
its outbox message unfinished, so that the sweeper hands it over again should the holder
die.

Leases rather than session locks: a pooler in transaction mode (see README) keeps no
session state between transactions.
"""

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Generic, TypeVar

from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from outbox import relay
from outbox.models import Job, JobStatus

logger = logging.getLogger(__name__)

J = TypeVar("J", bound=Job)

# Long enough that a busy database rarely delays a renewal past it; short enough that a
# job whose worker died is taken over within a minute or two of the next sweep.
LEASE = timedelta(seconds=60)
# A job claimed this often without ending (its worker killed each time, or the database
# failing it again and again) is failed rather than retried for ever.
MAX_ATTEMPTS = 10
FINISHED = (JobStatus.DONE, JobStatus.FAILED)


class Claim(Generic[J]):
    """One delivery's hold on a job; its outcome is written only while the hold is the latest."""

    def __init__(self, job: J, *, lease: timedelta):
        self.job = job
        self.attempt = job.attempts
        self.lease = lease
        self.ended = False

    def _still_held(self):
        return type(self.job).objects.filter(
            pk=self.job.pk, status=JobStatus.RUNNING, attempts=self.attempt
        )

    def finish(self, *, before_commit: Callable[[], None] | None = None, **fields) -> bool:
        """Mark the job done with these fields; return False if the claim was lost meanwhile.

        `before_commit` runs only for the delivery that finishes the job, inside the same
        transaction (an export moves its file into place there).
        """
        now = timezone.now()
        values = {"status": JobStatus.DONE, "finished_at": now, "error": "", **fields}
        with transaction.atomic():
            if self._still_held().update(lease_expires_at=None, **values) != 1:
                self.ended = True
                return False
            if before_commit is not None:
                before_commit()
        for name, value in values.items():
            setattr(self.job, name, value)
        self.job.lease_expires_at = None
        self.ended = True
        return True

    def fail(self, error: str) -> bool:
        """Mark the job failed with the error; return False if the claim was lost meanwhile."""
        now = timezone.now()
        won = (
            self._still_held().update(
                status=JobStatus.FAILED, error=error[:5000], finished_at=now, lease_expires_at=None
            )
            == 1
        )
        if won:
            self.job.status, self.job.error, self.job.finished_at = JobStatus.FAILED, error, now
        self.ended = True
        return won

    def release(self) -> bool:
        """Give the job back as pending (a transient error): the retried task claims it again."""
        released = self._still_held().update(status=JobStatus.PENDING, lease_expires_at=None) == 1
        self.ended = True
        return released

    def renew(self) -> bool:
        """Extend the lease; return False once the job is no longer this claim's."""
        with transaction.atomic():
            # Never queue behind a long lock: the next beat tries again.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            return self._still_held().update(lease_expires_at=timezone.now() + self.lease) == 1


def claim(
    model: type[J], pk: int, *, lease: timedelta = LEASE, max_attempts: int = MAX_ATTEMPTS
) -> Claim[J] | None:
    """Claim the job for this delivery, or return None: it is finished, or held by another.

    A job claimed `max_attempts` times already is failed instead (None as well).
    """
    with transaction.atomic():
        # The row lock makes concurrent claims take turns: the second sees the first's claim.
        job = model.objects.select_for_update().get(pk=pk)
        now = timezone.now()
        if job.status in FINISHED:
            return None
        lease_holds = job.lease_expires_at is not None and job.lease_expires_at > now
        if job.status == JobStatus.RUNNING and lease_holds:
            return None
        if job.attempts >= max_attempts:
            job.status, job.finished_at = JobStatus.FAILED, now
            job.error = f"Given up after {job.attempts} attempts, none of which ended."
            job.lease_expires_at = None
            job.save(update_fields=["status", "finished_at", "error", "lease_expires_at"])
            return None
        job.status = JobStatus.RUNNING
        job.started_at = now
        job.attempts += 1
        job.lease_expires_at = now + lease
        job.save(update_fields=["status", "started_at", "attempts", "lease_expires_at"])
    return Claim(job, lease=lease)


class _Heartbeat:
    """Renew a claim's lease from a thread of its own while the work runs."""

    def __init__(self, held: Claim):
        self.held = held
        self.stopped = threading.Event()
        self.thread = threading.Thread(
            target=self._beat, name=f"lease-{held.job._meta.label}-{held.job.pk}", daemon=True
        )

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(self.held.lease.total_seconds() / 3):
                try:
                    if not self.held.renew():
                        return
                except DatabaseError as error:
                    logger.warning("Lease of %s not renewed: %s", self.held.job, error)
        finally:
            connections.close_all()  # this thread's own connection

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join(timeout=10)


def run(
    model: type[J],
    pk: int,
    work: Callable[[Claim[J]], object],
    *,
    outbox_id: int | None = None,
    transient: tuple[type[BaseException], ...] = (),
    lease: timedelta = LEASE,
) -> J:
    """Claim the job, do its work, and record the outcome once; return the job as it stands.

    `work` ends by calling `Claim.finish`. A transient error (the task's autoretry will
    deliver it again) gives the job back as pending; any other error marks it failed with
    the error. The outbox message is marked done or failed with the job, and left
    unfinished while another delivery holds the job.
    """
    try:
        held = claim(model, pk, lease=lease)
    except model.DoesNotExist:
        # Nothing to do, ever: the message must not be handed over again.
        relay.mark_failed(outbox_id, f"{model._meta.label} #{pk} does not exist.")
        raise
    if held is None:
        job = model.objects.get(pk=pk)
        if job.status == JobStatus.DONE:
            relay.mark_done(outbox_id)
        elif job.status == JobStatus.FAILED:
            relay.mark_failed(outbox_id, job.error)
        return job
    try:
        with _Heartbeat(held):
            work(held)
        if not held.ended:
            raise RuntimeError(f"The work of {held.job} ended without finishing it.")
    except transient:
        try:
            held.release()
        except DatabaseError as error:  # the lease runs out instead
            logger.warning("%s not released: %s", held.job, error)
        raise
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        if not held.ended and held.fail(message):
            relay.mark_failed(outbox_id, message)
        raise
    if held.job.status == JobStatus.DONE:
        relay.mark_done(outbox_id)
        return held.job
    # The claim was lost to another delivery, which records the outcome.
    return model.objects.get(pk=pk)
