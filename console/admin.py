"""Django's admin is for platform superusers only; council staff use the console.

Restricting the whole admin site (rather than scoping every ModelAdmin) keeps one
tenancy rule in one place: staff of a council never reach an unscoped changelist. The
site applies the same staff gate as every staff page, and signs in through the console's
sign-in page, so the second factor cannot be skipped here either.
"""

from urllib.parse import urlencode

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse

from experiments.policy import Access, staff_access

GATE_PAGES = {
    Access.SIGN_IN: "console:login",
    Access.VERIFY: "console:verify",
    Access.ENROL: "console:two_factor",
}


def superusers_only(request) -> bool:
    user = request.user
    return bool(user.is_active and user.is_superuser) and staff_access(user) == Access.ALLOWED


def sign_in_through_the_console(request, extra_context=None):
    """Send the admin's sign-in to the page that applies the whole staff gate."""
    next_url = request.GET.get("next") or reverse("admin:index")
    access = staff_access(request.user)
    page = GATE_PAGES.get(access, "console:login")
    if access == Access.ALLOWED:
        # Signed in, through the gate, but not a superuser: the console is their place.
        return redirect("console:home")
    return redirect(f"{reverse(page)}?{urlencode({'next': next_url}, safe='/')}")


admin.site.has_permission = superusers_only
admin.site.login = sign_in_through_the_console
# "View site" leads back to the staff site, not to the public page.
admin.site.site_url = "/console/"
