"""The staff user's own account: roles, two-step sign-in and recovery codes, API tokens."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.recovery import make_recovery_codes, unused_codes
from accounts.second_factor import confirmed_device
from accounts.tokens import issue_token, revoke_own_token, tokens_of
from console.account_forms import ApiTokenForm
from console.gate import staff_view
from experiments.models import CouncilMembership


def _account_page(request: HttpRequest, *, form=None, issued=None, status: int = 200):
    user = request.user
    return render(
        request,
        "console/account.html",
        {
            "memberships": CouncilMembership.objects.filter(user=user)
            .select_related("council")
            .order_by("council__name"),
            "second_factor": confirmed_device(user) is not None,
            "unused_codes": unused_codes(user),
            "tokens": tokens_of(user),
            "form": form or ApiTokenForm(),
            "issued": issued,
            "api_root": request.build_absolute_uri(reverse("api:root")),
        },
        status=status,
    )


@staff_view
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@staff_view
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Issue a token and show its key on this answer only: it is never shown again."""
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _account_page(request, form=form, status=400)
    issued = issue_token(request.user, name=form.cleaned_data["name"], expires_at=form.expires_at())
    return _account_page(request, issued=issued)


@staff_view
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = revoke_own_token(request.user, token_id)
    messages.success(
        request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name}
    )
    return redirect("console:account")


@staff_view
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Make a new set of recovery codes (the old ones stop working) and show them this once."""
    if confirmed_device(request.user) is None:
        messages.error(request, _("Turn on two-step sign-in first."))
        return redirect("console:account")
    return render(
        request,
        "console/recovery_codes.html",
        {"codes": make_recovery_codes(request.user), "next_url": reverse("console:account")},
    )
