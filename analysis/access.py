"""Who may read a wave's results.

Kept to one small function so that it can be swapped for the shared tenancy helpers
(`experiments.tenancy`) once they exist.
"""

from experiments.models import CouncilMembership, Wave


def can_view_results(user, wave: Wave) -> bool:
    """Return whether a staff user may read the wave's results: superusers, and holders of
    a role (admin or researcher) in the wave's council."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    return CouncilMembership.objects.filter(user=user, council_id=wave.council_id).exists()
