"""The staff site's home page: one block per council, showing what the user's role there allows.

A council admin sees their councils' waves by status, each with its next action, their
themes and panel; a researcher sees the results and exports of their councils' closed
waves; a superuser sees every council, and a link to Django admin.
"""

from dataclasses import dataclass, field

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from console.gate import staff_view
from experiments.models import Council, CouncilMembership, CouncilRole, Theme, Wave, WaveStatus
from experiments.policy import ROLE_RIGHTS, Right, councils_with
from panel.models import PanelMember

# The order of a council's waves on the page, and the heading of each group.
STATUS_HEADINGS = {
    WaveStatus.OPEN: _("Open waves"),
    WaveStatus.DRAFT: _("Draft waves"),
    WaveStatus.CLOSED: _("Closed waves"),
}


@dataclass
class CouncilBlock:
    council: Council
    role: str  # "admin", "researcher" or "superuser"
    rights: frozenset[Right]
    waves_by_status: list[tuple[str, str, list[Wave]]] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)
    panel_size: int = 0

    @property
    def designs(self) -> bool:
        return Right.DESIGN in self.rights

    @property
    def exports(self) -> bool:
        return Right.EXPORT in self.rights

    @property
    def results(self) -> bool:
        return Right.RESULTS in self.rights

    @property
    def has_waves(self) -> bool:
        return any(waves for _status, _label, waves in self.waves_by_status)


def council_blocks(user) -> list[CouncilBlock]:
    """Return a block per council the user holds a role in (every council for a superuser)."""
    councils = list(councils_with(user, Right.READ).order_by("name"))
    if user.is_superuser:
        roles = dict.fromkeys((c.pk for c in councils), "superuser")
    else:
        roles = dict(CouncilMembership.objects.filter(user=user).values_list("council_id", "role"))
    blocks = {
        c.pk: CouncilBlock(
            council=c,
            role=roles[c.pk],
            rights=frozenset(Right) if user.is_superuser else ROLE_RIGHTS[roles[c.pk]],
        )
        for c in councils
        if c.pk in roles
    }
    waves: dict[int, list[Wave]] = {}
    for wave in Wave.objects.filter(council_id__in=blocks).order_by(
        "-opened_at", "-created_at", "-pk"
    ):
        waves.setdefault(wave.council_id, []).append(wave)
    for council_id, block in blocks.items():
        mine = waves.get(council_id, [])
        for status, heading in STATUS_HEADINGS.items():
            if status == WaveStatus.DRAFT and not block.designs:
                continue  # a draft is the admins' business until it opens
            block.waves_by_status.append((status, heading, [w for w in mine if w.status == status]))
    designing = [pk for pk, block in blocks.items() if block.designs]
    for theme in (
        Theme.objects.filter(council_id__in=designing)
        .annotate(activity_count=Count("activities"))
        .order_by("name_en", "pk")
    ):
        blocks[theme.council_id].themes.append(theme)
    panel_councils = [pk for pk, block in blocks.items() if Right.PANEL in block.rights]
    for council_id, size in (
        PanelMember.objects.filter(council_id__in=panel_councils)
        .values("council_id")
        .annotate(size=Count("pk"))
        .values_list("council_id", "size")
    ):
        blocks[council_id].panel_size = size
    return list(blocks.values())


@staff_view
def home(request: HttpRequest) -> HttpResponse:
    blocks = council_blocks(request.user)
    return render(
        request,
        "console/home.html",
        {
            "blocks": blocks,
            "designs": any(block.designs for block in blocks),
            "researcher_only": bool(blocks) and all(not block.designs for block in blocks),
            "admin_role": CouncilRole.ADMIN,
        },
    )
