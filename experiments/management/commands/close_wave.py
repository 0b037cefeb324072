from django.core.management.base import BaseCommand, CommandError

from experiments.models import Wave
from experiments.waves import WaveStateError, close_wave


class Command(BaseCommand):
    help = "Close an open wave and queue its analysis run."

    def add_arguments(self, parser):
        parser.add_argument("wave_id", type=int)

    def handle(self, *args, wave_id: int, **options):
        try:
            run = close_wave(wave_id)
        except Wave.DoesNotExist as error:
            raise CommandError(f"There is no wave {wave_id}.") from error
        except WaveStateError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Wave {wave_id} closed; analysis run {run.pk} queued.")
