from django.core.management.base import BaseCommand, CommandError

from experiments.models import Wave
from experiments.policy import SystemActor
from experiments.waves import close_wave
from surveyplatform.domain import ActionRefused


class Command(BaseCommand):
    help = "Close an open wave and queue its analysis."

    def add_arguments(self, parser):
        parser.add_argument("wave_id", type=int)

    def handle(self, *args, wave_id: int, **options):
        wave = Wave.objects.filter(pk=wave_id).first()
        if wave is None:
            raise CommandError(f"There is no wave {wave_id}.")
        try:
            close_wave(SystemActor(name="manage.py close_wave"), wave)
        except ActionRefused as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Wave {wave_id} closed; its analysis is queued.")
