"""Invitations, reminders and personal links for letters."""

import csv
import io

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.log import record_action
from console.forms import (
    ReminderForm,
)
from console.gate import _wave, console_view
from experiments.emails import queue_invitations
from experiments.invitations import issue_invitation
from experiments.models import (
    ReminderSchedule,
    WaveStatus,
)
from panel.models import MemberStatus, PanelMember
from surveyplatform.text import guard_formula


@console_view
@require_POST
def send_invitations(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    try:
        count = queue_invitations(wave)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        record_action(
            request.user,
            action="send_invitations",
            council=wave.council,
            target=wave,
            summary=f"{count} invitation e-mails queued",
        )
        messages.success(request, _("%d invitation e-mails are on their way.") % count)
    return redirect("console:wave", wave_id=wave.pk)


@console_view
@require_POST
def schedule_reminder(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    form = ReminderForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Enter the date and time for the reminder, for example 2027-03-01 09:00.")
        )
        return redirect("console:wave", wave_id=wave.pk)
    schedule = ReminderSchedule.objects.create(wave=wave, send_at=form.cleaned_data["send_at"])
    record_action(
        request.user,
        action="schedule_reminder",
        council=wave.council,
        target=schedule,
        summary=f"Reminder at {schedule.send_at:%Y-%m-%d %H:%M}",
    )
    messages.success(request, _("Reminder planned."))
    return redirect("console:wave", wave_id=wave.pk)


def csv_safe(value: object) -> str:
    """Neutralise a cell a spreadsheet would run as a formula, by a leading apostrophe."""
    return guard_formula("" if value is None else str(value))


@console_view
@require_POST
def links_csv(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Issue a fresh personal link for every active member and download them as CSV."""
    wave = _wave(request, wave_id)
    if wave.status != WaveStatus.OPEN:
        messages.error(request, _("Links can only be issued for an open wave."))
        return redirect("console:wave", wave_id=wave.pk)
    members = (
        PanelMember.objects.filter(council=wave.council, status=MemberStatus.ACTIVE)
        .select_related("contact")
        .order_by("external_id")
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["external_id", "name", "preferred_language", "link"])
    count = 0
    for member in members:
        issued = issue_invitation(wave, member=member)
        contact = getattr(member, "contact", None)
        writer.writerow(
            [
                csv_safe(member.external_id),
                csv_safe(contact.name if contact else ""),
                member.preferred_language,
                csv_safe(issued.url),
            ]
        )
        count += 1
    record_action(
        request.user,
        action="download_links",
        council=wave.council,
        target=wave,
        summary=f"{count} personal links issued for letters",
    )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="wave-{wave.pk}-links.csv"'
    return response
