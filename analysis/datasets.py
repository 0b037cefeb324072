"""The only module of `analysis` that reads the ORM: it turns a wave into tidy frames."""

import pandas as pd
from django.db.models import Count, Q

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


def load_mode_counts(wave_id: int) -> dict[str, int]:
    """Return the wave's complete responses by how they were collected (web, paper, phone)."""
    counts = dict(
        Response.objects.filter(wave_id=wave_id, status=ResponseStatus.COMPLETE)
        .values_list("mode")
        .annotate(n=Count("pk"))
    )
    return {mode: counts.get(mode, 0) for mode in ResponseMode.values}


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
