"""Who may read a wave's results: the one tenancy rule of `experiments.tenancy`.

Results: superusers, and staff holding a council admin or researcher role in the wave's
council. Exports of pseudonymised data (`analysis.exports`): superusers and researchers
only; a council admin reads the results but does not download member-level data.
"""

from experiments.models import CouncilRole, Wave
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
