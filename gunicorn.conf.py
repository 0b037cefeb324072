"""gunicorn's settings in production; gunicorn reads this file from the working directory.

bin/serve, the Docker image, docker-compose and the benchmark all start gunicorn from the
repository root, so they share these settings; command-line options override them.

A page of the questionnaire spends much of its time waiting for Postgres (every page
commits once), so each worker process serves several requests at a time in threads
(gunicorn's gthread worker): the waits overlap instead of idling a whole process.

Logs: the access log and gunicorn's own messages go to stderr as JSON lines, with link
tokens and e-mail addresses redacted (surveyplatform/logs.py). Metrics: each worker
process keeps its request timings in PROMETHEUS_MULTIPROC_DIR, emptied when gunicorn
starts, so that /metrics adds up all the workers of this host.
"""

import os
import shutil
import tempfile
from pathlib import Path

workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = 60

logger_class = "surveyplatform.logs.GunicornLogger"
accesslog = os.environ.get("ACCESS_LOG", "-") or None
errorlog = "-"

# Set before any worker imports prometheus_client (the workers inherit the environment).
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="surveyplatform-metrics-")
)


def on_starting(server):
    """Start each run with no samples left by an earlier one."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
