"""Analysis runs: request one for a wave or a set of waves; execute it (the Celery task)."""

import hashlib
import json
import logging
import platform
import time
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

from django.db import InterfaceError, OperationalError, transaction
from django.utils.translation import gettext as _

from analysis import datasets, indices
from analysis.access import visible_waves
from analysis.models import AnalysisRun, RunStatus
from analysis.plan import AnalysisPlan
from analysis.results import compute_results
from experiments.models import Wave, WaveStatus
from experiments.policy import Right, staff_action
from outbox import jobs
from outbox.relay import enqueue
from surveyplatform.domain import InvalidInput, NotFound

logger = logging.getLogger(__name__)

SOFTWARE = ("numpy", "pandas", "scipy", "statsmodels", "django")
# A run over more waves than this is refused (its sorted ids must fit `wave_key`).
MAX_WAVES = 100
# Errors after which the task is delivered again (its autoretry), the run given back.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class AnalysisRequestError(InvalidInput):
    """A request for a run over several waves that cannot be made, with the reason why."""


def wave_key(wave_ids) -> str:
    return ",".join(str(wave_id) for wave_id in sorted({int(w) for w in wave_ids}))


def request_analysis(wave: Wave) -> AnalysisRun:
    """Create a pending run and queue its task through the outbox, in the caller's transaction.

    The outbox row commits with the run (and the wave's closing), so the job survives a
    broker outage; the relay hands it to Celery after commit.
    """
    run = AnalysisRun.objects.create(wave=wave, wave_key=wave_key([wave.pk]))
    run.waves.set([wave])
    enqueue("analysis.tasks.run_analysis", run_id=run.pk)
    return run


def run_for_closed_wave(wave_id: int, *, requested_after: datetime | None = None) -> AnalysisRun:
    """Return the closed wave's own run requested after the given time, creating it if none.

    Closing a wave, or importing answers into a closed one, queues a job that calls this
    (by task name, through the outbox): the wave row is locked, so a job delivered twice
    finds the run the first delivery made.
    """
    with transaction.atomic():
        wave = Wave.objects.select_for_update().get(pk=wave_id)
        since = requested_after or wave.closed_at
        runs = AnalysisRun.objects.filter(wave=wave)
        if since is not None:
            runs = runs.filter(requested_at__gte=since)
        run = runs.order_by("-requested_at", "-pk").first()
        if run is None:
            run = AnalysisRun.objects.create(wave=wave, wave_key=wave_key([wave.pk]))
            run.waves.set([wave])
        return run


def request_analysis_over(user, *, wave_ids) -> AnalysisRun:
    """Return a queued or finished run over these waves; reuse one made from the same inputs.

    Every wave must be one whose results the user may read (NotFound otherwise, nothing
    created); all must be closed and share one analysis plan, since a run applies one
    plan to all its cases (AnalysisRequestError).
    """
    key = wave_key(wave_ids)
    if not key:
        raise AnalysisRequestError(_("Choose at least one wave."))
    ids = [int(part) for part in key.split(",")]
    if len(ids) > MAX_WAVES:
        raise AnalysisRequestError(
            _("Choose at most %(n)s waves for one analysis.") % {"n": MAX_WAVES}
        )
    council_ids = sorted(set(Wave.objects.filter(pk__in=ids).values_list("council_id", flat=True)))
    if not council_ids:
        raise NotFound(_("No such waves among yours."))
    with staff_action(user, Right.ANALYSE, council_ids, action="request_analysis") as note:
        # Lock the waves (in id order, so two requests cannot deadlock): a second request
        # over the same waves waits here and then finds the first one's run.
        waves = list(Wave.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        visible = set(visible_waves(user).filter(pk__in=ids).values_list("pk", flat=True))
        if len(waves) != len(ids) or visible != set(ids):
            raise NotFound(_("No such waves among yours."))
        still_open = sorted(wave.title for wave in waves if wave.status != WaveStatus.CLOSED)
        if still_open:
            raise AnalysisRequestError(
                _("Only closed waves can be analysed; still open or in draft: %(waves)s.")
                % {"waves": ", ".join(still_open)}
            )
        plans = {AnalysisPlan.from_dict(wave.analysis_plan).plan_hash for wave in waves}
        if len(plans) > 1:
            raise AnalysisRequestError(
                _("These waves have different analysis plans; choose waves that share one.")
            )
        request_hash = hashlib.sha256(
            json.dumps(
                {"waves": key, "plan": plans.pop(), "facts": datasets.wave_input_facts(ids)},
                sort_keys=True,
            ).encode()
        ).hexdigest()
        reusable = (
            AnalysisRun.objects.filter(
                wave_key=key,
                request_hash=request_hash,
                status__in=[RunStatus.PENDING, RunStatus.RUNNING, RunStatus.DONE],
            )
            .order_by("-requested_at")
            .first()
        )
        if reusable is not None:
            run = reusable
        else:
            run = AnalysisRun.objects.create(
                wave_key=key,
                requested_by=user if getattr(user, "is_authenticated", False) else None,
                request_hash=request_hash,
            )
            run.waves.set(waves)
            enqueue("analysis.tasks.run_analysis", run_id=run.pk)
        note.target, note.summary = run, f"analysis over waves {key}"
        note.details = {"waves": ids, "reused": run is reusable}
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


def plan_for_waves(wave_ids: list[int]) -> PlanContext:
    """Return the plan of a run over these waves, their combined design hash and deviations.

    The waves share one plan (checked when the run is asked for; a run that finds them
    different fails rather than apply one wave's plan to another's cases).
    """
    if len(wave_ids) == 1:
        return plan_for_wave(wave_ids[0])
    contexts = [plan_for_wave(wave_id) for wave_id in wave_ids]
    if len({context.plan.plan_hash for context in contexts}) > 1:
        raise ValueError("The waves of this run have different analysis plans.")
    titles = dict(Wave.objects.filter(pk__in=wave_ids).values_list("pk", "title"))
    frozen = {context.frozen_plan_hash for context in contexts}
    return PlanContext(
        plan=contexts[0].plan,
        design_hash=hashlib.sha256(
            ",".join(context.design_hash for context in contexts).encode()
        ).hexdigest(),
        frozen_plan_hash=frozen.pop() if len(frozen) == 1 else contexts[0].plan.plan_hash,
        deviations=[
            f"{titles[wave_id]}: {deviation}"
            for wave_id, context in zip(wave_ids, contexts, strict=True)
            for deviation in context.deviations
        ],
    )


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
    deviations = [english_deviation(d) for d in datasets.load_deviations(wave_id)]
    return PlanContext(
        plan=plan,
        design_hash=wave.design_hash or plan.plan_hash,
        frozen_plan_hash=frozen_plan_hash,
        deviations=deviations,
    )


def english_deviation(deviation: dict) -> str:
    """Return a deviation record as the English sentence stored with a run's results."""
    if deviation["kind"] == "plan_changed":
        return "The analysis plan differs from the one frozen with the design."
    if deviation["kind"] == "nudge_text":
        return (
            f"Nudge {deviation['nudge'].upper()} of {deviation['theme']} was edited after "
            f"opening (version {deviation['version']}, {deviation['at'][:16].replace('T', ' ')})."
        )
    return deviation.get("text", deviation["kind"])


def execute_run(run_id: int, *, outbox_id: int | None = None) -> AnalysisRun:
    """Compute the run's results once; return the run as it stands.

    The job lifecycle (`outbox.jobs`) lets one delivery at a time compute it: a run
    already done, failed, or being computed by a live worker is left as it is, and a run
    whose worker died is computed again by the next delivery (the results depend only on
    the stored answers). A done run of the same waves with the same input and plan hashes
    is reused instead of recomputed.
    """
    return jobs.run(AnalysisRun, run_id, _compute, outbox_id=outbox_id, transient=TRANSIENT_ERRORS)


def _compute(held: jobs.Claim[AnalysisRun]) -> None:
    """Compute the claimed run's results and store them as the job finishes."""
    run = held.job
    if not run.wave_key:  # a run created with only its wave covers that wave
        run.wave_key = wave_key([run.wave_id])
        run.save(update_fields=["wave_key"])
        run.waves.set([run.wave_id])

    wave_ids = run.wave_ids
    context = plan_for_waves(wave_ids)
    plan, design_hash = context.plan, context.design_hash
    started = time.perf_counter()
    frames = datasets.load_run_frames(wave_ids)
    frame, flow, items, flags, recall = (
        frames.cases,
        frames.flow,
        frames.items,
        frames.quality,
        frames.recall,
    )
    modes = datasets.load_mode_counts(wave_ids)
    loaded = time.perf_counter()
    input_hash = hashlib.sha256(
        (
            indices.frame_digest(frame)
            + indices.frame_digest(flow)
            + indices.frame_digest(flags.fillna(-1))
            + indices.frame_digest(recall)
            + repr(sorted(modes.items()))
        ).encode()
    ).hexdigest()

    previous = (
        AnalysisRun.objects.filter(
            wave_key=run.wave_key,
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

    finished = held.finish(
        results={
            **results,
            # Paper and telephone answers are imported (experiments.response_imports).
            "modes": modes,
            "design": {
                "design_hash": design_hash,
                "frozen_plan_hash": context.frozen_plan_hash,
                "deviations": context.deviations,
            },
        },
        input_hash=input_hash,
        plan_hash=plan.plan_hash,
        design_hash=design_hash,
        software=software_versions(),
        reused_from=reused_from,
    )
    if finished:
        logger.info("Analysis run %s done: %s rows", run.pk, len(frame))


def latest_done_run(wave_id: int) -> AnalysisRun | None:
    return (
        AnalysisRun.objects.filter(wave_id=wave_id, status=RunStatus.DONE)
        .order_by("-finished_at")
        .first()
    )


def visible_runs_over_waves(user, *, limit: int = 50) -> list[AnalysisRun]:
    """Return the latest runs over chosen waves whose every wave the user may read."""
    hidden = Wave.objects.exclude(pk__in=visible_waves(user).values("pk"))
    return list(
        AnalysisRun.objects.filter(wave__isnull=True)
        .exclude(waves__in=hidden)
        .prefetch_related("waves__council")
        .order_by("-requested_at", "-pk")[:limit]
    )
