"""The console's access rule and the scoping helpers its views share.

Every view goes through `experiments.tenancy`: an object of a council the user holds no
admin role in answers 404, exactly like a missing one.
"""

import functools

from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse

from experiments.models import (
    CouncilRole,
    Wave,
)
from experiments.tenancy import councils_for, get_scoped_or_404

ADMIN = (CouncilRole.ADMIN,)


def console_view(view):
    """Require a signed-in council admin, verified by a second factor if they enrolled one."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('console:login')}?next={request.get_full_path()}")
        if _needs_second_factor(user):
            return redirect(f"{reverse('console:verify')}?next={request.get_full_path()}")
        if not councils_for(user, roles=ADMIN).exists():
            return render(request, "console/no_council.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _needs_second_factor(user) -> bool:
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True) and not user.is_verified()


def _admin_councils(request):
    return councils_for(request.user, roles=ADMIN)


def _wave(request, wave_id: int) -> Wave:
    return get_scoped_or_404(
        Wave.objects.select_related("council"), request.user, roles=ADMIN, pk=wave_id
    )
