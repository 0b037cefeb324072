"""The only module of `analysis` that reads the ORM: it turns a wave into a tidy frame."""

import pandas as pd
from django.db.models import Count, Q

from experiments.models import Assignment, ResponseStatus, ThemeAnswer, WaveTheme

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
]


def load_case_frame(wave_id: int) -> pd.DataFrame:
    """Return one row per complete response × theme of the wave (a case is a theme)."""
    totals = dict(
        WaveTheme.objects.filter(wave_id=wave_id)
        .annotate(n=Count("theme__activities"))
        .values_list("theme_id", "n")
    )
    arms = dict(Assignment.objects.filter(wave_id=wave_id).values_list("member_id", "arm"))
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
        )
        .order_by("response_id", "theme_id")
    )
    records = [
        (rid, mid, council, tid, theme, arms.get(mid), totals.get(tid, 0), n, y, coll, eff)
        for rid, mid, council, tid, theme, n, y, coll, eff in rows
    ]
    return pd.DataFrame.from_records(records, columns=CASE_COLUMNS)
