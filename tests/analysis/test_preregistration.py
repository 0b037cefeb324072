"""The pre-analysis plan written from the design frozen when a wave opens: its content, its
languages and formats, who may read it, the report's link to it and the deviations listed."""

import io
import json
import re

import pypdf
import pytest
from django.urls import reverse
from django.utils import translation

from analysis.plan import AnalysisPlan
from analysis.preregistration import build_preregistration
from experiments.models import Nation
from experiments.policy import SYSTEM
from experiments.waves import open_wave
from exports.bundle import write_reports_and_plans
from tests.factories import (
    ActivityFactory,
    CouncilFactory,
    CouncilMembershipFactory,
    NudgeTextFactory,
    PanelMemberFactory,
    ThemeFactory,
    UserFactory,
    WaveFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def opened_wave():
    """A Welsh council's wave of one theme, opened through the platform's own path."""
    council = CouncilFactory(name="Cyngor Prawf", nation=Nation.WALES)
    theme = ThemeFactory(
        council=council, name_en="Local environment", name_cy="Yr amgylchedd lleol"
    )
    ActivityFactory(theme=theme, text_en="Recycled your waste", text_cy="Ailgylchu eich gwastraff")
    ActivityFactory(theme=theme, text_en="Reported fly-tipping", text_cy="Rhoi gwybod am dipio")
    wave = WaveFactory(
        council=council,
        status="draft",
        title="Spring survey",
        allocation_scheme="blocks",
        strata="age_band",
        analysis_plan={"min_per_group": 25},
    )
    wave.wave_themes.create(theme=theme)
    PanelMemberFactory.create_batch(120, council=council, age_band="35-44")
    NudgeTextFactory(
        wave=wave,
        theme=theme,
        nudge="a",
        text_en="Neighbours already help",
        text_cy="Mae cymdogion yn helpu",
    )
    NudgeTextFactory(
        wave=wave, theme=theme, nudge="b", text_en="It takes two hours", text_cy="Dwy awr yn unig"
    )
    ActivityFactory(theme=theme)
    return open_wave(SYSTEM, wave)


@pytest.fixture
def researcher(client, opened_wave):
    membership = CouncilMembershipFactory(council=opened_wave.council, role="researcher")
    client.force_login(membership.user)
    return membership.user


def text_of(response) -> str:
    return " ".join(response.content.decode().split())


def test_a_researcher_reads_the_plan_frozen_when_the_wave_opened(client, opened_wave, researcher):
    opened_wave.refresh_from_db()
    url = reverse("analysis:preregistration", args=[opened_wave.pk])

    with translation.override("en"):
        html = text_of(client.get(url, {"lang": "en"}))

    plan = AnalysisPlan.from_dict(opened_wave.design["analysis_plan"])
    assert "Pre-analysis plan: Spring survey — Cyngor Prawf" in html
    assert opened_wave.design_hash in html
    assert plan.plan_hash in html
    assert opened_wave.opened_at.strftime("%Y-%m-%d %H:%M") in html
    # three confirmatory hypotheses, on the collective index, one per nudge contrast
    assert html.count("changes the collective index compared with showing no nudge") == 3
    # by the labels themselves: a random token elsewhere on the page may hold "H4"
    assert "<dt>H3</dt>" in html
    assert "<dt>H4</dt>" not in html
    # the outcomes as asked, the arms with their frozen texts, the allocation and the families
    assert "Recycled your waste" in html
    assert "“Neighbours already help”" in html
    assert "stratified permuted blocks" in html
    assert "age band" in html
    assert opened_wave.design["allocation"]["seed_sha256"] in html
    assert "adjusted with Holm" in html
    assert "With fewer than 25 answers" in html
    assert "MDE (points)" in html


def test_the_plan_is_written_in_welsh_on_request(client, opened_wave, researcher):
    url = reverse("analysis:preregistration", args=[opened_wave.pk])

    with translation.override("en"):
        html = text_of(client.get(url, {"lang": "cy"}))

    assert re.search(r'<html lang="cy"[ >]', html)
    assert "Cynllun dadansoddi ymlaen llaw: Spring survey — Cyngor Prawf" in html
    assert "“Mae cymdogion yn helpu”" in html
    assert "Yr amgylchedd lleol" in html
    assert "Ailgylchu eich gwastraff" in html
    for english in ("Hypotheses", "Outcomes and their coding", "Confirmatory family"):
        assert english not in html


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_plan_downloads_as_html_and_pdf(client, opened_wave, researcher, language):
    url = reverse("analysis:preregistration", args=[opened_wave.pk])

    with translation.override("en"):
        page = client.get(url, {"download": "html", "lang": language})
        pdf = client.get(url, {"download": "pdf", "lang": language})

    assert page["Content-Disposition"] == (
        f'attachment; filename="preregistration-wave-{opened_wave.pk}.html"'
    )
    assert "<style>" in page.content.decode()
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    title = "Cynllun dadansoddi ymlaen llaw" if language == "cy" else "Pre-analysis plan"
    assert title in text


def test_the_plan_of_another_council_or_of_an_unopened_wave_is_not_found(client, opened_wave):
    client.force_login(CouncilMembershipFactory(role="researcher").user)
    url = reverse("analysis:preregistration", args=[opened_wave.pk])
    assert client.get(url).status_code == 404

    draft = WaveFactory(status="draft")
    client.force_login(UserFactory(is_superuser=True))
    assert client.get(reverse("analysis:preregistration", args=[draft.pk])).status_code == 404


def test_the_report_links_the_plan_and_lists_each_deviation_from_it(
    client, opened_wave, researcher
):
    # given a nudge text corrected after opening: a new version flagged as a deviation
    theme = opened_wave.themes.get()
    NudgeTextFactory(
        wave=opened_wave,
        theme=theme,
        nudge="b",
        version=2,
        is_deviation=True,
        text_en="It takes an hour",
        text_cy="Awr yn unig",
    )
    url = reverse("analysis:wave_results", args=[opened_wave.pk])

    with translation.override("en"):
        english = text_of(client.get(url, {"lang": "en"}))
        welsh = text_of(client.get(url, {"lang": "cy"}))

    prereg = reverse("analysis:preregistration", args=[opened_wave.pk])
    assert f'href="{prereg}?lang=en"' in english
    assert "Deviations from the pre-registration:" in english
    assert (
        "The text of nudge B on Local environment was edited after opening (version 2," in english
    )
    assert "No deviation from the pre-registered" not in english
    assert f'href="{prereg}?lang=cy"' in welsh
    assert "Yr amgylchedd lleol" in welsh
    assert "Deviations from the pre-registration:" not in welsh


def test_the_bundle_holds_the_plan_and_the_welsh_report_of_a_welsh_councils_wave(
    opened_wave, tmp_path
):
    written = write_reports_and_plans(tmp_path, wave_ids=[opened_wave.pk], labels="en")

    names = set(written)
    pk = opened_wave.pk
    assert {
        f"report/wave-{pk}.html",
        f"report/wave-{pk}.cy.html",
        f"preregistration/wave-{pk}.en.html",
        f"preregistration/wave-{pk}.cy.html",
        f"plan/wave-{pk}.json",
    } <= names
    english = written[f"preregistration/wave-{pk}.en.html"].read_text(encoding="utf-8")
    assert opened_wave.design_hash in english
    report = written[f"report/wave-{pk}.html"].read_text(encoding="utf-8")
    assert f'href="../preregistration/wave-{pk}.en.html"' in report
    plan = json.loads(written[f"plan/wave-{pk}.json"].read_text(encoding="utf-8"))
    assert plan["plan_hash"] in english


def test_a_plan_with_both_indices_confirmatory_states_six_hypotheses():
    facts = {
        "title": "T",
        "council": "C",
        "opened_at": "2026-03-01T09:00:00+00:00",
        "design_hash": "d" * 64,
        "design": {
            "analysis_plan": AnalysisPlan(
                confirmatory_outcomes=("collective", "individual")
            ).to_dict(),
            "arms": [{"code": "ab", "nudges": ["a", "b"]}, {"code": "none", "nudges": []}],
            "experiment_on": True,
        },
        "asks_time_now": True,
        "asks_time_more": True,
        "themes": [],
    }

    with translation.override("en"):
        document = build_preregistration(facts, language="en")

    labels = [h["label"] for h in document["hypotheses"]["confirmatory"]]
    assert labels == ["H1", "H2", "H3", "H4", "H5", "H6"]
    assert "the individual index" in document["hypotheses"]["confirmatory"][3]["text"]


def test_a_wave_without_the_experiment_states_no_hypothesis():
    facts = {
        "title": "T",
        "council": "C",
        "opened_at": "2026-03-01T09:00:00+00:00",
        "design_hash": "d" * 64,
        "design": {"experiment_on": False, "arms": [{"code": "none", "nudges": []}]},
        "asks_time_now": False,
        "asks_time_more": True,
        "themes": [],
    }

    with translation.override("en"):
        document = build_preregistration(facts, language="en")

    assert document["hypotheses"]["confirmatory"] == []
    assert "descriptive" in document["hypotheses"]["note"]
    assert not document["plan_frozen"]
