"""How a wave's groups are allocated: by the platform, or elsewhere and imported."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from console.forms import RandomisedElsewhereForm
from console.gate import _wave, console_view
from console.refusals import show_refusal
from experiments.models import WaveStatus
from experiments.randomised_elsewhere import (
    declare_randomised_elsewhere,
    withdraw_randomised_elsewhere,
)
from surveyplatform.domain import ActionRefused


@console_view
def randomised_elsewhere(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Declare a draft wave randomised elsewhere, or make it allocate its own groups again."""
    wave = _wave(request, wave_id)
    initial = {"randomised_by": wave.randomised_by, "declared_scheme": wave.declared_scheme}
    form = RandomisedElsewhereForm(request.POST or None, initial=initial)
    if request.method == "POST" and wave.status == WaveStatus.DRAFT:
        if "withdraw" in request.POST:
            try:
                withdraw_randomised_elsewhere(request.user, wave)
            except ActionRefused as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(request, _("The platform will allocate this wave's groups."))
            return redirect("console:wave", wave_id=wave.pk)
        elif form.is_valid():
            try:
                declare_randomised_elsewhere(request.user, wave, **form.cleaned_data)
            except ActionRefused as refusal:
                show_refusal(form, refusal)
            else:
                messages.success(
                    request,
                    _(
                        "The wave is recorded as randomised elsewhere: import its answers "
                        "with each member's group once it is open."
                    ),
                )
                return redirect("console:wave", wave_id=wave.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/randomised_elsewhere.html",
        {"wave": wave, "form": form},
        status=status,
    )
