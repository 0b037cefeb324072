"""Debriefs and "you said, we did" summaries of closed waves."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.forms import DebriefForm
from console.gate import console_view
from experiments.debriefs import approve_debrief, edit_debrief, send_debrief
from experiments.models import Debrief
from experiments.policy import Right, get_scoped
from surveyplatform.domain import ActionRefused


def _debrief(request, debrief_id: int) -> Debrief:
    return get_scoped(
        Debrief.objects.select_related("wave__council"),
        request.user,
        Right.FIELDWORK,
        council_field="wave__council",
        pk=debrief_id,
    )


@console_view
def debrief_edit(request: HttpRequest, debrief_id: int) -> HttpResponse:
    debrief = _debrief(request, debrief_id)
    wave = debrief.wave
    form = DebriefForm(
        request.POST or None, initial={"text_en": debrief.text_en, "text_cy": debrief.text_cy}
    )
    if request.method == "POST" and form.is_valid():
        try:
            edit_debrief(request.user, debrief, **form.cleaned_data)
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Message saved. It needs approving before it is sent."))
        return redirect("console:wave", wave_id=wave.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/debrief_form.html",
        {"wave": wave, "debrief": debrief, "form": form},
        status=status,
    )


@console_view
@require_POST
def debrief_approve(request: HttpRequest, debrief_id: int) -> HttpResponse:
    debrief = _debrief(request, debrief_id)
    try:
        approve_debrief(request.user, debrief)
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Message approved: members see it on their link's page."))
    return redirect("console:wave", wave_id=debrief.wave_id)


@console_view
@require_POST
def debrief_send(request: HttpRequest, debrief_id: int) -> HttpResponse:
    debrief = _debrief(request, debrief_id)
    try:
        count = send_debrief(request.user, debrief)
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("%d e-mails queued.") % count)
    return redirect("console:wave", wave_id=debrief.wave_id)
