"""The audit log of the councils a user administers."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.models import AuditEntry
from console.gate import staff_view
from experiments.policy import Right, scoped


@staff_view(right=Right.AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = scoped(
        AuditEntry.objects.select_related("user", "council"), request.user, Right.AUDIT
    )
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "console/audit.html", {"page": page})
