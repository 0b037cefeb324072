"""Re-derive a wave's allocations from its seed and log, and report any mismatch."""

from django.core.management.base import BaseCommand, CommandError

from experiments.assignment import allocation_verifiable, verify_wave_allocation
from experiments.models import Wave


class Command(BaseCommand):
    help = (
        "Re-derive every allocation of a wave (or of every wave with --all) from the seed "
        "and the allocation log; exit non-zero on any mismatch. A wave randomised elsewhere "
        "is reported as not verifiable (its groups were imported)."
    )

    def add_arguments(self, parser):
        parser.add_argument("wave_id", nargs="?", type=int, help="The wave to verify.")
        parser.add_argument(
            "--all", action="store_true", dest="all_waves", help="Verify every wave."
        )

    def handle(self, *args, wave_id=None, all_waves=False, **options):
        if all_waves == (wave_id is not None):
            raise CommandError("Give either a wave id or --all.")
        if all_waves:
            waves = Wave.objects.order_by("pk")
        else:
            waves = Wave.objects.filter(pk=wave_id)
            if not waves.exists():
                raise CommandError(f"There is no wave {wave_id}.")
        mismatches = 0
        for wave in waves:
            problems = verify_wave_allocation(wave)
            count = wave.assignments.count()
            if problems:
                mismatches += len(problems)
                self.stdout.write(f"Wave {wave.pk}: {len(problems)} mismatch(es)")
                for problem in problems:
                    self.stdout.write(f"  {problem.subject}: {problem.problem}")
            elif not allocation_verifiable(wave):
                self.stdout.write(
                    f"Wave {wave.pk}: randomised elsewhere, not verifiable "
                    f"({count} assignment(s) imported with the answers)"
                )
            else:
                self.stdout.write(f"Wave {wave.pk}: {count} assignment(s) verified, no mismatch")
        if mismatches:
            raise CommandError(f"{mismatches} mismatch(es) found.")
