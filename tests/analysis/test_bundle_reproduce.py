"""The bundle reproduces itself: its README and its script recompute Tables 1, 2 and 5.

The script (`exports/reproduce_tables.py`, shipped as `reproduce/reproduce_tables.py`) is
run as a reader of the bundle would run it: as a separate process on the unzipped files,
once with the project's interpreter and once in a clean virtual environment holding only
pandas and statsmodels at the project's versions.
"""

import ast
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import statsmodels
from django.conf import settings
from django.utils import translation

from analysis.models import AnalysisRun
from analysis.runs import execute_run
from analysis.synthetic import CouncilSpec, ThemeSpec, generate_council
from experiments.demo import write_synthetic_wave
from experiments.policy import SYSTEM
from experiments.randomised_elsewhere import declare_randomised_elsewhere
from experiments.response_imports import import_response_file
from experiments.waves import close_wave, open_wave
from exports import jobs
from exports.bundle_readme import REPRODUCE_CODES, REPRODUCE_SCRIPT
from tests.factories import (
    ActivityFactory,
    CouncilFactory,
    PanelMemberFactory,
    ThemeFactory,
    WaveFactory,
    make_openable,
)

pytestmark = pytest.mark.django_db

SCRIPT = Path(__file__).resolve().parents[2] / "exports" / "reproduce_tables.py"
NON_DEFAULT_PLAN = {
    "index_missing_rule": "missing_as_no",
    "collective_coding": "frequency",
    "time_threshold_code": 2,
    "ci_level": 0.9,
    "alpha": 0.1,
    "power": 0.9,
    "star_levels": [0.001, 0.01, 0.05],
    "family_scope": "wave",
    "confirmatory_outcomes": ["collective", "individual"],
    "confirmatory_adjustment": "bonferroni",
    "exploratory_adjustment": "holm",
    "min_respondents": 12,
}


def analysed_wave(council=None, *, respondents=120, seed=3, **wave_fields):
    """Return a closed wave of two themes (3 and 5 activities, both time questions), analysed."""
    council = council or CouncilFactory(name="Testshire")
    wave = WaveFactory(council=council, status="closed", **wave_fields)
    specs = (
        ThemeSpec("Local environment", "environment", 3, 0.6, 0.2, 0.3, 0.4, 0.3,
                  collective_effect={"a": 0.15}, individual_effect={"b": -0.1}),
        ThemeSpec("Community safety", "safety", 5, 0.4, 0.1, 0.2, 0.3, 0.2),
    )  # fmt: skip
    themes = {}
    for position, spec in enumerate(specs):
        theme = ThemeFactory(council=council, name_en=spec.theme, kind=spec.kind)
        for number in range(spec.activities):
            ActivityFactory(theme=theme, position=number)
        wave.wave_themes.create(theme=theme, position=position)
        themes[spec.theme] = theme
    spec = CouncilSpec(council=council.name, respondents=respondents, experiment=True, themes=specs)
    write_synthetic_wave(wave, generate_council(spec, seed=seed), themes=themes, seed=seed)
    execute_run(AnalysisRun.objects.create(wave=wave).pk)
    return wave


def unzipped_bundle(tmp_path: Path, wave_ids: list[int], *, labels: str = "en") -> Path:
    archive = tmp_path / "bundle.zip"
    jobs.write_export(archive, wave_ids=wave_ids, format="bundle", labels=labels)
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(folder)
    return folder


def run_script(folder: Path, python: str = sys.executable) -> subprocess.CompletedProcess:
    """Run the bundle's own copy of the script, from the bundle's folder, as a reader would."""
    return subprocess.run(
        [python, REPRODUCE_SCRIPT],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"},
    )


def rewrite(folder: Path, name: str, text: str) -> None:
    """Change a file of the bundle and its manifest entry, as a forger would."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][name]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))


def compared(output: str) -> int:
    return int(re.search(r"AGREE: all (\d+) numbers", output).group(1))


def test_the_script_reproduces_tables_1_2_and_5_of_two_waves_with_the_project_python(tmp_path):
    # Given a bundle of two analysed waves, one of them too small for some estimates
    large = analysed_wave()
    small = analysed_wave(CouncilFactory(name="Smallton"), respondents=8, seed=5)
    folder = unzipped_bundle(tmp_path, [large.pk, small.pk])

    # When its script runs on the unzipped files
    result = run_script(folder)

    # Then every number of Tables 1, 2 and 5 agrees with results.json to 1e-9
    assert result.returncode == 0, result.stdout + result.stderr
    assert "within 1e-09" in result.stdout
    assert compared(result.stdout) > 600
    for wave in (large, small):
        assert f"Wave {wave.pk} (" in result.stdout
    assert "Table 5 (nudge effects, HC2): 0 numbers" not in result.stdout
    # And the small wave's estimates that the platform could not make are not made either
    results = json.loads((folder / "results.json").read_text())["waves"][1]["results"]
    assert any("not_estimable" in row for row in results["nudges"]["rows"])


def test_the_script_follows_a_non_default_plan_frozen_at_opening(tmp_path):
    # Given a wave whose plan changes the index rule, the collective coding, the time
    # threshold, the intervals, the families and their adjustment
    wave = analysed_wave(analysis_plan=NON_DEFAULT_PLAN)
    folder = unzipped_bundle(tmp_path, [wave.pk])
    plan = json.loads((folder / f"plan/wave-{wave.pk}.json").read_text())["analysis_plan"]
    assert plan["collective_coding"] == "frequency"

    # When the script runs
    result = run_script(folder)

    # Then it agrees, having read that plan
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the one frozen when the wave opened" in result.stdout
    assert compared(result.stdout) > 300


def test_the_script_fails_on_a_number_that_differs_from_its_recomputation(tmp_path):
    # Given a bundle whose results.json (and manifest) were altered in one Table 5 estimate
    wave = analysed_wave()
    folder = unzipped_bundle(tmp_path, [wave.pk])
    bundle = json.loads((folder / "results.json").read_text())
    term = bundle["waves"][0]["results"]["nudges"]["rows"][0]["terms"][0]
    term["se"] += 1e-7
    rewrite(folder, "results.json", json.dumps(bundle))

    # When the script runs
    result = run_script(folder)

    # Then it exits non-zero, naming the number
    assert result.returncode == 1
    assert "DISAGREE: 1 difference(s)" in result.stdout
    assert re.search(r"Table 5 \(.*\) A only\.se: results\.json 0\.\d+, recomputed", result.stdout)


def test_the_script_fails_when_a_file_no_longer_matches_the_manifest(tmp_path):
    # Given a bundle whose data lost a response after it was written
    wave = analysed_wave()
    folder = unzipped_bundle(tmp_path, [wave.pk])
    lines = (folder / "data/tidy.csv").read_text(encoding="utf-8-sig").splitlines()
    (folder / "data/tidy.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")

    # When the script runs
    result = run_script(folder)

    # Then it says the file is not the one the manifest lists, and the numbers that moved
    assert result.returncode == 1
    assert "data/tidy.csv: its SHA-256 is not the one in manifest.json" in result.stdout


def test_an_externally_randomised_wave_imported_and_analysed_reproduces_and_says_so(tmp_path):
    # Given a partner's trial: a wave declared randomised elsewhere, its answers imported
    # with each member's group, closed and analysed
    council = CouncilFactory(name="Partnershire")
    wave = WaveFactory(council=council, status="draft")
    theme = ThemeFactory(council=council, name_en="Local environment")
    for number in range(3):
        ActivityFactory(theme=theme, position=number)
    wave.wave_themes.create(theme=theme)
    make_openable(wave)
    declare_randomised_elsewhere(
        SYSTEM, wave, randomised_by="Partner unit", declared_scheme="1:1:1:1, blocks of 8"
    )
    open_wave(SYSTEM, wave)
    activities = list(theme.activities.order_by("pk"))
    lines = [f"external_id,mode,arm,t{theme.pk}_collective,t{theme.pk}_time_more,"]
    lines[0] += ",".join(f"t{theme.pk}_a{a.pk}" for a in activities)
    rng = random.Random(8)
    for i in range(60):
        PanelMemberFactory(council=council, external_id=f"P{i:03d}")
        answers = [rng.choice(["0", "1", "1", ""]) for _ in activities]
        collective, time_more = rng.choice("123"), rng.choice("1234")
        lines.append(f"P{i:03d},2,{i % 4 + 1},{collective},{time_more}," + ",".join(answers))
    import_response_file(wave, content="\n".join(lines).encode(), filename="partner.csv")
    close_wave(SYSTEM, wave)
    execute_run(AnalysisRun.objects.create(wave=wave).pk)
    folder = unzipped_bundle(tmp_path, [wave.pk])

    # When the bundle's script runs
    result = run_script(folder)

    # Then Tables 1, 2 and 5 of the imported groups reproduce, and the README and the
    # report say who randomised and that the platform cannot verify it
    assert result.returncode == 0, result.stdout + result.stderr
    assert compared(result.stdout) > 100
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "Randomised elsewhere, by Partner unit (scheme as declared: 1:1:1:1, blocks of 8)" in (
        readme
    )
    report = (folder / f"report/wave-{wave.pk}.html").read_text(encoding="utf-8")
    assert "The platform cannot verify this allocation" in report


def test_the_script_imports_nothing_of_the_platform():
    allowed = {"argparse", "hashlib", "json", "math", "sys", "pathlib"}
    allowed |= {"numpy", "pandas", "scipy", "statsmodels"}
    imported = set()
    for node in ast.walk(ast.parse(SCRIPT.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])

    assert imported <= allowed, imported - allowed


def test_the_readme_names_every_file_the_hashes_and_how_to_re_run(tmp_path):
    wave = analysed_wave()
    folder = unzipped_bundle(tmp_path, [wave.pk])

    readme = (folder / "README.md").read_text(encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text())
    design = json.loads((folder / "design/design.json").read_text())[str(wave.pk)]
    plan = json.loads((folder / f"plan/wave-{wave.pk}.json").read_text())
    run = AnalysisRun.objects.get(wave=wave)

    for name in [*manifest["files"], "manifest.json"]:
        assert f"`{name}`: " in readme, name
    assert {"README.md", REPRODUCE_SCRIPT, REPRODUCE_CODES} <= set(manifest["files"])
    assert design["design_hash"] in readme
    assert plan["plan_hash"] in readme
    assert run.plan_hash in readme
    assert run.input_hash in readme
    assert f"pip install pandas=={pd.__version__} statsmodels=={statsmodels.__version__}" in readme
    assert f"venv/bin/python {REPRODUCE_SCRIPT}" in readme
    # The shipped script is the platform's file, byte for byte
    assert (folder / REPRODUCE_SCRIPT).read_text(encoding="utf-8") == SCRIPT.read_text(
        encoding="utf-8"
    )
    codes = json.loads((folder / REPRODUCE_CODES).read_text())
    assert codes["arm"] == {"1": "ab", "2": "a", "3": "b", "4": "none"}
    assert codes["status"]["2"] == "complete"


def test_the_readme_of_a_welsh_bundle_is_in_welsh(tmp_path):
    wave = analysed_wave()
    folder = unzipped_bundle(tmp_path, [wave.pk], labels="cy")

    readme = (folder / "README.md").read_text(encoding="utf-8")

    with translation.override("cy"):
        heading = translation.gettext("Re-running the tables")
    assert heading != "Re-running the tables"
    assert f"## {heading}" in readme
    assert "Re-running the tables" not in readme


def _clean_venv() -> Path:
    """Return a virtual environment with only pandas and statsmodels, at this project's versions.

    Kept under var/ keyed by the versions, so that later runs reuse it; built in a temporary
    folder and renamed into place, so that an interrupted build is never reused.
    """
    key = (
        f"py{sys.version_info.major}.{sys.version_info.minor}"
        f"-pandas{pd.__version__}-statsmodels{statsmodels.__version__}"
    )
    cache = Path(settings.BASE_DIR) / "var" / "reproduce-venvs"
    target = cache / key
    python = target / "bin" / "python"
    if python.exists():
        return python
    cache.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache))
    subprocess.run([sys.executable, "-m", "venv", str(building)], check=True, timeout=300)
    subprocess.run(
        [
            str(building / "bin" / "pip"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"pandas=={pd.__version__}",
            f"statsmodels=={statsmodels.__version__}",
        ],
        check=True,
        timeout=1200,
    )
    try:
        building.rename(target)
    except OSError:  # another run finished first: use its environment
        shutil.rmtree(building, ignore_errors=True)
    # The environment's own scripts name the folder they were built in: call python by path.
    return target / "bin" / "python"


@pytest.mark.slow
def test_the_script_reproduces_results_json_in_a_clean_venv_with_only_pandas_and_statsmodels(
    tmp_path,
):
    # Given a clean environment with only pandas, statsmodels and what they need
    python = _clean_venv()
    installed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {line.split("==")[0].lower() for line in installed.split()}
    assert "django" not in names
    assert {"pandas", "statsmodels"} <= names
    # And a bundle of a wave analysed under a plan other than the default
    wave = analysed_wave(analysis_plan=NON_DEFAULT_PLAN)
    folder = unzipped_bundle(tmp_path, [wave.pk])

    # When the bundle's script runs there
    result = run_script(folder, python=str(python))

    # Then every number agrees with results.json to 1e-9
    assert result.returncode == 0, result.stdout + result.stderr
    assert "within 1e-09" in result.stdout
    assert compared(result.stdout) > 300
