"""The audit log of the councils a user administers."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.models import AuditEntry
from console.gate import ADMIN, console_view
from experiments.tenancy import scoped


@console_view
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = scoped(
        AuditEntry.objects.select_related("user", "council"), request.user, roles=ADMIN
    )
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "console/audit.html", {"page": page})
