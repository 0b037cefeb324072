import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections

from outbox.relay import sweep


class Command(BaseCommand):
    help = "Relay unfinished outbox jobs to Celery again; --loop keeps doing so."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=float, default=10.0)

    def handle(self, *args, loop: bool, interval: float, **options):
        while True:
            try:
                relayed = sweep()
            except DatabaseError as error:
                if not loop:
                    raise
                # The database is restarting or unreachable: keep looping, reconnect next time.
                self.stderr.write(f"Outbox sweep skipped, database unavailable: {error}")
                connections.close_all()
                relayed = 0
            if relayed:
                self.stdout.write(f"Relayed {relayed} outbox messages.")
            if not loop:
                return
            time.sleep(interval)
