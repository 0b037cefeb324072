"""The council admin's home page."""

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console.gate import _admin_councils, console_view
from experiments.models import Theme, Wave
from experiments.policy import Right, scoped
from panel.models import PanelMember


@console_view
def home(request: HttpRequest) -> HttpResponse:
    councils = _admin_councils(request)
    waves = scoped(Wave.objects.select_related("council"), request.user, Right.DESIGN)
    themes = scoped(
        Theme.objects.select_related("council").annotate(activity_count=Count("activities")),
        request.user,
        Right.DESIGN,
    )
    panel_size = scoped(PanelMember.objects.all(), request.user, Right.PANEL).count()
    return render(
        request,
        "console/home.html",
        {"councils": councils, "waves": waves, "themes": themes, "panel_size": panel_size},
    )
