from datetime import timedelta

import pytest
import statsmodels
from django.core.management import CommandError, call_command
from django.utils import timezone

from analysis.models import AnalysisRun, RunStatus
from analysis.runs import execute_run
from experiments.models import WaveStatus
from experiments.policy import SYSTEM
from experiments.waves import WaveStateError, close_wave
from tests.factories import guards_off
from tests.respondent import answer_whole_questionnaire, open_link

pytestmark = pytest.mark.django_db


def _answer(client_factory, invite, open_wave, **answers):
    client = client_factory()
    issued = invite()
    answer_whole_questionnaire(client, issued.url, **answers)
    return issued


def test_closing_a_wave_runs_the_analysis_from_invitation_to_stored_results(
    django_capture_on_commit_callbacks, invite, open_wave
):
    from django.test import Client

    # given three members who answered (two do every activity and join groups, one neither)
    _answer(Client, invite, open_wave, done=True, collective=1)
    _answer(Client, invite, open_wave, done=True, collective=2)
    _answer(Client, invite, open_wave, done=False, collective=3)
    # and one who opened the link but never submitted
    open_link(Client(), invite().url)

    # when the wave closes
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        close_wave(SYSTEM, open_wave)
    run = AnalysisRun.objects.get(wave=open_wave)

    # then the analysis ran after commit and stored the indices of the complete responses
    assert len(callbacks) == 1
    run.refresh_from_db()
    open_wave.refresh_from_db()
    assert open_wave.status == WaveStatus.CLOSED
    assert run.status == RunStatus.DONE
    (case,) = run.results["cases"]
    assert case["n"] == 3
    assert case["individual_index"] == pytest.approx(2 / 3)
    assert case["collective_index"] == pytest.approx(2 / 3)
    assert sum(arm["n"] for arm in case["by_arm"].values()) == 3
    assert len(run.input_hash) == 64


def test_the_task_is_safe_to_run_twice(invite, open_wave):
    from django.test import Client

    _answer(Client, invite, open_wave)
    run = AnalysisRun.objects.create(wave=open_wave)

    first = execute_run(run.pk)
    finished_at = first.finished_at
    second = execute_run(run.pk)

    assert second.results == first.results
    assert second.finished_at == finished_at
    assert second.attempts == 1


def test_a_second_delivery_while_the_run_is_computed_leaves_it_to_the_first(
    invite, open_wave, monkeypatch
):
    from django.test import Client

    from analysis import runs

    # given a run whose job is delivered again (a sweeper resend) while it is computing
    _answer(Client, invite, open_wave)
    run = AnalysisRun.objects.create(wave=open_wave)
    compute = runs.compute_results
    computed, seen_by_second = [], []

    def compute_while_delivered_again(*args, **kwargs):
        computed.append(1)
        if len(computed) == 1:
            seen_by_second.append(execute_run(run.pk))
        return compute(*args, **kwargs)

    monkeypatch.setattr(runs, "compute_results", compute_while_delivered_again)

    # when the first delivery ends
    returned = execute_run(run.pk)

    # then the second found the run held and computed nothing; the first made it done once
    assert seen_by_second[0].status == RunStatus.RUNNING
    assert len(computed) == 1
    run.refresh_from_db()
    assert (run.status, run.attempts, run.lease_expires_at) == (RunStatus.DONE, 1, None)
    assert returned.finished_at == run.finished_at


def test_a_run_whose_worker_died_is_computed_by_the_next_delivery_and_the_late_one_is_ignored(
    invite, open_wave, monkeypatch
):
    from django.test import Client

    from analysis import runs

    # given a run whose first worker stops renewing its claim mid-way (it died, as far as
    # anyone can tell), and a sweeper resend that takes the run over and ends first
    _answer(Client, invite, open_wave)
    run = AnalysisRun.objects.create(wave=open_wave)
    compute = runs.compute_results
    taken_over = []

    def compute_then_lose_the_claim(*args, **kwargs):
        if not taken_over:
            AnalysisRun.objects.filter(pk=run.pk).update(
                lease_expires_at=timezone.now() - timedelta(seconds=1)
            )
            monkeypatch.setattr(runs, "compute_results", compute)
            taken_over.append(execute_run(run.pk))
        return compute(*args, **kwargs)

    monkeypatch.setattr(runs, "compute_results", compute_then_lose_the_claim)

    # when the first worker comes back with its results
    returned = execute_run(run.pk)

    # then the run stays as the delivery that took it over left it: done once, by claim 2
    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.DONE, 2)
    assert run.finished_at == taken_over[0].finished_at
    assert returned.finished_at == taken_over[0].finished_at


def test_only_an_open_wave_can_be_closed(open_wave):
    open_wave.status = WaveStatus.DRAFT
    open_wave.save(update_fields=["status"])

    with pytest.raises(WaveStateError):
        close_wave(SYSTEM, open_wave)

    assert not AnalysisRun.objects.exists()


def test_close_wave_command_closes_and_reports_the_run(open_wave, capsys):
    call_command("close_wave", str(open_wave.pk))

    open_wave.refresh_from_db()
    assert open_wave.status == WaveStatus.CLOSED
    assert f"Wave {open_wave.pk} closed" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Only an open wave"):
        call_command("close_wave", str(open_wave.pk))
    with pytest.raises(CommandError, match="There is no wave"):
        call_command("close_wave", "999999")


def test_a_second_run_with_identical_inputs_reuses_the_first_instead_of_recomputing(
    invite, open_wave
):
    from django.test import Client

    # given a wave with one answer and a done run
    _answer(Client, invite, open_wave)
    first = execute_run(AnalysisRun.objects.create(wave=open_wave).pk)

    # when another run of the same wave is requested and executed
    second = execute_run(AnalysisRun.objects.create(wave=open_wave).pk)

    # then it points at the first, with the same hashes and results
    assert second.reused_from_id == first.pk
    assert second.results == first.results
    assert (second.input_hash, second.plan_hash) == (first.input_hash, first.plan_hash)
    assert first.software["statsmodels"] == statsmodels.__version__
    open_wave.refresh_from_db()
    assert first.design_hash == open_wave.design_hash != ""
    assert AnalysisRun.objects.filter(reused_from__isnull=True).count() == 1


def test_a_new_answer_changes_the_input_hash_and_forces_a_fresh_computation(invite, open_wave):
    from django.test import Client

    _answer(Client, invite, open_wave)
    first = execute_run(AnalysisRun.objects.create(wave=open_wave).pk)
    _answer(Client, invite, open_wave)

    second = execute_run(AnalysisRun.objects.create(wave=open_wave).pk)

    assert second.reused_from_id is None
    assert second.input_hash != first.input_hash
    assert second.results["n_rows"] == 2


def test_the_run_names_deviations_from_the_design_frozen_at_opening(open_wave):
    from experiments.design import freeze_design
    from experiments.nudges import set_nudge_text

    # given a wave whose design (and analysis plan) was frozen when it opened
    freeze_design(open_wave)
    frozen_hash = open_wave.design_hash
    # when the plan is changed and a nudge edited afterwards
    with guards_off("wave"):  # the database refuses this change; suppose it got through
        open_wave.analysis_plan = {"index_missing_rule": "missing_as_no"}
        open_wave.save(update_fields=["analysis_plan"])
    theme = open_wave.themes.get()
    set_nudge_text(open_wave, theme=theme, nudge="a", text_en="Edited", text_cy="Golygwyd")
    run = AnalysisRun.objects.create(wave=open_wave)
    run = execute_run(run.pk)

    # then the run keeps the frozen design hash and lists both deviations
    assert run.design_hash == frozen_hash
    deviations = run.results["design"]["deviations"]
    assert deviations[0] == "The analysis plan differs from the one frozen with the design."
    assert deviations[1].startswith(f"Nudge A of {theme.name_en} was edited after opening")
    assert run.results["design"]["frozen_plan_hash"] != run.plan_hash


def test_a_run_without_deviations_says_so(open_wave):
    from experiments.design import freeze_design

    freeze_design(open_wave)
    run = execute_run(AnalysisRun.objects.create(wave=open_wave).pk)

    assert run.results["design"]["deviations"] == []
    assert run.results["design"]["frozen_plan_hash"] == run.plan_hash


def test_closing_a_wave_records_its_analysis_job_in_the_outbox(open_wave):
    from outbox.models import OutboxMessage

    close_wave(SYSTEM, open_wave)

    message = OutboxMessage.objects.get()
    assert message.task_name == "analysis.tasks.analyse_closed_wave"
    assert message.kwargs == {"wave_id": open_wave.pk}
