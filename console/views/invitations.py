"""Invitations and reminders: choose recipients, check the e-mails, send; personal links.

Each view reads the form, calls one action of `experiments.invitations` and shows the
answer; a refusal of the domain is shown by its field, with status 400 (or 409).
"""

import csv
import io

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from console.gate import _wave, console_view
from console.invitation_forms import RecipientForm, ReminderForm, TestEmailForm, WordingForm
from console.refusals import show_refusal
from experiments import fieldwork, invitations
from experiments.emails import read_sent_email, sent_emails, shown_to, wording_for
from experiments.models import (
    DeliveryStatus,
    EmailKind,
    InvitationBatch,
    RecipientRule,
    Wave,
    WaveStatus,
)
from experiments.policy import Right, get_scoped
from surveyplatform.domain import ActionRefused, InvalidState
from surveyplatform.text import guard_formula

SENT_EMAILS_PER_PAGE = 50


def _fieldwork_wave(request: HttpRequest, wave_id: int) -> Wave:
    return _wave(request, wave_id, Right.FIELDWORK)


def _batch(request: HttpRequest, wave: Wave, batch_id: int) -> InvitationBatch:
    return get_scoped(
        InvitationBatch.objects.select_related("wave", "created_by", "sent_by"),
        request.user,
        Right.FIELDWORK,
        council_field="wave__council",
        pk=batch_id,
        wave=wave,
    )


def describe_batch(batch: InvitationBatch) -> str:
    """Say in words whom a sending chose."""
    if batch.rule == RecipientRule.SAMPLE:
        return ngettext(
            "A random sample of %(count)d of the %(eligible)d members not yet invited",
            "A random sample of %(count)d of the %(eligible)d members not yet invited",
            batch.count,
        ) % {"count": batch.count, "eligible": batch.eligible}
    if batch.rule == RecipientRule.GROUPS:
        groups = ", ".join([*batch.wards, *batch.age_bands, *batch.genders])
        return _("Those not yet invited in: %(groups)s") % {"groups": groups}
    return _("Everyone not yet invited")


def _closing_date_missing(wave: Wave, wording) -> bool:
    """Whether the e-mail names a closing date that the wave does not have."""
    texts = [*wording.subject.values(), *wording.body.values()]
    return wave.closes_at is None and any("{closing_date}" in text for text in texts)


def _status_of(batch: InvitationBatch) -> str:
    return _("Sent") if batch.sent_at else _("Not sent: waiting for you to check and send")


def _invitations_page(
    request: HttpRequest,
    wave: Wave,
    *,
    form: RecipientForm | None = None,
    reminder_form: ReminderForm | None = None,
    status: int = 200,
) -> HttpResponse:
    overview = invitations.invitation_overview(wave)
    groups = invitations.recipient_groups(wave)
    form = form or RecipientForm(groups=groups, initial={"rule": RecipientRule.NOT_INVITED})
    batches = [(batch, describe_batch(batch), _status_of(batch)) for batch in overview.batches]
    return render(
        request,
        "console/invitations/invitations.html",
        {
            "wave": wave,
            "overview": overview,
            "form": form,
            "groups": groups,
            "batches": batches,
            "reminder_form": reminder_form or ReminderForm(),
            "is_open": wave.status == WaveStatus.OPEN,
            "is_closed": wave.status == WaveStatus.CLOSED,
            "invitation_wording": wording_for(wave.council_id, EmailKind.INVITATION),
            "reminder_wording": wording_for(wave.council_id, EmailKind.REMINDER),
        },
        status=status,
    )


@console_view
def invitations_page(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Show where invitations stand; on POST, choose recipients and go on to check them."""
    wave = _fieldwork_wave(request, wave_id)
    if request.method != "POST":
        return _invitations_page(request, wave)
    form = RecipientForm(request.POST, groups=invitations.recipient_groups(wave))
    if form.is_valid():
        data = form.cleaned_data
        choice = invitations.RecipientChoice(
            rule=data["rule"],
            sample_size=data["sample_size"],
            wards=tuple(data["wards"]),
            age_bands=tuple(data["age_bands"]),
            genders=tuple(data["genders"]),
        )
        try:
            batch = invitations.plan_invitations(request.user, wave, choice)
        except ActionRefused as refusal:
            show_refusal(form, refusal)
            status = 409 if isinstance(refusal, InvalidState) else 400
            return _invitations_page(request, wave, form=form, status=status)
        return redirect("console:invitation_batch", wave_id=wave.pk, batch_id=batch.pk)
    return _invitations_page(request, wave, form=form, status=400)


@console_view
def invitation_batch(request: HttpRequest, wave_id: int, batch_id: int) -> HttpResponse:
    """Show the count, the e-mail in both languages and the test, before sending."""
    wave = _fieldwork_wave(request, wave_id)
    batch = _batch(request, wave, batch_id)
    wording = wording_for(wave.council_id, EmailKind.INVITATION)
    deliveries = {}
    if batch.sent_at:
        for status_value in batch.deliveries.values_list("status", flat=True):
            deliveries[status_value] = deliveries.get(status_value, 0) + 1
    return render(
        request,
        "console/invitations/batch.html",
        {
            "wave": wave,
            "batch": batch,
            "description": describe_batch(batch),
            "drawn": invitations.drawn_members(batch),
            "previews": invitations.preview_emails(wave, EmailKind.INVITATION, wording=wording),
            "wording": wording,
            "closing_date_missing": _closing_date_missing(wave, wording),
            "test_form": TestEmailForm(),
            "kind": EmailKind.INVITATION,
            "delivery_counts": [
                (label, deliveries.get(value, 0))
                for value, label in DeliveryStatus.choices
                if deliveries.get(value)
            ],
            "is_open": wave.status == WaveStatus.OPEN,
        },
    )


@console_view
@require_POST
def invitation_batch_send(request: HttpRequest, wave_id: int, batch_id: int) -> HttpResponse:
    wave = _fieldwork_wave(request, wave_id)
    batch = _batch(request, wave, batch_id)
    try:
        count = invitations.send_invitation_batch(request.user, batch)
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        left_out = batch.count - count
        message = ngettext(
            "%(count)d invitation e-mail is on its way.",
            "%(count)d invitation e-mails are on their way.",
            count,
        ) % {"count": count}
        if left_out:
            message += " " + ngettext(
                "%(left)d member chosen was invited meanwhile or left the panel, and was "
                "not e-mailed again.",
                "%(left)d members chosen were invited meanwhile or left the panel, and were "
                "not e-mailed again.",
                left_out,
            ) % {"left": left_out}
        messages.success(request, message)
    return redirect("console:invitation_batch", wave_id=wave.pk, batch_id=batch.pk)


@console_view
@require_POST
def test_email(request: HttpRequest, wave_id: int, kind: str) -> HttpResponse:
    """Send the signed-in user a test of the invitation or reminder, and come back."""
    wave = _fieldwork_wave(request, wave_id)
    back = reverse(f"console:{kind}_wording", args=[wave.pk])
    batch_id = request.POST.get("batch", "")
    if kind == EmailKind.INVITATION and batch_id.isdigit():
        batch = _batch(request, wave, int(batch_id))
        back = reverse("console:invitation_batch", args=[wave.pk, batch.pk])
    form = TestEmailForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose which language comes first."))
        return redirect(back)
    try:
        copy = invitations.send_test_email(
            request.user, wave, kind=kind, first=form.cleaned_data["first"]
        )
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("A test e-mail is on its way to %(address)s. You can read it in Sent e-mails.")
            % {"address": copy.staff_address},
        )
    return redirect(back)


@console_view
def email_wording(request: HttpRequest, wave_id: int, kind: str) -> HttpResponse:
    """Edit the council's wording of the invitation or reminder, with a preview."""
    wave = _fieldwork_wave(request, wave_id)
    saved = wording_for(wave.council_id, kind)
    status = 200
    preview_wording = saved
    form = WordingForm(initial=saved.as_initial())
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "reset":
            invitations.reset_invitation_template(request.user, wave.council, kind=kind)
            messages.success(request, _("The standard wording is back."))
            return redirect(f"console:{kind}_wording", wave_id=wave.pk)
        form = WordingForm(request.POST)
        form.is_valid()
        fields = form.cleaned_data
        if action == "preview":
            errors = invitations.wording_errors(fields)
            for name, problems in errors.items():
                for problem in problems:
                    form.add_error(name, problem)
            if errors:
                status = 400
            else:
                preview_wording = invitations.submitted_wording(saved, fields)
        else:
            try:
                invitations.save_invitation_template(
                    request.user, wave.council, kind=kind, fields=fields
                )
            except ActionRefused as refusal:
                show_refusal(form, refusal)
                status = 400
            else:
                messages.success(
                    request, _("Wording saved. Every new e-mail of the council uses it.")
                )
                return redirect(f"console:{kind}_wording", wave_id=wave.pk)
    return render(
        request,
        "console/invitations/wording.html",
        {
            "wave": wave,
            "kind": kind,
            "kind_label": EmailKind(kind).label,
            "form": form,
            "saved": saved,
            "previewing": preview_wording is not saved,
            "previews": invitations.preview_emails(wave, kind, wording=preview_wording),
            "wording": preview_wording,
            "closing_date_missing": _closing_date_missing(wave, preview_wording),
            "placeholders": invitations.placeholder_help(),
            "test_form": TestEmailForm(),
        },
        status=status,
    )


@console_view
@require_POST
def schedule_reminder(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _fieldwork_wave(request, wave_id)
    form = ReminderForm(request.POST)
    if form.is_valid():
        try:
            invitations.schedule_reminder(request.user, wave, send_at=form.cleaned_data["send_at"])
        except ActionRefused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, _("Reminder planned."))
            return redirect("console:invitations", wave_id=wave.pk)
    return _invitations_page(request, wave, reminder_form=form, status=400)


@console_view
def sent_email_list(request: HttpRequest) -> HttpResponse:
    """List the e-mails sent and kept, newest first, in the user's councils."""
    tests_only = request.GET.get("shown") == "tests"
    copies = sent_emails(request.user, tests_only=tests_only)
    wave = None
    wave_id = request.GET.get("wave", "")
    if wave_id.isdigit():
        wave = _fieldwork_wave(request, int(wave_id))
        copies = copies.filter(wave=wave)
    page = Paginator(copies, SENT_EMAILS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/emails/sent_emails.html",
        {
            "wave": wave,
            "tests_only": tests_only,
            "page": page,
            "emails": [shown_to(copy, request.user) for copy in page.object_list],
            "keeping": settings.KEEP_SENT_EMAILS,
        },
    )


@console_view
def sent_email(request: HttpRequest, email_id: int) -> HttpResponse:
    return render(
        request,
        "console/emails/sent_email.html",
        {"email": read_sent_email(request.user, email_id)},
    )


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
