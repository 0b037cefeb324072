"""The staff site's access gate and the scoping helpers its views share.

Every staff page goes through `staff_view`, which applies the one staff gate of
`experiments.policy` (signed in, active, staff, second factor when enrolled or required)
and turns the domain's refusals into answers: an object of a council the user holds no role
in answers 404, exactly like a missing one; an object their role may not touch answers 403.
"""

import functools
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse

from experiments.models import Wave
from experiments.policy import Access, Right, councils_with, get_scoped, staff_access
from surveyplatform.domain import ActionRefused, InvalidState, NotAllowed, NotFound

GATE_PAGES = {
    Access.SIGN_IN: "console:login",
    Access.VERIFY: "console:verify",
    Access.ENROL: "console:two_factor",
}


def gate_redirect(request: HttpRequest, access: Access):
    """Send the user to the page that lets them through the gate, and back afterwards."""
    query = urlencode({"next": request.get_full_path()}, safe="/")
    return redirect(f"{reverse(GATE_PAGES[access])}?{query}")


def staff_view(view=None, *, right: Right | None = None, enrolling: bool = False):
    """Apply the staff gate to a view; with `right`, also need a council granting it.

    `enrolling` lets a user whom a council requires to set up a second factor reach the
    enrolment page itself.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            access = staff_access(request.user)
            # Kept for the page's navigation, which would otherwise ask the same questions again.
            request.staff_access = access
            if access == Access.ENROL and enrolling:
                access = Access.ALLOWED
            if access in GATE_PAGES:
                return gate_redirect(request, access)
            if access != Access.ALLOWED:
                return render(request, "console/not_staff.html", status=403)
            if right is not None and not councils_with(request.user, right).exists():
                return render(request, "console/no_right.html", {"right": right.value}, status=403)
            try:
                return view(request, *args, **kwargs)
            except NotFound as error:
                raise Http404 from error
            except NotAllowed as error:
                raise PermissionDenied(str(error)) from error
            except ActionRefused as refusal:
                # A refusal the view did not turn into a form error: say why, change nothing.
                status = 409 if isinstance(refusal, InvalidState) else 400
                return render(request, "console/refused.html", {"refusal": refusal}, status=status)

        return wrapper

    return decorate(view) if view is not None else decorate


# The council admin's pages: the staff gate, and a council in which they hold the admin role.
console_view = staff_view(right=Right.DESIGN)


def _admin_councils(request):
    return councils_with(request.user, Right.DESIGN)


def _wave(request, wave_id: int, right: Right = Right.DESIGN) -> Wave:
    """Return a wave of the user's councils (NotFound otherwise, which answers 404)."""
    return get_scoped(Wave.objects.select_related("council"), request.user, right, pk=wave_id)
