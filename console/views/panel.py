"""The panel: members, imports, status and erasure."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from console.forms import ConfirmForm, PanelUploadForm
from console.gate import _admin_councils, console_view
from console.refusals import show_refusal
from experiments.policy import Right, get_scoped, scoped
from panel.erasure import erase_member
from panel.members import change_member_status
from panel.models import MemberContact, MemberStatus, PanelMember, PanelUpload
from panel.uploads import check_panel_upload, commit_panel_upload
from surveyplatform.domain import ActionRefused


@console_view
def panel(request: HttpRequest) -> HttpResponse:
    members = scoped(
        PanelMember.objects.select_related("council", "contact").order_by(
            "council__name", "external_id"
        ),
        request.user,
        Right.PANEL,
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
    member = get_scoped(
        PanelMember.objects.select_related("council"), request.user, Right.PANEL, pk=member_id
    )
    contact = MemberContact.objects.filter(member=member).first()
    if request.method == "POST":
        try:
            change_member_status(request.user, member, status=request.POST.get("status", ""))
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
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
        try:
            stored = check_panel_upload(
                request.user,
                council=form.cleaned_data["council"],
                content=upload,
                filename=upload.name,
            )
        except ActionRefused as refusal:
            show_refusal(form, refusal)
        else:
            return redirect("console:panel_import_report", upload_id=stored.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "console/panel_import.html", {"form": form}, status=status)


@console_view
def panel_import_report(request: HttpRequest, upload_id: int) -> HttpResponse:
    upload = get_scoped(
        PanelUpload.objects.select_related("council"), request.user, Right.PANEL, pk=upload_id
    )
    if request.method == "POST":
        try:
            result = commit_panel_upload(request.user, upload)
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("console:panel_import_report", upload_id=upload.pk)
        messages.success(
            request,
            _("Imported: %(created)d new members, %(updated)d updated.")
            % {"created": result.created, "updated": result.updated},
        )
        return redirect("console:panel")
    return render(
        request, "console/panel_import_report.html", {"upload": upload, "report": upload.report}
    )


@console_view
def member_erase(request: HttpRequest, member_id: int) -> HttpResponse:
    """Erase a member (after confirmation): contact details, ids, links, and answers unless
    the council recorded a research exemption and the admin chose to keep them."""
    member = get_scoped(
        PanelMember.objects.select_related("council"),
        request.user,
        Right.PANEL,
        pk=member_id,
        erased_at__isnull=True,
    )
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        keep = member.council.research_exemption and request.POST.get("keep_answers") == "on"
        try:
            erase_member(request.user, member, keep_answers=keep)
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("console:member", member_id=member.pk)
        messages.success(request, _("The member has been erased."))
        return redirect("console:panel")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "console/member_erase.html", {"member": member, "form": form}, status=status
    )
