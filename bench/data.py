"""Build the benchmark's waves and members directly, in bulk (setting up is not measured)."""

import secrets
from dataclasses import dataclass

from django.db import connection, transaction

from bench.ceiling.views import CEILING_TABLE
from experiments.invitations import hash_token
from experiments.models import (
    Activity,
    Council,
    Invitation,
    NudgeText,
    Theme,
    ThemeKind,
    Wave,
    WaveStatus,
    WaveTheme,
)
from panel.models import PanelMember

THEMES = [
    (ThemeKind.ENVIRONMENT, "Local environment"),
    (ThemeKind.COMMUNITY_SAFETY, "Community safety"),
    (ThemeKind.SOCIAL_WELLBEING, "Social well-being"),
    (ThemeKind.HEALTH, "Health"),
]
ACTIVITIES_PER_THEME = 5


@dataclass(frozen=True)
class BenchWave:
    wave: Wave
    tokens: list[str]


def create_ceiling_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {CEILING_TABLE} "
            "(id bigserial PRIMARY KEY, body text NOT NULL, at timestamptz DEFAULT now())"
        )


@transaction.atomic
def create_council(*, slug: str = "bench") -> Council:
    council = Council.objects.create(name=f"Bench council {slug}", slug=slug)
    for kind, name in THEMES:
        theme = Theme.objects.create(council=council, kind=kind, name_en=name, name_cy=name)
        Activity.objects.bulk_create(
            Activity(theme=theme, position=p, text_en=f"{name} activity {p}", text_cy=f"{p}")
            for p in range(ACTIVITIES_PER_THEME)
        )
    return council


@transaction.atomic
def create_open_wave(council: Council, *, title: str, members: int, prefix: str) -> BenchWave:
    """Create an open wave of the council's themes with `members` invited members.

    All members share one ward, age band and gender, so that they form one stratum.
    """
    wave = Wave.objects.create(
        council=council, title=title, status=WaveStatus.OPEN, experiment_on=True
    )
    for position, theme in enumerate(council.themes.order_by("pk")):
        WaveTheme.objects.create(wave=wave, theme=theme, position=position)
        for nudge in ("a", "b"):
            NudgeText.objects.create(
                wave=wave,
                theme=theme,
                nudge=nudge,
                version=1,
                text_en=f"Nudge {nudge} about {theme.name_en}.",
                text_cy=f"Hwb {nudge}.",
            )
    created = PanelMember.objects.bulk_create(
        PanelMember(
            council=council,
            external_id=f"{prefix}-{number:06d}",
            ward="Central",
            age_band="35-54",
            gender="woman",
        )
        for number in range(members)
    )
    tokens = [secrets.token_urlsafe(32) for _ in created]
    Invitation.objects.bulk_create(
        (
            Invitation(wave=wave, member=member, token_hash=hash_token(token))
            for member, token in zip(created, tokens, strict=True)
        ),
        batch_size=5000,
    )
    return BenchWave(wave=wave, tokens=tokens)
