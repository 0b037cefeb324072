"""Who may read a wave's results: the one tenancy rule of `experiments.tenancy`.

Results: superusers, and staff holding a council admin or researcher role in the wave's
council. Exports of pseudonymised data (`analysis.exports`): superusers and researchers
only; a council admin reads the results but does not download member-level data.
"""

from experiments.models import CouncilRole, Wave, WaveStatus
from experiments.tenancy import ALL_ROLES, councils_for

RESULTS_ROLES = ALL_ROLES
EXPORT_ROLES = (CouncilRole.RESEARCHER,)


def can_view_results(user, wave: Wave) -> bool:
    """Return whether a staff user may read the wave's results."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    return councils_for(user, roles=RESULTS_ROLES).filter(pk=wave.council_id).exists()


def visible_waves(user):
    """Return the waves, of any status, whose results a staff user may read."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return Wave.objects.none()
    waves = Wave.objects.select_related("council")
    if user.is_superuser:
        return waves
    return waves.filter(council__in=councils_for(user, roles=RESULTS_ROLES))


def analysable_waves(user):
    """Return the closed waves a user may pool into one analysis run."""
    return visible_waves(user).filter(status=WaveStatus.CLOSED)


def can_view_run(user, run) -> bool:
    """Return whether a staff user may read a run: the results of every one of its waves."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    council_ids = set(run.waves.values_list("council_id", flat=True))
    if run.wave_id:
        council_ids.add(run.wave.council_id)
    if not council_ids:
        return False
    if user.is_superuser:
        return True
    granted = set(councils_for(user, roles=RESULTS_ROLES).values_list("pk", flat=True))
    return council_ids <= granted
