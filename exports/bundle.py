"""The reproducibility bundle: every export of the waves in one zip, with a manifest.

Beside the data, codebook and results, the bundle holds what is needed to check them:
the design frozen when each wave opened (with its hash), the analysis plan frozen with
it, the report of each wave's analysis, the allocation log with members only by
pseudonym, and a manifest giving the SHA-256 of every file and the versions of the
software that wrote them.

The bundle reproduces itself: a README names every file and hash and says how to re-run,
and `reproduce/reproduce_tables.py` (the text of `exports/reproduce_tables.py`, which
imports nothing of the platform) recomputes Tables 1, 2 and 5 from the tidy CSV with
pandas and statsmodels alone and compares them with results.json.
"""

import csv
import io
import json
import platform
import tempfile
import zipfile
from datetime import UTC
from pathlib import Path

import django
import numpy as np
import pandas as pd
from django.utils import timezone

from analysis.plan import AnalysisPlan
from analysis.report_html import render_results_html
from experiments.models import Assignment, Wave
from experiments.variables import Scope, tidy_variables
from exports.bundle_readme import REPRODUCE_CODES, REPRODUCE_SCRIPT, render_readme
from exports.cells import CHUNK_SIZE, guard_text
from exports.models import ExportFormat
from exports.readers import Pseudonymiser
from exports.scope import EXPORT_VERSION, latest_runs
from exports.writers import file_digest, write_file


def frozen_design(wave: Wave) -> dict:
    """Return the design recorded when the wave opened, with its hash, and any later edits.

    The design holds a commitment to the seed (its SHA-256), never the seed itself.
    """
    from experiments.design import ensure_design_frozen

    digest, design = ensure_design_frozen(wave)
    deviations = [
        {"theme_id": t, "nudge": n, "version": v, "text_en": en, "text_cy": cy, "created_at": at}
        for t, n, v, en, cy, at in wave.nudge_texts.filter(is_deviation=True)
        .order_by("theme_id", "nudge", "version")
        .values_list("theme_id", "nudge", "version", "text_en", "text_cy", "created_at")
    ]
    return {
        "design_hash": digest,
        "design": design,
        "deviations": [{**d, "created_at": d["created_at"].isoformat()} for d in deviations],
    }


ALLOCATION_COLUMNS = [
    "pseudonym",
    "wave",
    "arm",
    "scheme",
    "stratum",
    "block",
    "position",
    "assigned_at",
]


def write_allocation_log(path: Path, wave_ids: list[int]) -> None:
    """Write every assignment of the waves, members only by pseudonym."""
    pseudonymise = Pseudonymiser()
    rows = (
        Assignment.objects.filter(wave_id__in=wave_ids)
        .order_by("wave_id", "assigned_at", "pk")
        .values_list(
            "wave__council_id",
            "member_id",
            "wave_id",
            "arm",
            "scheme",
            "stratum",
            "block",
            "position_in_block",
            "assigned_at",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(ALLOCATION_COLUMNS)
        for council_id, member_id, wave_id, arm, scheme, stratum, block, position, at in rows:
            writer.writerow(
                [
                    pseudonymise(council_id, member_id),
                    wave_id,
                    arm,
                    scheme,
                    guard_text(stratum),
                    "" if block is None else block,
                    "" if position is None else position,
                    at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                ]
            )


def library_versions() -> dict[str, str]:
    import statsmodels

    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "statsmodels": statsmodels.__version__,
    }


def frozen_analysis_plan(wave: Wave) -> dict:
    """Return the analysis plan frozen with the wave's design at opening, with its hash.

    The plan a run used may differ (a deviation the report lists); the bundle holds the
    one promised, so that a reader can compare the two.
    """
    from experiments.design import ensure_design_frozen

    digest, design = ensure_design_frozen(wave)
    plan = design.get("analysis_plan")
    return {
        "wave_id": wave.pk,
        "design_hash": digest,
        "plan_hash": AnalysisPlan.from_dict(plan).plan_hash if plan is not None else None,
        "analysis_plan": plan,
    }


def write_reports_and_plans(work_dir: Path, *, wave_ids: list[int], labels: str) -> dict:
    """Write each wave's report and pre-registration (standalone HTML) and frozen plan.

    Return them by zip name. The report and pre-registration are in the labels'
    language, and also in Welsh for a Welsh council's wave (`*.cy.html`).
    """
    from analysis.report_html import render_preregistration_html

    runs = latest_runs(wave_ids)
    written = {}
    for wave in Wave.objects.filter(pk__in=wave_ids).select_related("council").order_by("pk"):
        languages = [labels] + (["cy"] if wave.council.nation == "wales" and labels != "cy" else [])
        for language in languages:
            suffix = "" if language == labels else f".{language}"
            html = render_results_html(
                wave, runs.get(wave.pk), standalone=True, language=language, in_bundle=True
            )
            report = work_dir / f"report-{wave.pk}{suffix}.html"
            report.write_text(html, encoding="utf-8")
            written[f"report/wave-{wave.pk}{suffix}.html"] = report
            preregistration = render_preregistration_html(wave, language=language, standalone=True)
            if preregistration is not None:
                target = work_dir / f"preregistration-{wave.pk}.{language}.html"
                target.write_text(preregistration, encoding="utf-8")
                written[f"preregistration/wave-{wave.pk}.{language}.html"] = target
        plan = work_dir / f"plan-{wave.pk}.json"
        plan.write_text(
            json.dumps(frozen_analysis_plan(wave), indent=2, ensure_ascii=False), encoding="utf-8"
        )
        written[f"plan/wave-{wave.pk}.json"] = plan
    return written


def reproduction_codes(scope: Scope) -> dict[str, dict[str, str]]:
    """Return, per coded text column of the tidy file, the value each code stands for.

    The script reads the arm and status columns through these (1 → "ab", 2 → "complete").
    """
    return {
        variable.name: {str(code): value for value, code in variable.text_codes.items()}
        for variable in tidy_variables(scope)
        if variable.text_codes
    }


def write_reproduction(work_dir: Path, *, scope: Scope) -> dict[str, Path]:
    """Write the reproduction script and the codes it reads; return them by zip name."""
    script = work_dir / "reproduce_tables.py"
    script.write_text(
        (Path(__file__).parent / "reproduce_tables.py").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    codes = work_dir / "codes.json"
    codes.write_text(json.dumps(reproduction_codes(scope), indent=2), encoding="utf-8")
    return {REPRODUCE_SCRIPT: script, REPRODUCE_CODES: codes}


def write_readme(
    work_dir: Path, *, wave_ids: list[int], labels: str, designs: dict, files: list[str]
) -> Path:
    """Write README.md: what each file is, each wave's hashes, how to re-run the tables."""
    waves = list(Wave.objects.filter(pk__in=wave_ids).select_related("council").order_by("pk"))
    readme = work_dir / "README.md"
    readme.write_text(
        render_readme(
            labels=labels,
            waves=waves,
            runs=latest_runs(wave_ids),
            designs=designs,
            frozen_plan_hashes={wave.pk: frozen_analysis_plan(wave)["plan_hash"] for wave in waves},
            files=files,
            versions=library_versions(),
            export_version=EXPORT_VERSION,
        ),
        encoding="utf-8",
    )
    return readme


def write_bundle(path: Path, *, scope: Scope, wave_ids: list[int], labels: str) -> None:
    """Write the zip: data in every format, codebook, design, plan, log, results, reports."""
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".partial-bundle-") as work:
        work_dir = Path(work)
        files = {
            "data/tidy.csv": ExportFormat.CSV_TIDY,
            "data/wide.csv": ExportFormat.CSV_WIDE,
            "data/tidy.dta": ExportFormat.STATA,
            "data/tidy.sav": ExportFormat.SPSS,
            "codebook.html": ExportFormat.CODEBOOK_HTML,
            "codebook.csv": ExportFormat.CODEBOOK_CSV,
            "results.json": ExportFormat.RESULTS_JSON,
        }
        written: dict[str, Path] = {}
        for name, format in files.items():
            target = work_dir / name.replace("/", "_")
            write_file(target, wave_ids=wave_ids, format=format, labels=labels)
            written[name] = target
        design = {
            str(wave.pk): frozen_design(wave) for wave in Wave.objects.filter(pk__in=wave_ids)
        }
        target = work_dir / "design.json"
        target.write_text(json.dumps(design, indent=2, ensure_ascii=False), encoding="utf-8")
        written["design/design.json"] = target
        target = work_dir / "allocation.csv"
        write_allocation_log(target, wave_ids)
        written["design/allocation.csv"] = target
        written.update(write_reports_and_plans(work_dir, wave_ids=wave_ids, labels=labels))
        written.update(write_reproduction(work_dir, scope=scope))
        written["README.md"] = write_readme(
            work_dir, wave_ids=wave_ids, labels=labels, designs=design, files=list(written)
        )

        manifest = {
            "export_version": EXPORT_VERSION,
            "generated_at": timezone.now().isoformat(),
            "waves": wave_ids,
            "labels": labels,
            "versions": library_versions(),
            "files": {
                name: dict(zip(("sha256", "size"), file_digest(file), strict=True))
                for name, file in written.items()
            },
        }
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for name, file in written.items():
                bundle.write(file, name)
            bundle.writestr("manifest.json", json.dumps(manifest, indent=2))


def read_manifest(bundle: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        return json.loads(archive.read("manifest.json"))
