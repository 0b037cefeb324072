"""The only module of `analysis` that reads the ORM: it turns a wave into tidy frames."""

from collections import Counter
from dataclasses import dataclass

import pandas as pd
from django.db.models import Count, Max, Q

from analysis import quality as response_quality
from experiments.models import (
    Assignment,
    Exposure,
    Invitation,
    Response,
    ResponseMode,
    ResponseStatus,
    ThemeAnswer,
    Wave,
    WaveTheme,
)
from panel.models import PanelMember

CASE_COLUMNS = [
    "response_id",
    "member_id",
    "council",
    "theme_id",
    "theme",
    "arm",
    "activities_total",
    "activities_answered",
    "activities_yes",
    "collective",
    "efficacy",
    "time_now",
    "time_more",
    "conditions",
    "satisfaction_information",
    "satisfaction_consultation",
    "satisfaction_response",
    "theme_kind",
    "birth_year",
    "age_band",
    "gender",
    "ethnic_group",
    "qualification",
    "ward",
    "panel_ward",
    "panel_age_band",
    "panel_gender",
    "wave_year",
]

FLOW_COLUMNS = [
    "member_id",
    "arm",
    "invited",
    "assigned",
    "exposed",
    "status",
    "panel_ward",
    "panel_age_band",
    "panel_gender",
]


def load_case_frame(wave_id: int) -> pd.DataFrame:
    """Return one row per complete response × theme of the wave (a case is a theme).

    Codes are kept as stored; `analysis.indices.prepare` recodes them.
    """
    wave = Wave.objects.only("created_at", "opened_at").get(pk=wave_id)
    wave_year = (wave.opened_at or wave.created_at).year
    totals = dict(
        WaveTheme.objects.filter(wave_id=wave_id)
        .annotate(n=Count("theme__activities"))
        .values_list("theme_id", "n")
    )
    arms = dict(Assignment.objects.filter(wave_id=wave_id).values_list("member_id", "arm"))
    panel = {
        pk: (ward, age_band, gender)
        for pk, ward, age_band, gender in PanelMember.objects.filter(
            assignments__wave_id=wave_id
        ).values_list("pk", "ward", "age_band", "gender")
    }
    rows = (
        ThemeAnswer.objects.filter(
            response__wave_id=wave_id, response__status=ResponseStatus.COMPLETE
        )
        .annotate(
            answered=Count("activity_answers", filter=Q(activity_answers__done__isnull=False)),
            yes=Count("activity_answers", filter=Q(activity_answers__done=True)),
        )
        .values_list(
            "response_id",
            "response__member_id",
            "response__wave__council__name",
            "theme_id",
            "theme__name_en",
            "answered",
            "yes",
            "collective",
            "efficacy",
            "time_now",
            "time_more",
            "conditions",
            "satisfaction_information",
            "satisfaction_consultation",
            "satisfaction_response",
            "theme__kind",
            "response__birth_year",
            "response__age_band",
            "response__gender",
            "response__ethnic_group",
            "response__qualification",
            "response__ward",
        )
        .order_by("response_id", "theme_id")
    )
    records = []
    for row in rows:
        rid, mid, council, tid, theme, n, y, *answers = row
        records.append(
            (
                rid,
                mid,
                council,
                tid,
                theme,
                arms.get(mid),
                totals.get(tid, 0),
                n,
                y,
                *answers,
                *panel.get(mid, ("", "", "")),
                wave_year,
            )
        )
    frame = pd.DataFrame.from_records(records, columns=CASE_COLUMNS)
    for column in (
        "collective",
        "efficacy",
        "time_now",
        "time_more",
        "conditions",
        "satisfaction_information",
        "satisfaction_consultation",
        "satisfaction_response",
        "birth_year",
    ):
        frame[column] = frame[column].astype("Float64").astype(float)
    return frame


def load_mode_counts(wave_ids: list[int]) -> dict[str, int]:
    """Return the waves' complete responses by how they were collected (web, paper, phone)."""
    counts = dict(
        Response.objects.filter(wave_id__in=wave_ids, status=ResponseStatus.COMPLETE)
        .values_list("mode")
        .annotate(n=Count("pk"))
    )
    return {mode: counts.get(mode, 0) for mode in ResponseMode.values}


def load_response_counts(wave_id: int) -> dict[str, int]:
    """Return how many members the wave invited, and how many left it partial or completed it."""
    responses = Response.objects.filter(wave_id=wave_id).aggregate(
        partial=Count("pk", filter=Q(status=ResponseStatus.PARTIAL)),
        completed=Count("pk", filter=Q(status=ResponseStatus.COMPLETE)),
    )
    return {"invited": Invitation.objects.filter(wave_id=wave_id).count(), **responses}


def load_flow_frame(wave_id: int) -> pd.DataFrame:
    """Return one row per invited or assigned member: arm, exposure and response status."""
    invited = set(Invitation.objects.filter(wave_id=wave_id).values_list("member_id", flat=True))
    arms = dict(Assignment.objects.filter(wave_id=wave_id).values_list("member_id", "arm"))
    exposed = set(
        Exposure.objects.filter(response__wave_id=wave_id).values_list(
            "response__member_id", flat=True
        )
    )
    statuses = dict(Response.objects.filter(wave_id=wave_id).values_list("member_id", "status"))
    members = invited | set(arms)
    panel = {
        pk: (ward, age_band, gender)
        for pk, ward, age_band, gender in PanelMember.objects.filter(pk__in=members).values_list(
            "pk", "ward", "age_band", "gender"
        )
    }
    records = [
        (
            mid,
            arms.get(mid),
            mid in invited,
            mid in arms,
            mid in exposed,
            statuses.get(mid, ""),
            *panel.get(mid, ("", "", "")),
        )
        for mid in sorted(members)
    ]
    return pd.DataFrame.from_records(records, columns=FLOW_COLUMNS)


def load_item_frame(wave_id: int) -> pd.DataFrame:
    """Return one row per complete response × activity: the yes/no answer (None if skipped)."""
    from experiments.models import ActivityAnswer

    rows = ActivityAnswer.objects.filter(
        theme_answer__response__wave_id=wave_id,
        theme_answer__response__status=ResponseStatus.COMPLETE,
    ).values_list(
        "theme_answer__response_id",
        "theme_answer__response__wave__council__name",
        "theme_answer__theme__name_en",
        "activity_id",
        "done",
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["response_id", "council", "theme", "activity_id", "done"]
    )
    frame["case"] = frame["council"].astype(str) + " — " + frame["theme"].astype(str)
    frame["done"] = frame["done"].astype("float")
    return frame


def wave_council_id(wave_id: int) -> int:
    return Wave.objects.values_list("council_id", flat=True).get(pk=wave_id)


def load_power_inputs(wave_id: int | Wave, *, alpha: float = 0.05, power: float = 0.80):
    """Return the planner's inputs for a wave: panel per stratum, rates, SDs and the design.

    Empty wave fields fall back to the council's earlier closed waves (the latest with
    completes), else to the documented defaults of `analysis.power`.
    """
    from analysis import power as power_module
    from analysis.indices import prepare
    from analysis.plan import AnalysisPlan
    from experiments.models import WaveStatus

    wave = (
        wave_id
        if isinstance(wave_id, Wave)
        else Wave.objects.select_related("council").get(pk=wave_id)
    )
    strata = [name for name in wave.strata.split(",") if name]
    active = PanelMember.objects.filter(council_id=wave.council_id, status="active")
    panel_by_stratum: dict[str, int] = {}
    if strata:
        for row in active.values(*strata).annotate(n=Count("pk")).order_by(*strata):
            panel_by_stratum[" · ".join(str(row[name] or "—") for name in strata)] = row["n"]
    in_household = ~Q(household_key="")
    sizes = active.aggregate(
        households=Count("household_key", distinct=True, filter=in_household),
        members=Count("pk"),
        singles=Count("pk", filter=Q(household_key="")),
    )
    if not strata:
        panel_by_stratum["All members"] = sizes["members"]
    units = sizes["households"] + sizes["singles"]
    cluster_size = sizes["members"] / units if units else 1.0

    previous = (
        Wave.objects.filter(council_id=wave.council_id, status=WaveStatus.CLOSED)
        .exclude(pk=wave.pk)
        .annotate(
            completes=Count("responses", filter=Q(responses__status=ResponseStatus.COMPLETE)),
        )
        .filter(completes__gt=0)
        .order_by("-closed_at", "-pk")
    )
    latest = previous.first()
    rate, rate_source = power_module.DEFAULT_RESPONSE_RATE, "default"
    if wave.expected_response_rate is not None:
        rate, rate_source = wave.expected_response_rate, "entered"
    elif latest is not None:
        invited = Invitation.objects.filter(wave=latest).count() or sizes["members"]
        if invited:
            rate = min(latest.completes / invited, 1.0)
            rate_source = f"wave “{latest.title}”"
    entered = {
        "individual": wave.expected_sd_individual,
        "collective_any": wave.expected_sd_collective,
    }
    sd = dict(power_module.DEFAULT_SD)
    sd_source = dict.fromkeys(sd, "default")
    observed = {}
    if latest is not None and any(value is None for value in entered.values()):
        frame = prepare(load_case_frame(latest.pk), AnalysisPlan())
        for outcome in sd:
            values = frame[outcome].dropna()
            if len(values) >= 30 and values.std(ddof=1) > 0:
                observed[outcome] = float(values.std(ddof=1))
    for outcome in sd:
        if entered[outcome] is not None:
            sd[outcome], sd_source[outcome] = entered[outcome], "entered"
        elif outcome in observed:
            sd[outcome], sd_source[outcome] = observed[outcome], f"wave “{latest.title}”"
    themes = list(
        WaveTheme.objects.filter(wave=wave)
        .order_by("position", "pk")
        .values_list("theme__name_en", flat=True)
    )
    icc = wave.intra_cluster_correlation
    return power_module.PowerInputs(
        panel_by_stratum=panel_by_stratum,
        response_rate=rate,
        response_rate_source=rate_source,
        sd=sd,
        sd_source=sd_source,
        themes=themes,
        experiment_on=wave.experiment_on,
        scheme=wave.allocation_scheme,
        strata=strata,
        cluster_size=cluster_size,
        icc=power_module.DEFAULT_ICC if icc is None else icc,
        hoped_for_effect=wave.hoped_for_effect,
        alpha=alpha,
        power=power,
    )


def plan_wave_power(wave_id: int | Wave):
    """Return the wave's power plan (`analysis.power.PowerPlan`) from its current set-up.

    Pass the wave itself to spare a query.
    """
    from analysis.power import plan_power

    return plan_power(load_power_inputs(wave_id))


def load_paradata(wave_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the page visits and the device record of the wave's complete responses.

    Visits: response_id, page, shown_at, submitted_at. Responses: response_id,
    device_hash, first_seen_at (when the response began).
    """
    from experiments.models import PageVisit

    complete = Q(response__wave_id=wave_id, response__status=ResponseStatus.COMPLETE)
    visits = pd.DataFrame.from_records(
        list(
            PageVisit.objects.filter(complete)
            .order_by("response_id", "shown_at", "pk")
            .values_list("response_id", "page", "shown_at", "submitted_at")
        ),
        columns=["response_id", "page", "shown_at", "submitted_at"],
    )
    for column in ("shown_at", "submitted_at"):
        visits[column] = pd.to_datetime(visits[column], utc=True)
    responses = pd.DataFrame.from_records(
        list(
            Response.objects.filter(wave_id=wave_id, status=ResponseStatus.COMPLETE)
            .order_by("pk")
            .values_list("pk", "device_hash", "started_at")
        ),
        columns=["response_id", "device_hash", "first_seen_at"],
    )
    responses["first_seen_at"] = pd.to_datetime(responses["first_seen_at"], utc=True)
    return visits, responses


def load_recall_frame(wave_id: int) -> pd.DataFrame:
    """Return the manipulation-check answers of complete responses.

    Columns: response_id, theme_id, recalled (a `RecalledNudge` code, which matches the
    arm codes).
    """
    rows = (
        ThemeAnswer.objects.filter(
            response__wave_id=wave_id, response__status=ResponseStatus.COMPLETE
        )
        .exclude(recalled_nudge="")
        .values_list("response_id", "theme_id", "recalled_nudge")
    )
    return pd.DataFrame.from_records(list(rows), columns=["response_id", "theme_id", "recalled"])


@dataclass(frozen=True)
class RunFrames:
    """Every frame a run computes from, over all its waves."""

    cases: pd.DataFrame
    flow: pd.DataFrame
    items: pd.DataFrame
    quality: pd.DataFrame
    recall: pd.DataFrame


def case_council_labels(wave_ids: list[int]) -> dict[int, str]:
    """Return the council label of each wave's cases, unique across the waves of one run.

    A case is a council × theme of a wave: when a run holds two waves of one council, the
    wave's title (and, if needed, its id) tells their cases apart. A single wave, or waves
    of different councils, keep the council's name, as in each wave's own run.
    """
    waves = list(Wave.objects.filter(pk__in=wave_ids).select_related("council").order_by("pk"))
    per_council = Counter(wave.council_id for wave in waves)
    labels = {
        wave.pk: (
            wave.council.name
            if per_council[wave.council_id] == 1
            else f"{wave.council.name} ({wave.title})"
        )
        for wave in waves
    }
    repeated = Counter(labels.values())
    return {pk: label if repeated[label] == 1 else f"{label} #{pk}" for pk, label in labels.items()}


def theme_welsh_names(wave_ids: list[int]) -> dict[int, str]:
    """Return the Welsh name of each theme of these waves (blank where there is none)."""
    return dict(
        WaveTheme.objects.filter(wave_id__in=wave_ids).values_list("theme_id", "theme__name_cy")
    )


def load_run_frames(wave_ids: list[int]) -> RunFrames:
    """Return the stacked frames of these waves, each wave's cases labelled apart.

    Each case row carries its wave (`wave_id`: multiplicity families never span waves)
    and its theme's Welsh name (`theme_cy`, for the Welsh report). Response quality is
    flagged within each wave (the speeder rule compares a response with its own wave's
    completes), then stacked like the rest.
    """
    labels = case_council_labels(wave_ids) if len(wave_ids) > 1 else {}
    welsh = theme_welsh_names(wave_ids)
    cases, flows, items, flags, recalls = [], [], [], [], []
    for wave_id in wave_ids:
        frame = load_case_frame(wave_id)
        frame["wave_id"] = wave_id
        frame["theme_cy"] = frame["theme_id"].map(welsh).fillna("").astype(str)
        item_frame = load_item_frame(wave_id)
        if wave_id in labels:
            frame["council"] = labels[wave_id]
            item_frame["council"] = labels[wave_id]
            item_frame["case"] = labels[wave_id] + " — " + item_frame["theme"].astype(str)
        visits, devices = load_paradata(wave_id)
        cases.append(frame)
        flows.append(load_flow_frame(wave_id))
        items.append(item_frame)
        flags.append(response_quality.quality_flags(frame, visits=visits, responses=devices))
        recalls.append(load_recall_frame(wave_id))
    if len(wave_ids) == 1:
        return RunFrames(cases[0], flows[0], items[0], flags[0], recalls[0])

    def stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
        kept = [frame for frame in frames if len(frame)]
        return pd.concat(kept, ignore_index=True) if kept else frames[0]

    return RunFrames(stack(cases), stack(flows), stack(items), stack(flags), stack(recalls))


def wave_input_facts(wave_ids: list[int]) -> list[list]:
    """Return cheap facts that change whenever a wave's analysed inputs change.

    Counts and latest change of responses, answers and assignments: a request for a run
    with the same facts can reuse an earlier run without loading the frames.
    """
    facts = []
    for wave_id in sorted(wave_ids):
        responses = Response.objects.filter(wave_id=wave_id).aggregate(
            n=Count("pk"), last=Max("updated_at")
        )
        answers = ThemeAnswer.objects.filter(response__wave_id=wave_id).aggregate(
            n=Count("pk"), last=Max("saved_at")
        )
        assignments = Assignment.objects.filter(wave_id=wave_id).aggregate(
            n=Count("pk"), last=Max("pk")
        )
        facts.append(
            [
                wave_id,
                responses["n"],
                str(responses["last"]),
                answers["n"],
                str(answers["last"]),
                assignments["n"],
                assignments["last"],
            ]
        )
    return facts


def load_deviations(wave_id: int) -> list[dict]:
    """Return what departs from the design and plan frozen when the wave opened, as plain records.

    Kinds: "plan_changed" (the wave's analysis plan is not the one frozen with its design),
    "nudge_text" (a nudge text edited after opening, a new version flagged as a deviation)
    and the other kinds the domain records (`experiments.models.Deviation`, e.g. a moved
    closing time, with its text). The report and the pre-registration document list them.
    """
    from analysis.plan import AnalysisPlan
    from experiments.models import Deviation, DeviationKind, NudgeText

    wave = Wave.objects.only("analysis_plan", "design").get(pk=wave_id)
    deviations = []
    frozen = (wave.design or {}).get("analysis_plan")
    current = AnalysisPlan.from_dict(wave.analysis_plan)
    if frozen is not None and AnalysisPlan.from_dict(frozen).plan_hash != current.plan_hash:
        deviations.append({"kind": "plan_changed", "wave_id": wave_id})
    texts = (
        NudgeText.objects.filter(wave_id=wave_id, is_deviation=True)
        .select_related("theme")
        .order_by("created_at", "pk")
    )
    for text in texts:
        deviations.append(
            {
                "kind": "nudge_text",
                "wave_id": wave_id,
                "nudge": text.nudge,
                "theme": text.theme.name_en,
                "theme_cy": text.theme.name_cy,
                "version": text.version,
                "at": text.created_at.isoformat(),
            }
        )
    # Other changes made after opening, recorded by the domain (a moved closing time).
    for deviation in (
        Deviation.objects.filter(wave_id=wave_id)
        .exclude(kind=DeviationKind.NUDGE_TEXT)
        .order_by("at", "pk")
    ):
        deviations.append(
            {
                "kind": deviation.kind,
                "wave_id": wave_id,
                "text": deviation.summary,
                "at": deviation.at.isoformat(),
            }
        )
    return deviations


def load_preregistration_facts(wave_id: int) -> dict | None:
    """Return what the wave's pre-analysis plan is written from, as plain values; None if unopened.

    The design (arms, allocation, nudge texts, power plan, analysis plan) is the one frozen
    when the wave opened, with its hash and opening time; the themes' names, activities and
    question wording are those the wave asked, which cannot change once it has opened.
    """
    from experiments.questionnaires import theme_pages

    wave = Wave.objects.select_related("council").get(pk=wave_id)
    if wave.opened_at is None or not wave.design_hash:
        return None
    pages = {
        language: {page.theme_id: page for page in theme_pages(wave, language=language)}
        for language in ("en", "cy")
    }
    themes = []
    for theme_id, english in pages["en"].items():
        welsh = pages["cy"][theme_id]
        themes.append(
            {
                "id": theme_id,
                "name_en": english.name,
                "name_cy": welsh.name,
                "activities": [
                    {"en": a.text, "cy": w.text}
                    for a, w in zip(english.activities, welsh.activities, strict=True)
                ],
                "wording": {
                    item: {"en": english.wording[item], "cy": welsh.wording[item]}
                    for item in english.wording
                },
            }
        )
    return {
        "wave_id": wave.pk,
        "title": wave.title,
        "council": wave.council.name,
        "nation": wave.council.nation,
        "opened_at": wave.opened_at.isoformat(),
        "design_hash": wave.design_hash,
        "design": wave.design or {},
        "asks_time_now": wave.asks_time_now,
        "asks_time_more": wave.asks_time_more,
        "manipulation_check": wave.manipulation_check,
        "themes": themes,
    }
