"""Invitations, reminders and personal links for letters."""

import csv
import io

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.forms import ReminderForm
from console.gate import _wave, console_view
from experiments import fieldwork
from surveyplatform.domain import ActionRefused
from surveyplatform.text import guard_formula


@console_view
@require_POST
def send_invitations(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    try:
        count = fieldwork.send_invitations(request.user, wave)
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
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
    try:
        fieldwork.schedule_reminder(request.user, wave, send_at=form.cleaned_data["send_at"])
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
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
    try:
        links = fieldwork.issue_letter_links(request.user, wave)
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("console:wave", wave_id=wave.pk)
    buffer = io.StringIO()
    # LF unless Excel's CRLF is asked for: a stray CR ends up in a link copied from the file.
    # Every cell quoted, so that a carriage return inside a name stays inside its cell
    # whichever line ending is chosen (unquoted, it would end the row where CR counts).
    excel = bool(request.POST.get("excel_line_endings"))
    writer = csv.writer(buffer, lineterminator="\r\n" if excel else "\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["external_id", "name", "preferred_language", "link"])
    for link in links:
        writer.writerow(
            [
                csv_safe(link.external_id),
                csv_safe(link.name),
                link.preferred_language,
                csv_safe(link.url),
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="wave-{wave.pk}-links.csv"'
    return response
