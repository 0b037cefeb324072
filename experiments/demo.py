"""The demo: the study's five councils, each with a closed wave of synthetic responses and
its finished analysis, plus open waves to try.

Every wave goes through the platform's own steps: opened with `open_wave` (design and
analysis plan frozen), each member who opened their link allocated by
`experiments.assignment.assign_member`, closed with `close_wave`; only the answers are
synthetic. They come from `analysis.synthetic` (pure), drawn for the arms the members were
given, and are written through the ORM in bulk, so that seeding takes seconds. With the
same `--seed` a fresh database receives exactly the same answers.
"""

import csv
import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from analysis.models import AnalysisRun
from analysis.runs import execute_run
from analysis.summaries import draft_summary
from analysis.synthetic import STUDY_COUNCILS, CouncilSpec, SyntheticWave, generate_council
from experiments.assignment import assign_member
from experiments.invitations import (
    RecipientChoice,
    plan_invitations,
    send_invitation_batch,
    send_test_email,
)
from experiments.links import IssuedInvitation, issue_invitation
from experiments.models import (
    Activity,
    ActivityAnswer,
    AllocationScheme,
    Assignment,
    Council,
    CouncilMembership,
    CouncilRole,
    EmailKind,
    Exposure,
    Invitation,
    InvitationBatch,
    Nation,
    NudgeText,
    PageVisit,
    RecipientRule,
    Response,
    ResponseStatus,
    Theme,
    ThemeAnswer,
    Wave,
    WaveStatus,
    WaveTheme,
)
from experiments.policy import SYSTEM
from experiments.waves import close_wave, open_wave
from panel.models import MemberContact, PanelMember

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "demo-admin-2026"  # printed for the local demo only
DEMO_STAFF_PASSWORD = "demo-staff-2026"  # printed for the local demo only
DEMO_RESEARCHER_USERNAME = "researcher"
CLOSED_WAVE_TITLE = "Co-production survey (closed)"
OPEN_WAVE_TITLE = "Demo wave: your local environment"

COUNCILS = {
    "Derbyshire Dales District Council": ("derbyshire-dales", Nation.ENGLAND),
    "London Borough of Barnet": ("barnet", Nation.ENGLAND),
    "Bristol City Council": ("bristol", Nation.ENGLAND),
    "City of Wolverhampton Council": ("wolverhampton", Nation.ENGLAND),
    "City and County of Swansea": ("swansea", Nation.WALES),
}
RESEARCHER_COUNCILS = ("barnet", "swansea")
# Who is asking, as members read it: the Welsh name, the panel team and the lawful basis.
COUNCIL_NAMES_CY = {"City and County of Swansea": "Dinas a Sir Abertawe"}
WAVE_TITLES_CY = {
    "Co-production survey (closed)": "Arolwg cydgynhyrchu (wedi cau)",
    "Demo wave: your local environment": "Ton arddangos: eich amgylchedd lleol",
    "Next survey (draft): check the power plan": (
        "Yr arolwg nesaf (drafft): gwiriwch y cynllun pŵer"
    ),
}

THEME_NAMES_CY = {
    "Local environment": "Yr amgylchedd lleol",
    "Community safety": "Diogelwch cymunedol",
    "Social well-being": "Llesiant cymdeithasol",
    "Health": "Iechyd",
}

ACTIVITIES = {
    "environment": [
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
    ],
    "community_safety": [
        (
            "Kept an eye on a neighbour's home while they were away",
            "Cadw llygad ar gartref cymydog tra oedden nhw i ffwrdd",
        ),
        (
            "Reported a crime or suspicious activity to the police",
            "Rhoi gwybod i'r heddlu am drosedd neu weithgarwch amheus",
        ),
        (
            "Used locks and outside lighting to deter crime",
            "Defnyddio cloeon a golau allanol i atal troseddu",
        ),
        ("Marked or registered valuable property", "Marcio neu gofrestru eiddo gwerthfawr"),
        (
            "Avoided leaving valuables on view in a car",
            "Osgoi gadael pethau gwerthfawr i'w gweld mewn car",
        ),
    ],
    "social_wellbeing": [
        (
            "Checked on an older or vulnerable neighbour",
            "Galw heibio cymydog hŷn neu agored i niwed",
        ),
        (
            "Helped a neighbour with shopping or errands",
            "Helpu cymydog gyda siopa neu negeseuon",
        ),
        ("Gave a lift to someone who needed one", "Rhoi lifft i rywun oedd ei angen"),
        (
            "Spent time talking with someone who lives alone",
            "Treulio amser yn sgwrsio â rhywun sy'n byw ar ei ben ei hun",
        ),
        (
            "Looked after a neighbour's child or pet",
            "Gofalu am blentyn neu anifail anwes cymydog",
        ),
    ],
    "health": [
        (
            "Ate five portions of fruit or vegetables on most days",
            "Bwyta pum dogn o ffrwythau neu lysiau ar y rhan fwyaf o ddyddiau",
        ),
        (
            "Took at least 30 minutes of exercise on most days",
            "Gwneud o leiaf 30 munud o ymarfer corff ar y rhan fwyaf o ddyddiau",
        ),
        (
            "Went for a health check or screening when invited",
            "Mynd am archwiliad iechyd neu sgrinio pan gawsoch wahoddiad",
        ),
        (
            "Kept alcohol within the recommended limits",
            "Cadw alcohol o fewn y terfynau a argymhellir",
        ),
        (
            "Encouraged a friend or relative to look after their health",
            "Annog ffrind neu berthynas i ofalu am eu hiechyd",
        ),
    ],
}

NUDGE_TEXTS = {
    # theme kind → (A en, A cy, B en, B cy); B names the typical hours a month.
    "environment": (
        "Many people near you already help to keep this area clean and green. Last year local "
        "volunteer groups cleared litter from dozens of streets and parks, and residents say "
        "it made a real difference.",
        "Mae llawer o bobl yn eich ardal chi eisoes yn helpu i gadw'r ardal hon yn lân ac yn "
        "wyrdd. Y llynedd, cliriodd grwpiau gwirfoddol lleol sbwriel o ddwsinau o strydoedd a "
        "pharciau, ac mae trigolion yn dweud iddo wneud gwahaniaeth go iawn.",
        "Helping out usually takes little time: people who join a local environment group "
        "typically give about 3 hours a month.",
        "Nid yw helpu fel arfer yn cymryd llawer o amser: mae pobl sy'n ymuno â grŵp "
        "amgylcheddol lleol fel arfer yn rhoi tua 3 awr y mis.",
    ),
    "community_safety": (
        "Many of your neighbours already look out for each other. Where residents keep watch "
        "together, burglaries in this area have fallen.",
        "Mae llawer o'ch cymdogion eisoes yn cadw llygad ar ei gilydd. Lle mae trigolion yn "
        "gwylio gyda'i gilydd, mae nifer y byrgleriaethau yn yr ardal hon wedi gostwng.",
        "Joining in takes little time: members of a neighbourhood watch group typically give "
        "about 2 hours a month.",
        "Nid yw ymuno'n cymryd llawer o amser: mae aelodau grŵp gwarchod cymdogaeth fel arfer "
        "yn rhoi tua 2 awr y mis.",
    ),
    "social_wellbeing": (
        "Many people near you already check on older neighbours and help each other out, and "
        "those they help say it makes a real difference.",
        "Mae llawer o bobl yn eich ardal chi eisoes yn galw heibio cymdogion hŷn ac yn helpu "
        "ei gilydd, ac mae'r rhai maen nhw'n eu helpu'n dweud ei fod yn gwneud gwahaniaeth go "
        "iawn.",
        "Helping takes little time: volunteers in a local befriending scheme typically give "
        "about 4 hours a month.",
        "Nid yw helpu'n cymryd llawer o amser: mae gwirfoddolwyr cynllun cyfeillio lleol fel "
        "arfer yn rhoi tua 4 awr y mis.",
    ),
}

# Members of each open wave; the command prints the first few links of each.
OPEN_WAVE_MEMBERS = 30
# How long a demo wave is planned to stay open: waves open only with a closing time.
FIELDWORK = timedelta(weeks=4)
LINKS_PRINTED = 3
EXTRA_INVITED_SHARE = 0.2  # invited beyond the respondents: half open and stop, half never open
# Invitations e-mailed to a sample of each open wave's members, so that the console's sent
# e-mails page has something to read.
EMAILED_SAMPLE = 5


@dataclass(frozen=True)
class DemoCouncil:
    council: Council
    wave: Wave
    run: AnalysisRun | None
    admin_username: str


@dataclass(frozen=True)
class DemoSummary:
    wave: Wave
    invitations: list[IssuedInvitation]
    admin_username: str
    admin_password: str
    councils: tuple[DemoCouncil, ...] = ()
    staff_password: str = DEMO_STAFF_PASSWORD
    researcher_username: str = DEMO_RESEARCHER_USERNAME
    researcher_councils: tuple[str, ...] = RESEARCHER_COUNCILS
    # The Welsh council's open wave, whose members prefer Welsh.
    welsh_wave: Wave | None = None
    welsh_invitations: list[IssuedInvitation] = dataclasses.field(default_factory=list)


def seed_demo(
    *, seed: int = 0, members: int = OPEN_WAVE_MEMBERS, analyse: bool = True
) -> DemoSummary:
    """Create (or refresh) the demo; safe to run again on the same database.

    Closed waves that already exist are left as they are. Tokens are stored only as
    hashes, so each run gives the open wave's invitations fresh tokens in order to print
    working links.
    """
    with transaction.atomic():
        councils = []
        for number, spec in enumerate(STUDY_COUNCILS):
            council, wave, created = _seed_closed_council(spec, seed=seed * 100 + number)
            councils.append((council, wave, created))
        open_wave, issued = _seed_open_wave(
            "Bristol City Council", prefix="BRS", language="en", members=members
        )
        welsh_wave, welsh_issued = _seed_open_wave(
            "City and County of Swansea", prefix="SWA", language="cy", members=members
        )
        admin = _seed_users([c for c, _, _ in councils])
        for wave in (open_wave, welsh_wave):
            _seed_sent_emails(wave, seed=seed)
    demo_councils = []
    for council, wave, _created in councils:
        run = None
        if analyse:
            # The close queued the analysis: with tasks in-process it has run already.
            run = wave.analysis_runs.filter(status="done").order_by("-pk").first()
            if run is None:
                pending = wave.analysis_runs.exclude(status="done").order_by("pk").first()
                run = execute_run((pending or AnalysisRun.objects.create(wave=wave)).pk)
            draft_summary(wave)
        demo_councils.append(DemoCouncil(council, wave, run, f"{council.slug}-admin"))
    return DemoSummary(
        open_wave,
        issued,
        admin,
        DEMO_ADMIN_PASSWORD,
        councils=tuple(demo_councils),
        welsh_wave=welsh_wave,
        welsh_invitations=welsh_issued,
    )


def write_demo_links(path: Path, summary: DemoSummary) -> int:
    """Write every open wave's invitation links as CSV (LF line endings); return how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        (wave, issued)
        for wave, invitations in (
            (summary.wave, summary.invitations),
            (summary.welsh_wave, summary.welsh_invitations),
        )
        if wave is not None
        for issued in invitations
    ]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["council", "wave", "external_id", "preferred_language", "link"])
        for wave, issued in rows:
            member = issued.invitation.member
            writer.writerow(
                [wave.council.name, wave.pk, member.external_id, member.preferred_language,
                 issued.url]
            )  # fmt: skip
    return len(rows)


def _council(name: str) -> Council:
    slug, nation = COUNCILS[name]
    council, _ = Council.objects.get_or_create(slug=slug, defaults={"name": name, "nation": nation})
    if not council.panel_email:
        council.name_cy = COUNCIL_NAMES_CY.get(name, "")
        council.panel_email = f"citizen.panel@{slug}.example.org"
        council.panel_telephone = "01632 960 000"
        council.lawful_basis_en = (
            "Public task (UK GDPR Article 6(1)(e)): the council consults residents to plan and "
            "improve its services."
        )
        council.lawful_basis_cy = (
            "Tasg gyhoeddus (Erthygl 6(1)(e) GDPR y DU): mae'r cyngor yn ymgynghori â "
            "thrigolion i gynllunio a gwella ei wasanaethau."
        )
        council.retention_days = council.retention_days or 730
        council.save()
    return council


def _theme(council: Council, name: str, kind: str) -> Theme:
    theme, _ = Theme.objects.get_or_create(
        council=council,
        name_en=name,
        defaults={"kind": kind, "name_cy": THEME_NAMES_CY.get(name, "")},
    )
    for position, (text_en, text_cy) in enumerate(ACTIVITIES[kind]):
        Activity.objects.get_or_create(
            theme=theme, position=position, defaults={"text_en": text_en, "text_cy": text_cy}
        )
    return theme


def _open(wave: Wave) -> None:
    """Open the wave as staff would, freezing its design and analysis plan."""
    open_wave(SYSTEM, wave)


def _close(wave: Wave) -> None:
    """Close the wave as staff would, which queues its analysis."""
    close_wave(SYSTEM, wave)


def _seed_closed_council(spec: CouncilSpec, *, seed: int) -> tuple[Council, Wave, bool]:
    """Run one council's closed wave through the platform's own steps.

    The wave is created as a draft, opened with `open_wave` (design and plan frozen),
    every member who opened their link is allocated by `assign_member` in the order they
    opened, the synthetic answers are then drawn for the arms they were given, and the
    wave is closed with `close_wave`, all at the time of seeding (the frozen design keeps
    its opening time). Return the council, the wave and whether it was created now.
    """
    council = _council(spec.council)
    existing = Wave.objects.filter(council=council, title=CLOSED_WAVE_TITLE).first()
    if existing is not None:
        return council, existing, False
    opened = timezone.now()
    wave = Wave.objects.create(
        council=council,
        title=CLOSED_WAVE_TITLE,
        title_cy=WAVE_TITLES_CY[CLOSED_WAVE_TITLE],
        experiment_on=spec.experiment,
        closes_at=opened + FIELDWORK,
    )
    themes = {}
    for position, theme_spec in enumerate(spec.themes):
        theme = _theme(council, theme_spec.theme, theme_spec.kind)
        WaveTheme.objects.create(wave=wave, theme=theme, position=position)
        themes[theme_spec.theme] = theme
        if spec.experiment and theme_spec.kind in NUDGE_TEXTS:
            a_en, a_cy, b_en, b_cy = NUDGE_TEXTS[theme_spec.kind]
            welsh = council.nation == Nation.WALES
            NudgeText.objects.create(
                wave=wave, theme=theme, nudge="a", text_en=a_en, text_cy=a_cy if welsh else ""
            )
            NudgeText.objects.create(
                wave=wave, theme=theme, nudge="b", text_en=b_en, text_cy=b_cy if welsh else ""
            )
    # The panel's records (ward, age band, gender) come first: strata are drawn from them.
    profile = generate_council(spec, seed=seed, wave_year=opened.year)
    members = write_synthetic_members(wave, profile, seed=seed)
    # Addresses, so that a copy of this wave can invite these members by e-mail.
    MemberContact.objects.bulk_create(
        [MemberContact(member=m, email=f"{m.external_id.lower()}@example.org") for m in members],
        batch_size=5000,
    )
    _open(wave)
    n = spec.respondents
    # Respondents, then the invitees who opened their link and stopped (half the extra).
    opening = members[: n + (len(members) - n) // 2]
    arms = [assign_member(wave, member=member).arm for member in opening]
    synthetic = generate_council(spec, seed=seed, wave_year=opened.year, arms=arms[:n])
    write_synthetic_answers(
        wave, synthetic, members=opening, arms=arms, themes=themes, submitted=timezone.now()
    )
    write_synthetic_paradata(wave, themes=themes, seed=seed)
    _close(wave)
    wave.refresh_from_db()
    _seed_next_wave(council, wave, themes=list(themes.values()))
    return council, wave, True


NEXT_WAVE_TITLE = "Next survey (draft): check the power plan"


def _seed_next_wave(council: Council, closed: Wave, *, themes: list[Theme]) -> Wave:
    """Draft the council's next wave so that its page shows the power planner."""
    wave = Wave.objects.create(
        council=council,
        title=NEXT_WAVE_TITLE,
        title_cy=WAVE_TITLES_CY[NEXT_WAVE_TITLE],
        status=WaveStatus.DRAFT,
        experiment_on=True,
        hoped_for_effect=0.05,
    )
    for position, theme in enumerate(themes):
        WaveTheme.objects.create(wave=wave, theme=theme, position=position)
    return wave


def write_synthetic_paradata(wave: Wave, *, themes: dict[str, Theme], seed: int) -> None:
    """Write page timings and device hashes of the complete responses, deterministically.

    About 3 % rush through (a fifth of the usual time) and about 2 % share a device with
    the response before them, so that the quality flags have something to show.
    """
    rng = np.random.default_rng(seed + 9_000_000)
    responses = list(
        Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETE).order_by("pk")
    )
    pages = ["start", *(f"theme-{t.pk}" for t in themes.values()), "about-you", "check"]
    typical = {"start": 40.0, "about-you": 60.0, "check": 30.0}
    visits = []
    devices = []
    for i, response in enumerate(responses):
        pace = 0.2 if rng.random() < 0.03 else float(rng.lognormal(0.0, 0.35))
        clock = response.submitted_at - timedelta(hours=2)
        started = clock
        for page in pages:
            seconds = max(2.0, typical.get(page, 90.0) * pace * float(rng.uniform(0.7, 1.3)))
            visits.append(
                PageVisit(
                    response=response,
                    page=page,
                    shown_at=clock,
                    submitted_at=clock + timedelta(seconds=seconds),
                )
            )
            clock += timedelta(seconds=seconds + 1)
        shared = i > 0 and rng.random() < 0.02
        device = devices[-1][1] if shared else f"demo-{wave.pk}-{i}-{seed}"
        devices.append((response.pk, device))
        response.device_hash = hashlib.sha256(device.encode()).hexdigest()
        response.started_at = started
    PageVisit.objects.bulk_create(visits, batch_size=5000)
    # Response.started_at is auto_now_add: bulk_update writes the synthetic start times.
    Response.objects.bulk_update(responses, ["device_hash", "started_at"], batch_size=2000)


def write_synthetic_members(
    wave: Wave, synthetic: SyntheticWave, *, seed: int
) -> list[PanelMember]:
    """Write the wave's panel members and their invitations: respondents, then the extra.

    The extra invitees (EXTRA_INVITED_SHARE of the respondents) did not answer: the
    first half opened their link and stopped, the rest never opened it.
    """
    council = wave.council
    people = synthetic.respondents
    n = len(people)
    extra = round(n * EXTRA_INVITED_SHARE)
    prefix = council.slug[:3].upper()
    members = PanelMember.objects.bulk_create(
        [
            PanelMember(
                council=council,
                external_id=f"{prefix}-W{wave.pk}-{i + 1:05d}",
                preferred_language="cy" if council.nation == Nation.WALES and i % 5 == 0 else "en",
                ward=str(people["ward"].iat[i]) if i < n else ["North", "South"][i % 2],
                age_band=str(people["age_band"].iat[i]) if i < n else "45-54",
                gender=str(people["gender"].iat[i]) if i < n else ["woman", "man"][i % 2],
            )
            for i in range(n + extra)
        ]
    )
    Invitation.objects.bulk_create(
        [
            Invitation(
                wave=wave,
                member=member,
                token_hash=hashlib.sha256(
                    f"demo-{wave.pk}-{member.pk}-{seed}".encode()
                ).hexdigest(),
            )
            for member in members
        ]
    )
    return members


def write_synthetic_wave(
    wave: Wave, synthetic: SyntheticWave, *, themes: dict[str, Theme], seed: int
) -> None:
    """Write a synthetic wave with the arms its generator drew, for hand-built test waves.

    The demo does not use this: it allocates its members through `assign_member`. Here
    the assignments are written as the simple scheme's, with no frozen design.
    """
    rng = np.random.default_rng(seed + 7_000_000)
    members = write_synthetic_members(wave, synthetic, seed=seed)
    n = len(synthetic.respondents)
    partial = members[n : n + (len(members) - n) // 2]
    partial_arms = (
        rng.choice(["ab", "a", "b", "none"], size=len(partial))
        if wave.experiment_on
        else ["none"] * len(partial)
    )
    arms = list(synthetic.respondents["arm"]) + list(partial_arms)
    assigned = members[: n + len(partial)]
    Assignment.objects.bulk_create(
        [
            Assignment(wave=wave, member=m, arm=arm, scheme=AllocationScheme.SIMPLE)
            for m, arm in zip(assigned, arms, strict=True)
        ]
    )
    write_synthetic_answers(wave, synthetic, members=assigned, arms=arms, themes=themes)


def write_synthetic_answers(
    wave: Wave,
    synthetic: SyntheticWave,
    *,
    members: list[PanelMember],
    arms: list[str],
    themes: dict[str, Theme],
    submitted=None,
) -> None:
    """Write the responses, exposures and answers of the allocated members, in bulk.

    The first len(synthetic.respondents) members completed; the rest opened their link,
    saw their arm's nudges and stopped.
    """
    people = synthetic.respondents
    n = len(people)
    if submitted is None:
        submitted = (wave.closed_at or wave.closes_at or timezone.now()) - timedelta(days=1)
    responses = Response.objects.bulk_create(
        [
            Response(
                wave=wave,
                member=m,
                status=ResponseStatus.COMPLETE if i < n else ResponseStatus.PARTIAL,
                submitted_at=submitted if i < n else None,
                language=m.preferred_language,
                birth_year=int(people["birth_year"].iat[i]) if i < n else None,
                age_band=str(people["age_band"].iat[i]) if i < n else "",
                gender=str(people["gender"].iat[i]) if i < n else "",
                ethnic_group=str(people["ethnic_group"].iat[i]) if i < n else "",
                qualification=str(people["qualification"].iat[i]) if i < n else "",
                ward=str(people["ward"].iat[i]) if i < n else "",
            )
            for i, m in enumerate(members)
        ]
    )
    nudge_texts = {(t.theme_id, t.nudge): t for t in NudgeText.objects.filter(wave=wave)}
    Exposure.objects.bulk_create(
        [
            Exposure(response=response, nudge_text=nudge_texts[(theme.pk, nudge)])
            for response, arm in zip(responses, arms, strict=True)
            for theme in themes.values()
            for nudge in {"ab": "ab", "a": "a", "b": "b", "none": ""}[arm]
            if (theme.pk, nudge) in nudge_texts
        ]
    )
    answers = synthetic.answers
    theme_answers = ThemeAnswer.objects.bulk_create(
        [
            ThemeAnswer(
                response=responses[int(row.respondent)],
                theme=themes[row.theme],
                collective=_code(row.collective),
                time_now=_code(row.time_now),
                time_more=_code(row.time_more),
                conditions=_code(row.conditions),
                satisfaction_information=_code(row.satisfaction_information),
                satisfaction_consultation=_code(row.satisfaction_consultation),
                satisfaction_response=_code(row.satisfaction_response),
                efficacy=_code(row.efficacy),
            )
            for row in answers.itertuples(index=False)
        ],
        batch_size=2000,
    )
    by_key = {
        (int(row.respondent), row.theme): ta
        for row, ta in zip(answers.itertuples(index=False), theme_answers, strict=True)
    }
    activities = {
        (theme_name, a.position): a
        for theme_name, theme in themes.items()
        for a in theme.activities.all()
    }
    ActivityAnswer.objects.bulk_create(
        [
            ActivityAnswer(
                theme_answer=by_key[(int(row.respondent), row.theme)],
                activity=activities[(row.theme, int(row.position))],
                done=row.done,
            )
            for row in synthetic.activities.itertuples(index=False)
        ],
        batch_size=5000,
    )


def _code(value) -> int | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else int(value)


def _seed_open_wave(
    council_name: str, *, prefix: str, language: str, members: int
) -> tuple[Wave, list[IssuedInvitation]]:
    council = _council(council_name)
    theme = _theme(council, "Local environment", "environment")
    wave, _ = Wave.objects.get_or_create(
        council=council,
        title=OPEN_WAVE_TITLE,
        defaults={
            "experiment_on": True,
            "title_cy": WAVE_TITLES_CY[OPEN_WAVE_TITLE],
            "closes_at": timezone.now() + FIELDWORK,
        },
    )
    WaveTheme.objects.get_or_create(wave=wave, theme=theme)
    a_en, a_cy, b_en, b_cy = NUDGE_TEXTS["environment"]
    for nudge, (text_en, text_cy) in (("a", (a_en, a_cy)), ("b", (b_en, b_cy))):
        NudgeText.objects.get_or_create(
            wave=wave,
            theme=theme,
            nudge=nudge,
            version=1,
            defaults={"text_en": text_en, "text_cy": text_cy},
        )
    if wave.status == WaveStatus.DRAFT:
        _open(wave)
        wave.refresh_from_db()
    issued = []
    for number in range(1, members + 1):
        member, _ = PanelMember.objects.get_or_create(
            council=council,
            external_id=f"{prefix}-{number:04d}",
            defaults={"preferred_language": language, "ward": ["Central", "East"][number % 2]},
        )
        MemberContact.objects.get_or_create(
            member=member, defaults={"email": f"{prefix.lower()}{number}@example.org"}
        )
        issued.append(issue_invitation(wave, member=member))
    return wave, issued


def _seed_sent_emails(wave: Wave, *, seed: int) -> None:
    """E-mail a sample of the open wave's members as its council admin would, with a test first.

    Through the console's own steps: the sample is drawn from a recorded seed, the admin
    sends themselves a test, then the invitations. Left alone when the wave has had a
    sending already, so that loading the demo again e-mails no one twice.
    """
    if InvitationBatch.objects.filter(wave=wave).exists():
        return
    admin = get_user_model().objects.get(username=f"{wave.council.slug}-admin")
    choice = RecipientChoice(rule=RecipientRule.SAMPLE, sample_size=EMAILED_SAMPLE)
    batch = plan_invitations(admin, wave, choice, seed=f"demo-{seed}")
    first = "cy" if wave.council.nation == Nation.WALES else "en"
    send_test_email(admin, wave, kind=EmailKind.INVITATION, first=first)
    send_invitation_batch(admin, batch)


def _seed_users(councils: list[Council]) -> str:
    user_model = get_user_model()
    # Hash the shared staff password once: the password hasher is slow on purpose.
    staff_password = make_password(DEMO_STAFF_PASSWORD)
    if not user_model.objects.filter(username=DEMO_ADMIN_USERNAME).exists():
        user_model.objects.create_superuser(
            DEMO_ADMIN_USERNAME, "admin@example.org", DEMO_ADMIN_PASSWORD
        )
    for council in councils:
        user = _staff_user(f"{council.slug}-admin", staff_password)
        CouncilMembership.objects.get_or_create(
            user=user, council=council, defaults={"role": CouncilRole.ADMIN}
        )
    researcher = _staff_user(DEMO_RESEARCHER_USERNAME, staff_password)
    for council in councils:
        if council.slug in RESEARCHER_COUNCILS:
            CouncilMembership.objects.get_or_create(
                user=researcher, council=council, defaults={"role": CouncilRole.RESEARCHER}
            )
    return DEMO_ADMIN_USERNAME


def _staff_user(username: str, hashed_password: str):
    user, _ = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "email": f"{username}@example.org",
            "password": hashed_password,
            "is_staff": True,
        },
    )
    return user
