"""Analysis runs over a set of waves: scope, deduplication, and tables equal to each wave's own."""

import io
import re

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.tokens import issue_token
from analysis.models import AnalysisRun, RunStatus
from analysis.runs import AnalysisRequestError, execute_run, request_analysis_over
from analysis.synthetic import CouncilSpec, ThemeSpec, generate_council
from experiments.demo import write_synthetic_wave
from experiments.models import CouncilRole, Response, ThemeAnswer
from outbox.models import OutboxMessage
from surveyplatform.domain import NotFound
from tests.factories import (
    ActivityFactory,
    CouncilFactory,
    CouncilMembershipFactory,
    NudgeTextFactory,
    ThemeFactory,
    WaveFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Keep the PDFs made by these tests out of the project's media directory."""
    settings.MEDIA_ROOT = tmp_path


def spec(council: str, respondents: int) -> CouncilSpec:
    return CouncilSpec(
        council=council,
        respondents=respondents,
        experiment=True,
        themes=(
            ThemeSpec("Local environment", "environment", 3, 0.6, 0.2, 0.3, 0.4, time_now=0.3),
        ),
    )


def closed_wave(council, theme, *, respondents: int, seed: int):
    """Write a closed wave of synthetic answers to one theme, and run its own analysis."""
    wave = WaveFactory(council=council, status="closed", closed_at=timezone.now())
    wave.wave_themes.create(theme=theme)
    NudgeTextFactory(wave=wave, theme=theme, nudge="a")
    NudgeTextFactory(wave=wave, theme=theme, nudge="b")
    write_synthetic_wave(
        wave,
        generate_council(spec(council.name, respondents), seed=seed),
        themes={"Local environment": theme},
        seed=seed,
    )
    execute_run(AnalysisRun.objects.create(wave=wave).pk)
    return wave


def theme_of(council):
    theme = ThemeFactory(council=council, name_en="Local environment")
    for position in range(3):
        ActivityFactory(theme=theme, position=position)
    return theme


@pytest.fixture
def waves():
    """Two councils, Avon and Brecon, with a closed wave each."""
    avon = CouncilFactory(name="Avon")
    brecon = CouncilFactory(name="Brecon")
    return {
        "avon_1": closed_wave(avon, theme_of(avon), respondents=90, seed=3),
        "brecon": closed_wave(brecon, theme_of(brecon), respondents=80, seed=5),
    }


@pytest.fixture
def second_avon_wave(waves):
    """A second closed wave of Avon, on the same theme as its first."""
    first = waves["avon_1"]
    return closed_wave(first.council, first.themes.get(), respondents=70, seed=4)


def researcher_of(*councils):
    user = CouncilMembershipFactory(council=councils[0], role=CouncilRole.RESEARCHER).user
    for council in councils[1:]:
        CouncilMembershipFactory(user=user, council=council, role=CouncilRole.RESEARCHER)
    return user


def own_run(wave) -> AnalysisRun:
    return AnalysisRun.objects.get(wave=wave, status=RunStatus.DONE)


def by_case(rows: list[dict], relabel: dict[str, str] | None = None) -> dict[str, dict]:
    """Key rows by case; `relabel` renames a case (in the key and in the row)."""
    relabel = relabel or {}
    keyed = {}
    for row in rows:
        case = relabel.get(row["case"], row["case"])
        keyed[case] = {**row, "case": case}
    return keyed


def test_a_run_over_waves_of_two_councils_has_each_waves_tables_for_its_cases(waves):
    # Given the own runs of a wave of Avon and of Brecon
    avon, brecon = waves["avon_1"], waves["brecon"]
    user = researcher_of(avon.council, brecon.council)

    # When a researcher runs the analysis over both
    run = execute_run(request_analysis_over(user, wave_ids=[brecon.pk, avon.pk]).pk)

    # Then its cases are the union of the two waves' cases, with the same levels, time
    # and per-case nudge estimates (the Holm family now spans both waves, so only the
    # adjusted p-values may differ)
    assert run.status == RunStatus.DONE
    assert run.wave is None
    assert run.wave_ids == sorted([avon.pk, brecon.pk])
    singles = [own_run(avon).results, own_run(brecon).results]
    union = {case: row for results in singles for case, row in by_case(results["levels"]).items()}
    assert set(union) == {"Avon — Local environment", "Brecon — Local environment"}
    assert by_case(run.results["levels"]) == union
    assert by_case(run.results["time"]) == {
        case: row for results in singles for case, row in by_case(results["time"]).items()
    }

    def estimates(rows):
        return {
            (row["case"], row["outcome"], term["term"]): (row["n"], term["estimate"], term["se"])
            for row in rows
            for term in row.get("terms", [])
        }

    assert estimates(run.results["nudges"]["rows"]) == {
        key: value
        for results in singles
        for key, value in estimates(results["nudges"]["rows"]).items()
    }
    # and the pooled estimate takes every case row of both waves
    pooled = {p["outcome"]: p for p in run.results["nudges"]["pooled"]}
    assert pooled["individual"]["cases"] == 2
    complete = Response.objects.filter(wave__in=[avon, brecon], status="complete").count()
    assert run.results["n_respondents"] == complete
    assert run.results["n_respondents"] == sum(r["n_respondents"] for r in singles)
    # and it records its inputs, software and a design hash combining the two waves'
    assert len(run.input_hash) == 64
    assert run.plan_hash == own_run(avon).plan_hash
    assert run.design_hash not in (own_run(avon).design_hash, own_run(brecon).design_hash)
    assert run.software["statsmodels"]


def test_two_waves_of_one_council_keep_their_cases_apart_by_wave_title(waves, second_avon_wave):
    first, second = waves["avon_1"], second_avon_wave
    user = researcher_of(first.council)

    run = execute_run(request_analysis_over(user, wave_ids=[first.pk, second.pk]).pk)

    # The same theme in two waves is two cases, each with its own wave's levels
    relabel = {
        "Avon — Local environment": f"Avon ({first.title}) — Local environment",
    }
    expected = by_case(own_run(first).results["levels"], relabel)
    relabel = {"Avon — Local environment": f"Avon ({second.title}) — Local environment"}
    expected |= by_case(own_run(second).results["levels"], relabel)
    assert by_case(run.results["levels"]) == expected
    assert len(expected) == 2


def test_asking_twice_for_the_same_waves_queues_one_run(waves):
    avon, brecon = waves["avon_1"], waves["brecon"]
    user = researcher_of(avon.council, brecon.council)
    other = researcher_of(avon.council, brecon.council)
    queued = OutboxMessage.objects.filter(task_name="analysis.tasks.run_analysis").count()

    first = request_analysis_over(user, wave_ids=[avon.pk, brecon.pk])
    again = request_analysis_over(other, wave_ids=[brecon.pk, avon.pk, avon.pk])
    execute_run(first.pk)
    after_done = request_analysis_over(user, wave_ids=[avon.pk, brecon.pk])

    assert again.pk == first.pk == after_done.pk
    assert AnalysisRun.objects.filter(wave__isnull=True).count() == 1
    message = OutboxMessage.objects.filter(task_name="analysis.tasks.run_analysis").latest("pk")
    assert message.kwargs == {"run_id": first.pk}
    assert (
        OutboxMessage.objects.filter(task_name="analysis.tasks.run_analysis").count() == queued + 1
    )


def test_a_changed_answer_queues_a_new_run_which_reuses_equal_results(waves):
    avon, brecon = waves["avon_1"], waves["brecon"]
    user = researcher_of(avon.council, brecon.council)
    first = execute_run(request_analysis_over(user, wave_ids=[avon.pk, brecon.pk]).pk)

    # When an answer is saved again (same values: the frames do not change)
    answer = ThemeAnswer.objects.filter(response__wave=avon).first()
    answer.save()
    second = request_analysis_over(user, wave_ids=[avon.pk, brecon.pk])

    # Then a new run is queued, and computing it finds the same inputs and reuses the results
    assert second.pk != first.pk
    second = execute_run(second.pk)
    assert second.input_hash == first.input_hash
    assert second.reused_from_id == first.pk
    assert second.results["levels"] == first.results["levels"]


def test_too_many_no_waves_still_open_or_different_plans_are_refused_and_nothing_is_made(
    waves,
):
    avon, brecon = waves["avon_1"], waves["brecon"]
    user = researcher_of(avon.council, brecon.council)
    brecon.analysis_plan = {**brecon.analysis_plan, "min_per_category": 40}
    brecon.save(update_fields=["analysis_plan"])
    open_wave = WaveFactory(council=avon.council)
    before = AnalysisRun.objects.count()

    with pytest.raises(AnalysisRequestError, match="different analysis plans"):
        request_analysis_over(user, wave_ids=[avon.pk, brecon.pk])
    with pytest.raises(AnalysisRequestError, match=open_wave.title):
        request_analysis_over(user, wave_ids=[avon.pk, open_wave.pk])
    with pytest.raises(AnalysisRequestError, match="at most 100 waves"):
        request_analysis_over(user, wave_ids=range(1, 102))
    with pytest.raises(AnalysisRequestError, match="at least one wave"):
        request_analysis_over(user, wave_ids=[])

    assert AnalysisRun.objects.count() == before


def test_a_wave_of_a_council_the_user_may_not_see_answers_not_found_and_creates_nothing(
    client, waves
):
    avon, brecon = waves["avon_1"], waves["brecon"]
    client.force_login(researcher_of(avon.council))
    before = (AnalysisRun.objects.count(), OutboxMessage.objects.count())

    response = client.post(reverse("analysis:runs"), {"waves": [avon.pk, brecon.pk]})

    assert response.status_code == 404
    assert (AnalysisRun.objects.count(), OutboxMessage.objects.count()) == before
    with pytest.raises(NotFound):
        request_analysis_over(researcher_of(avon.council), wave_ids=[avon.pk, brecon.pk])


def test_a_run_holding_another_councils_wave_is_not_found_on_the_page_or_in_the_api(client, waves):
    avon, brecon = waves["avon_1"], waves["brecon"]
    run = request_analysis_over(
        researcher_of(avon.council, brecon.council), wave_ids=[avon.pk, brecon.pk]
    )
    execute_run(run.pk)
    avon_only = researcher_of(avon.council)
    client.force_login(avon_only)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(avon_only).key}")

    page = client.get(reverse("analysis:run_results", args=[run.pk]))
    pdf = client.get(reverse("analysis:run_results", args=[run.pk]), {"download": "pdf"})
    listed = client.get(reverse("analysis:runs"))
    detail = api.get(f"/api/v1/analysis-runs/{run.pk}/")
    runs = api.get("/api/v1/analysis-runs/").json()["results"]

    assert page.status_code == pdf.status_code == detail.status_code == 404
    assert f"#{run.pk}<" not in listed.content.decode()
    assert run.pk not in [r["id"] for r in runs]
    assert own_run(avon).pk in [r["id"] for r in runs]


def test_the_page_queues_a_run_and_shows_the_tables_over_all_chosen_cases(
    client, waves, django_capture_on_commit_callbacks
):
    avon, brecon = waves["avon_1"], waves["brecon"]
    client.force_login(researcher_of(avon.council, brecon.council))

    # The form offers both councils' closed waves
    form = client.get(reverse("analysis:runs")).content.decode()
    assert f"Avon: {avon.title}" in form
    assert f"Brecon: {brecon.title}" in form

    # Posting them queues the run through the outbox; the worker (in process) computes it
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("analysis:runs"), {"waves": [avon.pk, brecon.pk]})
    run = AnalysisRun.objects.get(wave__isnull=True)
    assert response.status_code == 302
    assert response["Location"] == reverse("analysis:run_results", args=[run.pk])
    run.refresh_from_db()
    assert run.status == RunStatus.DONE

    html = client.get(response["Location"]).content.decode()
    for heading in ("Table 1.", "Table 2.", "Table 3.", "Table 4.", "Table 5."):
        assert heading in html
    assert "One analysis over 2 waves" in html
    assert "<td>Avon — Local environment</td>" in html
    assert "<td>Brecon — Local environment</td>" in html
    assert "Pooled across cases" in html

    pdf = client.get(response["Location"], {"download": "pdf"})
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Table 1. Levels of individual and collective co-production" in text
    assert "Brecon — Local environment" in text


def test_a_queued_run_says_so_and_reloads_itself(client, waves):
    avon, brecon = waves["avon_1"], waves["brecon"]
    user = researcher_of(avon.council, brecon.council)
    run = request_analysis_over(user, wave_ids=[avon.pk, brecon.pk])
    client.force_login(user)

    html = client.get(reverse("analysis:run_results", args=[run.pk])).content.decode()

    assert "queued or running" in html
    assert '<meta http-equiv="refresh" content="10">' in html
    assert "Table 1." not in html


def test_the_api_requests_a_run_over_waves_and_refuses_a_foreign_one(waves):
    avon, brecon = waves["avon_1"], waves["brecon"]
    user = researcher_of(avon.council, brecon.council)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user).key}")
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(researcher_of(avon.council)).key}")

    created = api.post("/api/v1/analysis-runs/", {"waves": [avon.pk, brecon.pk]}, format="json")
    refused = stranger.post(
        "/api/v1/analysis-runs/", {"waves": [avon.pk, brecon.pk]}, format="json"
    )
    malformed = api.post("/api/v1/analysis-runs/", {"waves": []}, format="json")

    assert created.status_code == 201
    assert created.json()["waves"] == sorted([avon.pk, brecon.pk])
    assert created.json()["wave"] is None
    assert created.json()["status"] == "pending"
    assert refused.status_code == 404
    assert malformed.status_code == 400
    assert AnalysisRun.objects.filter(wave__isnull=True).count() == 1
    assert api.get(f"/api/v1/analysis-runs/{created.json()['id']}/").status_code == 200


def summaries_of(html: str) -> dict[str, str]:
    """Return each case's summary paragraph of a rendered report."""
    found = re.findall(r'<div class="summary"><h3>(.*?)</h3><p>(.*?)</p></div>', html, flags=re.S)
    return {case: " ".join(text.split()) for case, text in found}


def test_a_run_over_waves_states_its_own_family_links_each_waves_report_and_keeps_its_verdicts(
    client, waves
):
    avon, brecon = waves["avon_1"], waves["brecon"]
    user = researcher_of(avon.council, brecon.council)
    run = request_analysis_over(user, wave_ids=[avon.pk, brecon.pk])
    execute_run(run.pk)
    client.force_login(user)

    with translation.override("en"):
        pooled = client.get(reverse("analysis:run_results", args=[run.pk]), {"lang": "en"})
        own = {
            wave.pk: client.get(reverse("analysis:wave_results", args=[wave.pk]), {"lang": "en"})
            for wave in (avon, brecon)
        }

    html = pooled.content.decode()
    assert "This run&#x27;s own family" in html
    for wave in (avon, brecon):
        assert f'href="{reverse("analysis:wave_results", args=[wave.pk])}"' in html
        # each case reads the same, word for word, as in its own wave's report
        mine = summaries_of(own[wave.pk].content.decode())
        assert mine
        for case, text in mine.items():
            assert summaries_of(html)[case] == text
