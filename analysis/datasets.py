"""The only module of `analysis` that reads the ORM: it turns a wave into tidy frames."""

import pandas as pd
from django.db.models import Count, Q

from experiments.models import (
    Assignment,
    Exposure,
    Invitation,
    Response,
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
