"""What the staff site's navigation offers a signed-in user: only the pages their roles open.

A link the user's roles do not allow is never shown, so no page reached through the
navigation answers 403.
"""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from experiments.models import CouncilMembership
from experiments.policy import ROLE_RIGHTS, Access, Right, staff_access


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    current: bool


def rights_anywhere(user) -> frozenset[Right]:
    """Return every right the user holds in at least one council (all of them for a superuser)."""
    if user.is_superuser:
        return frozenset(Right)
    roles = CouncilMembership.objects.filter(user=user).values_list("role", flat=True).distinct()
    return frozenset().union(*(ROLE_RIGHTS.get(role, frozenset()) for role in roles))


# (label, URL name, the right it needs anywhere; None: every staff user)
PAGES: list[tuple[str | Promise, str, Right | None]] = [
    (_("Home"), "console:home", None),
    (_("Panel"), "console:panel", Right.DESIGN),
    (_("Sent e-mails"), "console:sent_emails", Right.FIELDWORK),
    (_("Results"), "analysis:results", Right.RESULTS),
    (_("Exports"), "exports:list", Right.EXPORT),
    (_("Audit log"), "console:audit", Right.AUDIT),
    (_("Account"), "console:account", None),
]


def _is_current(path: str, url: str, home: str) -> bool:
    if url == home:
        # The home page also stands for the council admin's waves and themes.
        return path == home or path.startswith((f"{home}waves/", f"{home}themes/"))
    return path.startswith(url)


def staff_navigation(request: HttpRequest) -> list[NavItem]:
    """Return the navigation of the staff site for this request's user (empty at the gate)."""
    user = request.user
    access = getattr(request, "staff_access", None) or staff_access(user)
    if access != Access.ALLOWED:
        return []
    rights = rights_anywhere(user)
    home = reverse("console:home")
    items = []
    for label, name, right in PAGES:
        if right is None or right in rights:
            url = reverse(name)
            items.append(NavItem(label, url, _is_current(request.path, url, home)))
    if user.is_superuser:
        url = reverse("admin:index")
        items.append(NavItem(_("Django admin"), url, request.path.startswith(url)))
    return items
