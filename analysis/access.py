"""Who may read which results: the results right of `experiments.policy`.

Results: superusers, and staff holding a council admin or researcher role in the wave's
council. Exports of pseudonymised data follow the export right (`exports.scope`).
"""

from experiments.models import Wave, WaveStatus
from experiments.policy import Right, can, councils_with, is_system, scoped


def _staff(user) -> bool:
    return is_system(user) or bool(
        getattr(user, "is_authenticated", False) and user.is_active and user.is_staff
    )


def can_view_results(user, wave: Wave) -> bool:
    """Return whether a staff user may read the wave's results."""
    return _staff(user) and can(user, Right.RESULTS, wave.council_id)


def visible_waves(user):
    """Return the waves, of any status, whose results a staff user may read."""
    if not _staff(user):
        return Wave.objects.none()
    return scoped(Wave.objects.select_related("council"), user, Right.RESULTS)


def analysable_waves(user):
    """Return the closed waves a user may pool into one analysis run."""
    return visible_waves(user).filter(status=WaveStatus.CLOSED)


def can_view_run(user, run) -> bool:
    """Return whether a staff user may read a run: the results of every one of its waves."""
    if not _staff(user):
        return False
    council_ids = set(run.waves.values_list("council_id", flat=True))
    if run.wave_id:
        council_ids.add(run.wave.council_id)
    if not council_ids:
        return False
    granted = set(councils_with(user, Right.RESULTS).values_list("pk", flat=True))
    return council_ids <= granted
