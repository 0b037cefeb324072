"""A small demo: one council, one theme, an open wave with the experiment on."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from experiments.invitations import IssuedInvitation, issue_invitation
from experiments.models import (
    Activity,
    Council,
    Nation,
    NudgeText,
    Theme,
    ThemeKind,
    Wave,
    WaveStatus,
    WaveTheme,
)
from panel.models import MemberContact, PanelMember

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "demo-admin-2026"  # printed for the local demo only

ENVIRONMENT_ACTIVITIES = [
    (
        "Recycled your household waste using the council's collections",
        "Ailgylchu gwastraff eich cartref drwy gasgliadau'r cyngor",
    ),
    (
        "Reported litter, fly-tipping or graffiti to the council",
        "Rhoi gwybod i'r cyngor am sbwriel, tipio anghyfreithlon neu graffiti",
    ),
    (
        "Cleared litter or weeds from a street or public space near your home",
        "Clirio sbwriel neu chwyn o stryd neu fan cyhoeddus ger eich cartref",
    ),
    (
        "Walked, cycled or used public transport instead of driving on a local journey",
        "Cerdded, beicio neu ddefnyddio trafnidiaeth gyhoeddus yn lle gyrru ar daith leol",
    ),
    (
        "Saved energy or water at home to help the local environment",
        "Arbed ynni neu ddŵr gartref er mwyn helpu'r amgylchedd lleol",
    ),
]

NUDGE_A = (
    "Many people near you already help to keep this area clean and green. Last year local "
    "volunteer groups cleared litter from dozens of streets and parks, and residents say it "
    "made a real difference.",
    "Mae llawer o bobl yn eich ardal chi eisoes yn helpu i gadw'r ardal hon yn lân ac yn "
    "wyrdd. Y llynedd, cliriodd grwpiau gwirfoddol lleol sbwriel o ddwsinau o strydoedd a "
    "pharciau, ac mae trigolion yn dweud iddo wneud gwahaniaeth go iawn.",
)
NUDGE_B = (
    "Helping out usually takes little time: people who join a local environment group "
    "typically give about 3 hours a month.",
    "Nid yw helpu fel arfer yn cymryd llawer o amser: mae pobl sy'n ymuno â grŵp "
    "amgylcheddol lleol fel arfer yn rhoi tua 3 awr y mis.",
)


@dataclass(frozen=True)
class DemoSummary:
    wave: Wave
    invitations: list[IssuedInvitation]
    admin_username: str
    admin_password: str


@transaction.atomic
def seed_demo(*, members: int = 10) -> DemoSummary:
    """Create (or refresh) the demo; safe to run again on the same database.

    Tokens are stored only as hashes, so each run gives the demo invitations fresh tokens
    in order to be able to print working links.
    """
    council, _ = Council.objects.get_or_create(
        slug="bristol", defaults={"name": "Bristol City Council", "nation": Nation.ENGLAND}
    )
    theme, _ = Theme.objects.get_or_create(
        council=council,
        name_en="Local environment",
        defaults={"kind": ThemeKind.ENVIRONMENT, "name_cy": "Yr amgylchedd lleol"},
    )
    for position, (text_en, text_cy) in enumerate(ENVIRONMENT_ACTIVITIES):
        Activity.objects.get_or_create(
            theme=theme, position=position, defaults={"text_en": text_en, "text_cy": text_cy}
        )
    wave, _ = Wave.objects.get_or_create(
        council=council,
        title="Demo wave: your local environment",
        defaults={"status": WaveStatus.OPEN, "experiment_on": True},
    )
    WaveTheme.objects.get_or_create(wave=wave, theme=theme)
    for nudge, (text_en, text_cy) in (("a", NUDGE_A), ("b", NUDGE_B)):
        NudgeText.objects.get_or_create(
            wave=wave,
            theme=theme,
            nudge=nudge,
            version=1,
            defaults={"text_en": text_en, "text_cy": text_cy},
        )

    issued = []
    for number in range(1, members + 1):
        member, _ = PanelMember.objects.get_or_create(
            council=council,
            external_id=f"BRS-{number:04d}",
            defaults={"preferred_language": "en", "ward": ["Central", "Easton"][number % 2]},
        )
        MemberContact.objects.get_or_create(
            member=member, defaults={"email": f"member{number}@example.org"}
        )
        issued.append(issue_invitation(wave, member=member))

    user_model = get_user_model()
    admin_user = user_model.objects.filter(username=DEMO_ADMIN_USERNAME).first()
    if admin_user is None:
        user_model.objects.create_superuser(
            DEMO_ADMIN_USERNAME, "admin@example.org", DEMO_ADMIN_PASSWORD
        )
    return DemoSummary(wave, issued, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
