"""The figures of a wave's dashboard, from a fixed handful of aggregate queries.

Percentages are of those invited (what an officer asks: "how many of the people we asked
have answered?") and, labelled as such, of the active panel. A percentage whose base is
zero is undefined and is never shown as a number.

Per-group figures come from `experiments.monitoring`, read with the arms hidden: this
module never names an arm, and says in plain words whether the groups look alike.
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from experiments.models import (
    AgeBand,
    DeliveryStatus,
    EmailDelivery,
    Gender,
    Invitation,
    Response,
    ResponseStatus,
    ThemeAnswer,
    Wave,
)
from experiments.monitoring import IMBALANCE_FLAG, MISSING_LEVEL, LevelBalance, WaveMonitor
from panel.models import MemberStatus, PanelMember

# Fewer members than this in groups: differences between groups are to be expected.
FEW_ASSIGNED = 200
# How many group differences the plain-words summary names before "and n more".
NAMED_DIFFERENCES = 5


def percent(count: int, base: int) -> float | None:
    """Return count as a percentage of base, or None when base is zero (undefined)."""
    if not base:
        return None
    return round(100 * count / base, 1)


@dataclass(frozen=True)
class FunnelStep:
    label: str
    count: int
    of_invited: float | None
    of_panel: float | None


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    completed: int
    cumulative: int
    of_invited: float | None  # the cumulative count, of those invited


@dataclass(frozen=True)
class ThemeCount:
    name: str
    completed: int
    of_invited: float | None


@dataclass(frozen=True)
class WaveDashboard:
    panel: int
    invited: int
    completed: int
    funnel: list[FunnelStep]
    themes: list[ThemeCount]
    per_day: list[DayCount]
    emails: dict[str, int]

    @property
    def completed_of_invited(self) -> float | None:
        return percent(self.completed, self.invited)

    @property
    def completed_of_panel(self) -> float | None:
        return percent(self.completed, self.panel)


def wave_dashboard(wave: Wave) -> WaveDashboard:
    """Return the funnel, per-theme and per-day figures of one wave."""
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
    invited = invitations["invited"]

    def step(label: str, count: int, *, of_invited: bool = True) -> FunnelStep:
        return FunnelStep(
            label, count, percent(count, invited) if of_invited else None, percent(count, panel)
        )

    funnel = [
        step(gettext_lazy("Active panel members"), panel, of_invited=False),
        step(gettext_lazy("Invited (personal link issued)"), invited),
        step(
            gettext_lazy("E-mail sent"),
            emails.get(DeliveryStatus.SENT, 0) and _members_emailed(wave),
        ),
        step(gettext_lazy("Opened their link"), invitations["opened"]),
        step(gettext_lazy("Started"), responses["started"]),
        step(gettext_lazy("Completed"), responses["completed"]),
    ]

    answered = dict(
        ThemeAnswer.objects.filter(response__wave=wave, response__status=ResponseStatus.COMPLETE)
        .values_list("theme_id")
        .annotate(n=Count("pk"))
        .values_list("theme_id", "n")
    )
    themes = [
        ThemeCount(name, answered.get(theme_id, 0), percent(answered.get(theme_id, 0), invited))
        for theme_id, name in wave.wave_themes.order_by("position", "pk").values_list(
            "theme_id", "theme__name_en"
        )
    ]
    per_day, cumulative = [], 0
    for day, n in (
        Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETE)
        .annotate(day=TruncDate("submitted_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by("day")
        .values_list("day", "n")
    ):
        if day is None:
            continue
        cumulative += n
        per_day.append(DayCount(day, n, cumulative, percent(cumulative, invited)))
    return WaveDashboard(
        panel=panel,
        invited=invited,
        completed=responses["completed"],
        funnel=funnel,
        themes=themes,
        per_day=per_day,
        emails=emails,
    )


def _members_emailed(wave: Wave) -> int:
    return (
        EmailDelivery.objects.filter(wave=wave, status=DeliveryStatus.SENT)
        .values("member_id")
        .distinct()
        .count()
    )


# --- The groups, in plain words ---------------------------------------------------------


@dataclass(frozen=True)
class BalanceStatement:
    """Whether the groups look alike, in plain words, for the wave page and the dashboard.

    `judged` is False while there is nothing to compare (nobody in a group yet, or the
    experiment off); `alike` says whether no difference was flagged.
    """

    headline: str
    differences: list[str]
    more: int
    judged: bool
    alike: bool
    size_mismatch: bool


def balance_statement(monitor: WaveMonitor) -> BalanceStatement:
    """Say whether the groups of a wave look alike, naming each group that stands out."""
    if not monitor.experiment_on:
        return BalanceStatement(
            _("The experiment is off: everyone sees the same page, so there are no groups."),
            [],
            0,
            judged=False,
            alike=True,
            size_mismatch=False,
        )
    if not monitor.opened:
        return BalanceStatement(
            _(
                "Nobody is in a group yet: members are put in a group when they first open "
                "their link."
            ),
            [],
            0,
            judged=False,
            alike=True,
            size_mismatch=False,
        )
    flagged = sorted(
        (level for level in monitor.balance if level.flagged),
        key=lambda level: -_size(level.largest_difference),
    )
    differences = [_difference(level) for level in flagged]
    mismatch = bool(monitor.sample_ratio and monitor.sample_ratio.flagged)
    if mismatch:
        headline = _(
            "The groups differ in size more than chance allows. Ask the study's statistician "
            "to check the allocation before going on."
        )
    elif differences:
        headline = _(
            "The groups differ in who is in them. This can happen by chance; see the "
            "statistician's view."
        )
        if monitor.opened < FEW_ASSIGNED:
            headline = _(
                "So far %(n)d members are in groups; with so few, differences between the "
                "groups are to be expected and usually shrink as more members answer."
            ) % {"n": monitor.opened}
    else:
        headline = _("Groups are well balanced.")
    return BalanceStatement(
        headline,
        differences[:NAMED_DIFFERENCES],
        max(len(differences) - NAMED_DIFFERENCES, 0),
        judged=True,
        alike=not differences and not mismatch,
        size_mismatch=mismatch,
    )


def _size(d: float) -> float:
    return math.inf if math.isinf(d) or math.isnan(d) else abs(d)


def _difference(level: LevelBalance) -> str:
    """Name the group that stands out most on one level, and whether it has more or fewer."""
    group, d = max(level.standardised_differences.items(), key=lambda item: _size(item[1]))
    who = people(level.covariate, level.level)
    if d > 0:
        text = _("%(group)s has more %(who)s than the others: this can happen by chance.")
    else:
        text = _("%(group)s has fewer %(who)s than the others: this can happen by chance.")
    return text % {"group": group, "who": who}


def people(covariate: str, level: str) -> str:
    """Return the people of one level of a panel-record covariate, in plain words."""
    if level == MISSING_LEVEL:
        return {
            "gender": _("people whose gender is not recorded"),
            "age_band": _("people whose age is not recorded"),
            "ward": _("people whose ward is not recorded"),
        }.get(covariate, _("people with nothing recorded"))
    if covariate == "gender":
        return {
            Gender.WOMAN: _("women"),
            Gender.MAN: _("men"),
            Gender.OTHER: _("people who describe their gender in another way"),
        }.get(level, level)
    if covariate == "age_band":
        if level == AgeBand.NOT_SAID:
            return _("people who preferred not to give their age")
        label = dict(AgeBand.choices).get(level, level)
        return _("people aged %(band)s") % {"band": str(label).lower()}
    if covariate == "ward":
        return _("people in %(ward)s") % {"ward": level}
    return f"{covariate}: {level}"


def finite(value: float | None) -> float | None:
    """Return the value, or None when it is infinite or undefined (never shown as a number)."""
    if value is None or math.isinf(value) or math.isnan(value):
        return None
    return value


@dataclass(frozen=True)
class LevelRow:
    """One level of a covariate in the statistician's view: each group's share and d."""

    covariate: str
    level: str
    who: str
    groups: list[tuple[str, float, float | None]]  # group, share in %, finite d or None
    flagged: bool


def balance_rows(monitor: WaveMonitor) -> list[LevelRow]:
    """Return the balance table with only finite numbers (None where d is not defined)."""
    return [
        LevelRow(
            covariate=level.covariate,
            level=level.level,
            who=people(level.covariate, level.level),
            groups=[(group, round(100 * share, 1), finite(d)) for group, share, d in level.groups],
            flagged=level.largest_difference > IMBALANCE_FLAG,
        )
        for level in monitor.balance
    ]
