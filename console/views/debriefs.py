"""Debriefs and "you said, we did" summaries of closed waves."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.log import record_action
from console.gate import _admin_councils, _wave, console_view


def _debrief(request, debrief_id: int):
    from experiments.models import Debrief

    debrief = Debrief.objects.filter(
        pk=debrief_id, wave__council__in=_admin_councils(request)
    ).first()
    if debrief is None:
        raise Http404
    return _wave(request, debrief.wave_id), debrief


@console_view
def debrief_edit(request: HttpRequest, debrief_id: int) -> HttpResponse:
    from console.forms import DebriefForm
    from experiments.debriefs import DebriefError, edit_debrief

    wave, debrief = _debrief(request, debrief_id)
    form = DebriefForm(
        request.POST or None, initial={"text_en": debrief.text_en, "text_cy": debrief.text_cy}
    )
    if request.method == "POST" and form.is_valid():
        try:
            edit_debrief(debrief.pk, **form.cleaned_data)
        except DebriefError as error:
            messages.error(request, str(error))
        else:
            record_action(
                request.user,
                action="edit_debrief",
                council=wave.council,
                target=wave,
                summary=debrief.get_kind_display(),
            )
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
    from experiments.debriefs import DebriefError, approve_debrief

    wave, debrief = _debrief(request, debrief_id)
    try:
        approve_debrief(debrief.pk, user=request.user)
    except DebriefError as error:
        messages.error(request, str(error))
    else:
        record_action(
            request.user,
            action="approve_debrief",
            council=wave.council,
            target=wave,
            summary=debrief.get_kind_display(),
        )
        messages.success(request, _("Message approved: members see it on their link's page."))
    return redirect("console:wave", wave_id=wave.pk)


@console_view
@require_POST
def debrief_send(request: HttpRequest, debrief_id: int) -> HttpResponse:
    from experiments.debriefs import DebriefError, send_debrief

    wave, debrief = _debrief(request, debrief_id)
    try:
        count = send_debrief(debrief.pk)
    except DebriefError as error:
        messages.error(request, str(error))
    else:
        record_action(
            request.user,
            action="send_debrief",
            council=wave.council,
            target=wave,
            summary=debrief.get_kind_display(),
            details={"emails": count},
        )
        messages.success(request, _("%d e-mails queued.") % count)
    return redirect("console:wave", wave_id=wave.pk)
