"""The demo's synthetic waves hold the instrument's own codes and export in every format."""

from dataclasses import replace

import pandas as pd
import pytest

from analysis.indices import prepare
from analysis.plan import AnalysisPlan
from analysis.synthetic import STUDY_COUNCILS, generate_council
from experiments.demo import _seed_closed_council
from experiments.models import AgeBand, EthnicGroup, Gender, Qualification, Response
from exports import cells, jobs
from panel.models import PanelMember

pytestmark = pytest.mark.django_db


def _small_closed_wave():
    spec = replace(STUDY_COUNCILS[1], respondents=24)
    _council, wave, _created = _seed_closed_council(spec, seed=11)
    return wave


def test_the_generator_writes_only_codes_the_questionnaire_offers():
    people = generate_council(STUDY_COUNCILS[0], seed=5).respondents

    assert set(people["age_band"]) <= set(AgeBand.values)
    assert set(people["gender"]) <= set(Gender.values)
    assert set(people["ethnic_group"]) <= set(EthnicGroup.values)
    assert set(people["qualification"]) <= set(Qualification.values)


def test_every_profile_answer_of_the_demo_wave_is_an_instrument_code():
    wave = _small_closed_wave()

    complete = Response.objects.filter(wave=wave, status="complete")
    assert set(complete.values_list("age_band", flat=True)) <= set(AgeBand.values)
    assert set(complete.values_list("gender", flat=True)) <= set(Gender.values)
    assert set(
        PanelMember.objects.filter(council=wave.council).values_list("gender", flat=True)
    ) <= set(Gender.values)


@pytest.mark.parametrize("format", ["csv_tidy", "csv_wide", "dta", "sav", "bundle"])
def test_a_demo_wave_exports_in_every_format(format, tmp_path):
    wave = _small_closed_wave()
    path = tmp_path / f"out.{format}"

    jobs.write_export(path, wave_ids=[wave.pk], format=format)

    assert path.stat().st_size > 0


def test_an_answer_outside_the_instrument_s_codes_names_the_variable_and_value(tmp_path):
    wave = _small_closed_wave()
    Response.objects.filter(wave=wave, status="complete").update(gender="female")

    with pytest.raises(cells.ExportError, match=r"gender.*'female'"):
        jobs.write_export(tmp_path / "out.csv", wave_ids=[wave.pk], format="csv_tidy")


def test_the_degree_and_ethnic_correlates_read_the_instrument_codes():
    frame = pd.DataFrame(
        {
            "council": "C",
            "theme": "T",
            "collective": [1, 2, 3, 1],
            "time_now": None,
            "time_more": None,
            "efficacy": 1,
            "conditions": 1,
            "satisfaction_information": 1,
            "satisfaction_consultation": 1,
            "satisfaction_response": 1,
            "wave_year": 2026,
            "birth_year": 1970,
            "gender": ["woman", "man", "not_said", "other"],
            "ethnic_group": ["white", "asian", "not_said", ""],
            "qualification": ["level_4", "level_1_2", "not_said", "none"],
            "activities_total": 4,
            "activities_answered": 4,
            "activities_yes": 2,
        }
    )
    out = prepare(frame, AnalysisPlan())

    assert out["degree"].tolist()[:2] == [1.0, 0.0]
    assert pd.isna(out["degree"].iat[2])
    assert out["degree"].iat[3] == 0.0
    assert out["ethnic_minority"].tolist()[:2] == [0.0, 1.0]
    assert out["ethnic_minority"].iloc[2:].isna().all()
    assert out["male"].tolist()[:2] == [0.0, 1.0]
    assert out["male"].iloc[2:].isna().all()
