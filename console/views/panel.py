"""The panel: members, imports, status, erasure, and the members' unsubscribe page."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.log import record_action
from console.forms import (
    ConfirmForm,
    PanelUploadForm,
)
from console.gate import ADMIN, _admin_councils, console_view
from experiments.emails import member_for_unsubscribe_token
from experiments.tenancy import get_scoped_or_404, scoped
from panel.erasure import ErasureError, erase_member
from panel.imports import PanelFileError, check_panel_file, import_panel_file
from panel.models import MemberContact, MemberStatus, PanelMember, PanelUpload


@console_view
def panel(request: HttpRequest) -> HttpResponse:
    members = scoped(
        PanelMember.objects.select_related("council", "contact").order_by(
            "council__name", "external_id"
        ),
        request.user,
        roles=ADMIN,
    )
    query = request.GET.get("q", "").strip()
    if query:
        members = members.filter(
            Q(external_id__icontains=query) | Q(contact__email__icontains=query)
        )
    status = request.GET.get("status", "")
    if status in MemberStatus.values:
        members = members.filter(status=status)
    page = Paginator(members, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "console/panel.html",
        {"page": page, "query": query, "status": status, "statuses": MemberStatus.choices},
    )


@console_view
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    member = get_scoped_or_404(
        PanelMember.objects.select_related("council"), request.user, roles=ADMIN, pk=member_id
    )
    contact = MemberContact.objects.filter(member=member).first()
    if request.method == "POST":
        new_status = request.POST.get("status")
        if new_status not in MemberStatus.values:
            messages.error(request, _("Choose what to do with the member."))
        else:
            old = member.status
            member.status = new_status
            member.save(update_fields=["status"])
            record_action(
                request.user,
                action="change_member_status",
                council=member.council,
                target=member,
                summary=f"member #{member.pk}: {old} → {new_status}",
            )
            messages.success(request, _("Member %s updated.") % member.external_id)
        return redirect("console:member", member_id=member.pk)
    return render(
        request,
        "console/member.html",
        {"member": member, "contact": contact, "statuses": MemberStatus.choices},
    )


@console_view
def panel_import(request: HttpRequest) -> HttpResponse:
    """Upload a panel file and see the dry run; nothing is imported yet."""
    councils = _admin_councils(request)
    form = PanelUploadForm(request.POST or None, request.FILES or None, councils=councils)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload  # read by the check, only once its size is within the limit
        report = check_panel_file(content, filename=upload.name)
        stored = PanelUpload.keep(
            report,
            content=content,
            filename=upload.name,
            uploaded_by=request.user,
            council=form.cleaned_data["council"],
        )
        return redirect("console:panel_import_report", upload_id=stored.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "console/panel_import.html", {"form": form}, status=status)


@console_view
def panel_import_report(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = get_scoped_or_404(
        PanelUpload.objects.select_related("council"), request.user, roles=ADMIN, pk=upload_id
    )
    if request.method == "POST":
        if not upload.importable:
            messages.error(request, _("This file cannot be imported again; upload it anew."))
            return redirect("console:panel_import_report", upload_id=upload.pk)
        try:
            result = import_panel_file(
                upload.council, content=bytes(upload.content), filename=upload.filename
            )
        except PanelFileError:
            messages.error(request, _("The file has problems; nothing was imported."))
            return redirect("console:panel_import_report", upload_id=upload.pk)
        upload.imported_at = timezone.now()
        upload.content = b""
        upload.save(update_fields=["imported_at", "content"])
        record_action(
            request.user,
            action="import_panel",
            council=upload.council,
            target=upload,
            summary=f"{upload.filename}: {result.created} created, {result.updated} updated",
            details={"created": result.created, "updated": result.updated},
        )
        messages.success(
            request,
            _("Imported: %(created)d new members, %(updated)d updated.")
            % {"created": result.created, "updated": result.updated},
        )
        return redirect("console:panel")
    return render(
        request, "console/panel_import_report.html", {"upload": upload, "report": upload.report}
    )


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Let a member leave the panel's e-mails from the link in any e-mail, without signing in."""
    member = member_for_unsubscribe_token(token)
    if member is None:
        return render(request, "console/unsubscribe.html", {"invalid": True}, status=404)
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) is None:
        # Until the member chooses with the language switch, speak the language of their record.
        translation.activate(member.preferred_language)
        request.LANGUAGE_CODE = translation.get_language()
    if request.method == "POST":
        if member.status == MemberStatus.ACTIVE:
            member.status = MemberStatus.UNSUBSCRIBED
            member.save(update_fields=["status"])
            record_action(
                None,
                action="unsubscribe",
                council=member.council,
                target=member,
                summary=f"member #{member.pk} unsubscribed from the e-mail link",
            )
        return render(request, "console/unsubscribe.html", {"done": True})
    return render(request, "console/unsubscribe.html", {"member": member})


@console_view
def member_erase(request: HttpRequest, member_id: int) -> HttpResponse:
    """Erase a member (after confirmation): contact details, ids, links, and answers unless
    the council recorded a research exemption and the admin chose to keep them."""
    member = get_scoped_or_404(
        PanelMember.objects.select_related("council"),
        request.user,
        roles=ADMIN,
        pk=member_id,
        erased_at__isnull=True,
    )
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        keep = member.council.research_exemption and request.POST.get("keep_answers") == "on"
        try:
            erase_member(member, keep_answers=keep, user=request.user)
        except ErasureError as error:
            messages.error(request, str(error))
            return redirect("console:member", member_id=member.pk)
        messages.success(request, _("The member has been erased."))
        return redirect("console:panel")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "console/member_erase.html", {"member": member, "form": form}, status=status
    )
