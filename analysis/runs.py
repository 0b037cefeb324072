"""Analysis runs: request one for a wave, and execute it (from the Celery task)."""

import hashlib
import logging
import platform
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from django.db import transaction
from django.utils import timezone

from analysis import datasets, indices, quality
from analysis.models import AnalysisRun, RunStatus
from analysis.plan import AnalysisPlan
from analysis.results import compute_results
from experiments.models import NudgeText, Wave
from outbox.relay import enqueue

logger = logging.getLogger(__name__)

SOFTWARE = ("numpy", "pandas", "scipy", "statsmodels", "django")


def request_analysis(wave: Wave) -> AnalysisRun:
    """Create a pending run and queue its task through the outbox, in the caller's transaction.

    The outbox row commits with the run (and the wave's closing), so the job survives a
    broker outage; the relay hands it to Celery after commit.
    """
    run = AnalysisRun.objects.create(wave=wave)
    enqueue("analysis.tasks.run_analysis", run_id=run.pk)
    return run


def software_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in SOFTWARE:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "unknown"
    return versions


@dataclass(frozen=True)
class PlanContext:
    plan: AnalysisPlan
    design_hash: str
    frozen_plan_hash: str
    deviations: list[str]


def plan_for_wave(wave_id: int) -> PlanContext:
    """Return the plan to run, the wave's design hash, and what deviates from the design.

    The plan is the wave's current one; the design frozen at opening holds the plan that
    was promised. A difference between them, and any nudge text edited after opening,
    is a deviation the report must list.
    """
    wave = Wave.objects.only("analysis_plan", "design", "design_hash").get(pk=wave_id)
    plan = AnalysisPlan.from_dict(wave.analysis_plan)
    design = wave.design or {}
    frozen = design.get("analysis_plan")
    frozen_plan_hash = AnalysisPlan.from_dict(frozen).plan_hash if frozen else plan.plan_hash
    deviations = []
    if frozen_plan_hash != plan.plan_hash:
        deviations.append("The analysis plan differs from the one frozen with the design.")
    for text in NudgeText.objects.filter(wave_id=wave_id, is_deviation=True).select_related(
        "theme"
    ):
        deviations.append(
            f"Nudge {text.nudge.upper()} of {text.theme.name_en} was edited after opening "
            f"(version {text.version}, {text.created_at:%Y-%m-%d %H:%M})."
        )
    return PlanContext(
        plan=plan,
        design_hash=wave.design_hash or plan.plan_hash,
        frozen_plan_hash=frozen_plan_hash,
        deviations=deviations,
    )


def execute_run(run_id: int) -> AnalysisRun:
    """Compute the run's results; a run that is already done is left as it is.

    A redelivered task (after a worker crash, with acks_late) finds the run still
    pending or running and simply computes it again: the results depend only on the
    stored answers. When two deliveries compute at once (a sweeper resend of a job still
    running), the first to end makes the run done and the later one leaves it as it is.
    A done run of the same wave with the same input and plan hashes is reused instead of
    recomputed.
    """
    with transaction.atomic():
        run = AnalysisRun.objects.select_for_update().get(pk=run_id)
        if run.status == RunStatus.DONE:
            return run
        run.status = RunStatus.RUNNING
        run.started_at = timezone.now()
        run.attempts += 1
        run.save(update_fields=["status", "started_at", "attempts"])

    context = plan_for_wave(run.wave_id)
    plan, design_hash = context.plan, context.design_hash
    started = time.perf_counter()
    frame = datasets.load_case_frame(run.wave_id)
    flow = datasets.load_flow_frame(run.wave_id)
    items = datasets.load_item_frame(run.wave_id)
    visits, devices = datasets.load_paradata(run.wave_id)
    flags = quality.quality_flags(frame, visits=visits, responses=devices)
    recall = datasets.load_recall_frame(run.wave_id)
    loaded = time.perf_counter()
    input_hash = hashlib.sha256(
        (
            indices.frame_digest(frame)
            + indices.frame_digest(flow)
            + indices.frame_digest(flags.fillna(-1))
            + indices.frame_digest(recall)
        ).encode()
    ).hexdigest()

    previous = (
        AnalysisRun.objects.filter(
            wave_id=run.wave_id,
            status=RunStatus.DONE,
            input_hash=input_hash,
            plan_hash=plan.plan_hash,
            reused_from__isnull=True,
        )
        .exclude(pk=run.pk)
        .order_by("finished_at")
        .first()
    )
    if previous is not None:
        results, reused_from = previous.results, previous
    else:
        results = compute_results(
            frame, plan=plan, flow=flow, items=items, quality=flags, recall=recall
        )
        reused_from = None
        results["timings_seconds"]["load"] = round(loaded - started, 4)

    with transaction.atomic():
        # Another delivery of the same job (a sweeper resend) may have computed it
        # meanwhile: the first to end makes the run done, a later one keeps its results.
        current = AnalysisRun.objects.select_for_update().get(pk=run.pk)
        if current.status == RunStatus.DONE:
            return current
        run.results = {
            **results,
            "design": {
                "design_hash": design_hash,
                "frozen_plan_hash": context.frozen_plan_hash,
                "deviations": context.deviations,
            },
        }
        run.input_hash = input_hash
        run.plan_hash = plan.plan_hash
        run.design_hash = design_hash
        run.software = software_versions()
        run.reused_from = reused_from
        run.status = RunStatus.DONE
        run.finished_at = timezone.now()
        run.error = ""
        run.save(
            update_fields=[
                "results",
                "input_hash",
                "plan_hash",
                "design_hash",
                "software",
                "reused_from",
                "status",
                "finished_at",
                "error",
            ]
        )
    logger.info("Analysis run %s done: %s rows", run.pk, len(frame))
    return run


def latest_done_run(wave_id: int) -> AnalysisRun | None:
    return (
        AnalysisRun.objects.filter(wave_id=wave_id, status=RunStatus.DONE)
        .order_by("-finished_at")
        .first()
    )


def mark_failed(run_id: int, error: str) -> None:
    AnalysisRun.objects.filter(pk=run_id).exclude(status=RunStatus.DONE).update(
        status=RunStatus.FAILED, error=error[:5000], finished_at=timezone.now()
    )
