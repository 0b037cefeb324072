"""The demo: five councils with closed, analysed waves, their staff, and an open wave."""

import csv
import io

import pytest
from django.core.management import call_command

from analysis.datasets import load_case_frame
from analysis.indices import frame_digest
from analysis.plan import AnalysisPlan
from analysis.synthetic import STUDY_COUNCILS, generate_council, to_case_frame
from experiments.demo import CLOSED_WAVE_TITLE, OPEN_WAVE_TITLE, seed_demo
from experiments.design import design_hash
from experiments.models import Assignment, CouncilMembership, Response, Wave, WaveStatus
from exports.bundle import write_allocation_log

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_five_closed_councils_an_open_wave_and_their_staff():
    summary = seed_demo(seed=3, analyse=False)

    closed = Wave.objects.filter(status=WaveStatus.CLOSED)
    assert sorted(closed.values_list("council__slug", flat=True)) == [
        "barnet",
        "bristol",
        "derbyshire-dales",
        "swansea",
        "wolverhampton",
    ]
    assert summary.wave.status == WaveStatus.OPEN
    assert len(summary.invitations) == 30
    assert sorted(
        CouncilMembership.objects.filter(user__username="researcher").values_list(
            "council__slug", flat=True
        )
    ) == ["barnet", "swansea"]
    assert CouncilMembership.objects.filter(user__username="swansea-admin").count() == 1
    # the Welsh council's nudges have Welsh texts
    swansea = closed.get(council__slug="swansea")
    assert all(text.text_cy for text in swansea.nudge_texts.all())
    assert swansea.nudge_texts.count() == 2


def test_the_demo_is_opened_and_allocated_through_the_real_path_and_passes_its_audit(tmp_path):
    seed_demo(seed=3, analyse=False)

    # Every allocation re-derives from its wave's seed and log (CommandError otherwise)
    out = io.StringIO()
    call_command("verify_allocation", "--all", stdout=out)
    assert "mismatch(es)" not in out.getvalue()
    for wave in Wave.objects.filter(title__in=[CLOSED_WAVE_TITLE, OPEN_WAVE_TITLE]):
        # Opened through open_wave: the design and the plan frozen, under distinct hashes
        assert wave.opened_at is not None
        assert wave.design_hash == design_hash(wave.design)
        plan_hash = AnalysisPlan.from_dict(wave.design["analysis_plan"]).plan_hash
        assert wave.design_hash != plan_hash
    for wave in Wave.objects.filter(title=CLOSED_WAVE_TITLE):
        scheme = wave.design["allocation"]["scheme"] if wave.design["experiment_on"] else "off"
        # Everyone who opened their link was allocated by the production function, under
        # the frozen design, before their answers were written
        assignments = Assignment.objects.filter(wave=wave)
        assert set(assignments.values_list("scheme", flat=True)) == {scheme}
        assert set(assignments.values_list("design_hash", flat=True)) == {wave.design_hash}
        assert set(assignments.values_list("member_id", flat=True)) == set(
            Response.objects.filter(wave=wave).values_list("member_id", flat=True)
        )
        # And the bundle's allocation log says what the design says
        path = tmp_path / f"allocation-{wave.pk}.csv"
        write_allocation_log(path, [wave.pk])
        with path.open(encoding="utf-8-sig", newline="") as stream:
            rows = list(csv.DictReader(stream))
        assert len(rows) == assignments.count()
        assert {row["scheme"] for row in rows} == {scheme}


@pytest.mark.slow
def test_the_demo_writes_exactly_the_generator_s_answers_for_its_seed():
    seed_demo(seed=3, analyse=False)

    barnet = Wave.objects.get(council__slug="barnet", status=WaveStatus.CLOSED)
    frame = load_case_frame(barnet.pk)

    spec = STUDY_COUNCILS[1]
    # The respondents are the first members, in the order they were allocated
    arms = (
        Assignment.objects.filter(wave=barnet)
        .order_by("member_id")
        .values_list("arm", flat=True)[: spec.respondents]
    )
    synthetic = generate_council(spec, seed=301, wave_year=barnet.opened_at.year, arms=arms)
    expected = to_case_frame(synthetic, council=spec.council)
    columns = ["arm", "activities_yes", "collective", "efficacy", "time_now", "birth_year"]
    ordered = ["theme", *columns]
    assert frame_digest(frame[ordered].sort_values(ordered).reset_index(drop=True)) == frame_digest(
        expected[ordered].sort_values(ordered).reset_index(drop=True)
    )


@pytest.mark.slow
def test_seed_demo_prints_a_few_links_per_open_wave_and_writes_the_rest_at_its_port(
    capsys, settings, tmp_path
):
    # Given a demo served at another port
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8123"
    links = tmp_path / "demo-links.csv"

    call_command("seed_demo", "--seed", "1", "--links-file", str(links))

    # Then it prints the logins, the results pages and three links of each open wave
    out = capsys.readouterr().out
    assert "user admin" in out
    assert out.count("/results/") == 5
    assert "researcher" in out
    assert out.count("Invitation link:") == 3
    assert out.count("invitation link (Cymraeg):") == 3
    # And every link it prints or writes follows the public address
    urls = [word for word in out.split() if word.startswith("http")]
    assert urls
    assert all(url.startswith("http://127.0.0.1:8123/") for url in urls)
    body = links.read_bytes()
    assert b"\r" not in body
    rows = list(csv.DictReader(io.StringIO(body.decode(), newline="")))
    assert len(rows) == 60
    assert all(row["link"].startswith("http://127.0.0.1:8123/i/") for row in rows)
    assert {row["preferred_language"] for row in rows} == {"en", "cy"}


@pytest.mark.slow
def test_the_demo_waves_show_the_planner_the_flags_and_a_debrief_ready_to_approve():
    from analysis.datasets import plan_wave_power
    from experiments.demo import NEXT_WAVE_TITLE
    from experiments.models import Debrief

    summary = seed_demo(seed=0)

    swansea = next(d for d in summary.councils if d.council.slug == "swansea")
    plan = plan_wave_power(Wave.objects.get(council=swansea.council, title=NEXT_WAVE_TITLE))
    completes = swansea.run.results["quality"]["completes"]
    # The panel is the 720 members invited to the closed wave plus the open Welsh wave's.
    assert plan.panel_size == 720 + len(summary.welsh_invitations)
    assert plan.inputs.response_rate == pytest.approx(completes / 720)
    assert plan.expected_completes == pytest.approx(plan.panel_size * completes / 720)
    assert plan.inputs.response_rate_source == "wave “Co-production survey (closed)”"
    assert plan.warnings
    for demo in summary.councils:
        quality = demo.run.results["quality"]
        assert quality["speeder_rule_applies"] is True
        assert quality["flagged_responses"]["flagged"] > 0
        assert demo.run.results["nudges_excluding_flagged"]["excluded_rows"] > 0
        kinds = set(
            Debrief.objects.filter(wave=demo.wave, approved_at__isnull=True).values_list(
                "kind", flat=True
            )
        )
        assert kinds == {"debrief", "summary"}
