"""The figures of a wave's dashboard, from a fixed handful of aggregate queries.

Per-group figures come from `experiments.monitoring`, which hides arm names from
council admins; this module never names an arm.
"""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from experiments.models import (
    DeliveryStatus,
    EmailDelivery,
    Invitation,
    Response,
    ResponseStatus,
    ThemeAnswer,
    Wave,
)
from panel.models import MemberStatus, PanelMember


@dataclass(frozen=True)
class FunnelStep:
    label: str
    count: int
    percent: float | None  # of the panel


@dataclass(frozen=True)
class WaveDashboard:
    funnel: list[FunnelStep]
    themes: list[tuple[str, int]]
    per_day: list[tuple[str, int]]
    emails: dict[str, int]


def wave_dashboard(wave: Wave) -> WaveDashboard:
    """Return the funnel, per-arm, per-theme and per-day figures of one wave."""
    panel = PanelMember.objects.filter(
        council_id=wave.council_id, status=MemberStatus.ACTIVE
    ).count()
    invitations = Invitation.objects.filter(wave=wave).aggregate(
        invited=Count("pk"), opened=Count("pk", filter=Q(first_opened_at__isnull=False))
    )
    responses = Response.objects.filter(wave=wave).aggregate(
        started=Count("pk"), completed=Count("pk", filter=Q(status=ResponseStatus.COMPLETE))
    )
    emails = dict(
        EmailDelivery.objects.filter(wave=wave)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )

    def step(label: str, count: int) -> FunnelStep:
        return FunnelStep(label, count, round(100 * count / panel, 1) if panel else None)

    funnel = [
        step("Active panel members", panel),
        step("Invited (personal link issued)", invitations["invited"]),
        step("E-mail sent", emails.get(DeliveryStatus.SENT, 0) and _members_emailed(wave)),
        step("Opened their link", invitations["opened"]),
        step("Started", responses["started"]),
        step("Completed", responses["completed"]),
    ]

    themes = list(
        ThemeAnswer.objects.filter(response__wave=wave, response__status=ResponseStatus.COMPLETE)
        .values_list("theme__name_en")
        .annotate(n=Count("pk"))
        .order_by("theme__name_en")
        .values_list("theme__name_en", "n")
    )
    per_day = [
        (day.isoformat(), n)
        for day, n in Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETE)
        .annotate(day=TruncDate("submitted_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by("day")
        .values_list("day", "n")
    ]
    return WaveDashboard(funnel=funnel, themes=themes, per_day=per_day, emails=emails)


def _members_emailed(wave: Wave) -> int:
    return (
        EmailDelivery.objects.filter(wave=wave, status=DeliveryStatus.SENT)
        .values("member_id")
        .distinct()
        .count()
    )
