"""The analysis results and the exports compute each index the same way, under any plan.

Both read the definitions of `analysis.indices`; each is checked here against numbers
worked out by hand from the answers below, for the default plan and two others.
"""

import math
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from analysis import datasets, indices
from analysis.models import AnalysisRun
from analysis.plan import AnalysisPlan
from analysis.runs import execute_run
from experiments.models import ActivityAnswer, Assignment, Response, ThemeAnswer, WaveStatus
from exports import jobs
from tests.analysis.test_exports import read_csv
from tests.factories import ActivityFactory, PanelMemberFactory, WaveFactory, WaveThemeFactory

pytestmark = pytest.mark.django_db

NOT_ASKED = "-"  # no answer row at all, as a skipped page leaves it
# Per ward: the four activities (True yes, False no, None "left blank", "-" no row),
# the collective code (1 often, 2 sometimes, 3 never) and the time-given code (1–4).
ANSWERS = {
    "Central": ([True, True, True, NOT_ASKED], 1, 1),  # 3 of 4 answered, 3 yes
    "North": ([True, False, None, NOT_ASKED], 2, 2),  # 2 answered, 1 yes
    "South": ([None, NOT_ASKED, NOT_ASKED, True], 3, 3),  # 1 answered, 1 yes
    "West": ([False, False, False, False], None, 4),  # 4 answered, none yes
}
# (plan, individual index by ward, gives time by ward), worked out by hand.
PLANS = {
    "default": (
        AnalysisPlan(),
        {"Central": 1.0, "North": 0.5, "South": None, "West": 0.0},
        {"Central": 0, "North": 0, "South": 1, "West": 1},
    ),
    "missing as no, time from weekly": (
        AnalysisPlan(index_missing_rule="missing_as_no", time_threshold_code=4),
        {"Central": 0.75, "North": 0.25, "South": 0.25, "West": 0.0},
        {"Central": 0, "North": 0, "South": 0, "West": 1},
    ),
    "three quarters answered, time from yearly": (
        AnalysisPlan(index_min_answered_share=0.75, time_threshold_code=2),
        {"Central": 1.0, "North": None, "South": None, "West": 0.0},
        {"Central": 0, "North": 1, "South": 1, "West": 1},
    ),
}
JOINS_GROUPS = {"Central": 1, "North": 1, "South": 0, "West": None}


def _closed_wave(plan: AnalysisPlan):
    wave = WaveFactory(analysis_plan=plan.to_dict())
    theme = WaveThemeFactory(wave=wave).theme
    activities = [ActivityFactory(theme=theme) for _ in range(4)]
    for ward, (done, collective, time_now) in ANSWERS.items():
        member = PanelMemberFactory(council=wave.council, ward=ward)
        Assignment.objects.create(wave=wave, member=member, arm="a", scheme="simple")
        response = Response.objects.create(
            wave=wave, member=member, status="complete", submitted_at=timezone.now(), ward=ward
        )
        answer = ThemeAnswer.objects.create(
            response=response, theme=theme, collective=collective, time_now=time_now
        )
        for activity, value in zip(activities, done, strict=True):
            if value != NOT_ASKED:
                ActivityAnswer.objects.create(theme_answer=answer, activity=activity, done=value)
    wave.status, wave.closed_at = WaveStatus.CLOSED, timezone.now()
    wave.save(update_fields=["status", "closed_at"])
    return wave


def _missing_as_none(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


@pytest.mark.parametrize("case", list(PLANS))
def test_the_results_and_the_tidy_export_give_each_member_the_same_indices(case):
    plan, individual, time_given = PLANS[case]
    wave = _closed_wave(plan)

    # The analysis: the case frame as a run reads it, prepared under the wave's plan.
    frame = indices.prepare(datasets.load_case_frame(wave.pk), plan)
    wards = dict(Response.objects.filter(wave=wave).values_list("pk", "ward"))
    analysed = {
        wards[row.response_id]: (row.individual, row.gives_time_now, row.collective_any)
        for row in frame.itertuples()
    }
    # The export: the tidy file a researcher downloads.
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "tidy.csv"
        jobs.write_export(path, wave_ids=[wave.pk], format="csv_tidy")
        exported = {
            row.ward: (row.individual_index, row.gives_time, row.collective_any)
            for row in read_csv(path.read_bytes()).itertuples()
        }

    for ward in ANSWERS:
        expected = (individual[ward], time_given[ward], JOINS_GROUPS[ward])
        assert tuple(map(_missing_as_none, analysed[ward])) == pytest.approx(expected), ward
        assert tuple(map(_missing_as_none, exported[ward])) == pytest.approx(expected), ward


@pytest.mark.parametrize("case", list(PLANS))
def test_a_runs_case_mean_is_the_mean_of_the_hand_worked_indices(case):
    plan, individual, _time_given = PLANS[case]
    wave = _closed_wave(plan)

    run = execute_run(AnalysisRun.objects.create(wave=wave).pk)

    defined = [value for value in individual.values() if value is not None]
    (summary,) = run.results["cases"]
    assert summary["individual_index"] == pytest.approx(sum(defined) / len(defined))
    assert summary["collective_index"] == pytest.approx(2 / 3)
