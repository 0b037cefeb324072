"""gunicorn's settings in production; gunicorn reads this file from the working directory.

bin/serve, the Docker image, docker-compose and the benchmark all start gunicorn from the
repository root, so they share these settings; command-line options override them.

A page of the questionnaire spends much of its time waiting for Postgres (every page
commits once), so each worker process serves several requests at a time in threads
(gunicorn's gthread worker): the waits overlap instead of idling a whole process.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = 60
