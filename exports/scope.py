"""Which waves an export covers, who may export them, and the hash of its inputs."""

import hashlib
import json

from django.db.models import Count, Max

from analysis.models import AnalysisRun, RunStatus
from experiments.models import Assignment, Response, ThemeAnswer, Wave, WaveStatus
from experiments.policy import Right, councils_with, is_system
from experiments.variables import load_scope
from exports import pseudonyms
from exports.models import Export

# Bump when the content of any export changes, so that cached files are not reused.
EXPORT_VERSION = "5"


# --- Access -------------------------------------------------------------------------------


def _granted_councils(user) -> set[int] | None:
    """Return the ids of the councils whose data the user may export; None means all.

    The export right of `experiments.policy`: researchers of the council (and superusers);
    council admins read results only.
    """
    if is_system(user) or (getattr(user, "is_authenticated", False) and user.is_superuser):
        return None if user.is_active else set()
    return set(councils_with(user, Right.EXPORT).values_list("pk", flat=True))


def can_export(user, council_ids) -> bool:
    """Return whether the user may export the data of every one of these councils."""
    granted = _granted_councils(user)
    wanted = set(council_ids)
    return bool(wanted) and (granted is None or granted >= wanted)


def exportable_waves(user):
    """Return the closed waves whose data the user may export."""
    waves = Wave.objects.filter(status=WaveStatus.CLOSED).select_related("council")
    granted = _granted_councils(user)
    return waves if granted is None else waves.filter(council_id__in=granted)


def visible_exports(user, *, limit: int = 100) -> list[Export]:
    """Return the latest exports whose whole scope the user may see (anyone's: files are shared)."""
    granted = _granted_councils(user)
    exports = Export.objects.order_by("-requested_at")
    if granted is None:
        return list(exports[:limit])
    visible = []
    for export in exports.iterator(chunk_size=500):
        if set(export.council_ids) <= granted:
            visible.append(export)
            if len(visible) == limit:
                break
    return visible


# --- Scope and input hash -----------------------------------------------------------------


def latest_runs(wave_ids: list[int]) -> dict[int, AnalysisRun]:
    """Return each wave's latest done analysis run, the one every export reports."""
    runs = {}
    for run in AnalysisRun.objects.filter(wave_id__in=wave_ids, status=RunStatus.DONE).order_by(
        "wave_id", "-finished_at", "-pk"
    ):
        runs.setdefault(run.wave_id, run)
    return runs


def compute_input_hash(wave_ids: list[int], *, format: str, labels: str) -> str:
    """Hash everything an export's content depends on, for the cache."""
    facts = []
    runs = latest_runs(wave_ids)
    for wave in Wave.objects.filter(pk__in=wave_ids).order_by("pk"):
        responses = Response.objects.filter(wave=wave).aggregate(
            n=Count("pk"), last=Max("updated_at")
        )
        answers = ThemeAnswer.objects.filter(response__wave=wave).aggregate(
            n=Count("pk"), last=Max("saved_at")
        )
        assignments = Assignment.objects.filter(wave=wave).aggregate(n=Count("pk"), last=Max("pk"))
        run = runs.get(wave.pk)
        facts.append(
            [
                wave.pk,
                wave.status,
                str(wave.closed_at),
                responses["n"],
                str(responses["last"]),
                answers["n"],
                str(answers["last"]),
                assignments["n"],
                assignments["last"],
                run.pk if run else None,
                # The derived cells follow the wave's analysis plan.
                wave.analysis_plan,
            ]
        )
    payload = {
        "version": EXPORT_VERSION,
        "format": format,
        "labels": labels,
        "waves": facts,
        "scope": repr(load_scope(wave_ids)),
        "key": pseudonyms.key_fingerprint(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
