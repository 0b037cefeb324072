"""The bundle's README: what each file is, the hashes that tie them together, how to re-run.

Written in the bundle's label language, like its reports, for a reader who has only the
zip: it names every file, gives each wave's design and plan hashes beside the run that
produced its results, and the commands that recompute Tables 1, 2 and 5 outside the
platform (`reproduce/reproduce_tables.py`).
"""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from analysis.models import AnalysisRun
from experiments.models import Wave

REPRODUCE_SCRIPT = "reproduce/reproduce_tables.py"
REPRODUCE_CODES = "reproduce/codes.json"


def _file_description(name: str) -> str:
    """Return what a file of the bundle holds, in the active language."""
    fixed = {
        "README.md": _("This file."),
        "manifest.json": _(
            "The SHA-256 and size of every other file, the waves, and the versions of the "
            "software that wrote them."
        ),
        "data/tidy.csv": _(
            "The data: one row per response and theme answered, members only by pseudonym, "
            "answers as the codes of the codebook. The script reads this file."
        ),
        "data/wide.csv": _(
            "The same data with one row per response, each theme's questions in columns "
            "named t<theme id>_<question>."
        ),
        "data/tidy.dta": _("The tidy data for Stata, with value labels and missing values."),
        "data/tidy.sav": _("The tidy data for SPSS, with value labels and missing values."),
        "codebook.html": _("The codebook: every variable, its question and its codes."),
        "codebook.csv": _("The codebook as a table."),
        "results.json": _(
            "The results of each wave's latest finished analysis: every table of the report, "
            "the analysis plan the run used and its hash."
        ),
        "design/design.json": _(
            "The design of each wave as frozen when it opened (arms, allocation, nudge texts, "
            "analysis plan), its hash, and any change made after opening."
        ),
        "design/allocation.csv": _(
            "The allocation log: every member's group, scheme, stratum and block, members "
            "only by pseudonym."
        ),
        REPRODUCE_SCRIPT: _(
            "A Python script that recomputes Tables 1, 2 and 5 from data/tidy.csv and "
            "compares them with results.json (see below)."
        ),
        REPRODUCE_CODES: _(
            "The codes of the data's coded text columns (group, status and others) as the "
            "script reads them."
        ),
    }
    if name in fixed:
        return fixed[name]
    if name.startswith("report/"):
        return _("The report of the wave's analysis, readable in any browser.")
    if name.startswith("plan/"):
        return _(
            "The analysis plan frozen when the wave opened, with its hash: every option the "
            "tables follow (index rule, collective coding, intervals, families)."
        )
    if name.startswith("preregistration/"):
        return _("The pre-analysis plan written when the wave opened.")
    return ""


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def _wave_lines(
    wave: Wave, run: AnalysisRun | None, design: dict, frozen_plan_hash: str | None
) -> list[str]:
    title = _("Wave %(id)s: %(title)s") % {"id": wave.pk, "title": wave.title}
    lines = ["### " + title, ""]
    lines.append("- " + _("Council: %(council)s") % {"council": wave.council.name})
    if design.get("design_hash"):
        lines.append(
            "- "
            + _("Design hash (SHA-256 of the design frozen at opening): `%(hash)s`")
            % {"hash": design["design_hash"]}
        )
    else:
        lines.append("- " + _("The wave has not opened: no design is frozen yet."))
    if frozen_plan_hash:
        lines.append(
            "- "
            + _("Analysis plan frozen at opening: `%(hash)s` (plan/wave-%(id)s.json)")
            % {"hash": frozen_plan_hash, "id": wave.pk}
        )
    allocation = (design.get("design") or {}).get("allocation") or {}
    if allocation.get("scheme") == "external":
        lines.append(
            "- "
            + _(
                "Randomised elsewhere, by %(who)s (scheme as declared: %(scheme)s). The groups "
                "come from the imported file; the platform cannot verify the allocation."
            )
            % {
                "who": allocation.get("randomised_by", ""),
                "scheme": allocation.get("declared_scheme", ""),
            }
        )
    if run is None:
        lines.append("- " + _("No finished analysis yet: results.json holds no results for it."))
    else:
        lines.append(
            "- "
            + _("Analysis run #%(run)s, finished %(when)s; plan hash `%(hash)s`")
            % {"run": run.pk, "when": _when(run.finished_at), "hash": run.plan_hash}
        )
        if frozen_plan_hash and run.plan_hash != frozen_plan_hash:
            lines.append(
                "- "
                + _(
                    "The run used a plan other than the one frozen at opening: a deviation "
                    "the report lists. The script recomputes the tables under the plan the "
                    "run used and says which options changed."
                )
            )
        lines.append("- " + _("Input hash of the run: `%(hash)s`") % {"hash": run.input_hash})
    return [*lines, ""]


def render_readme(
    *,
    labels: str,
    waves: list[Wave],
    runs: dict[int, AnalysisRun],
    designs: dict[str, dict],
    frozen_plan_hashes: dict[int, str | None],
    files: list[str],
    versions: dict[str, str],
    export_version: int,
) -> str:
    """Return the README's Markdown, in the bundle's label language."""
    with override(labels):
        lines = [
            "# " + _("Analysis bundle"),
            "",
            _(
                "Written by the survey platform on %(when)s (export version %(version)s). "
                "Everything needed to check the results is here: the data, the codebook, the "
                "design and analysis plan frozen when each wave opened, the allocation log, "
                "the results and reports, and a script that recomputes the main tables."
            )
            % {"when": _when(timezone.now()), "version": export_version},
            "",
            "## " + _("Waves"),
            "",
        ]
        for wave in waves:
            lines += _wave_lines(
                wave,
                runs.get(wave.pk),
                designs.get(str(wave.pk), {}),
                frozen_plan_hashes.get(wave.pk),
            )
        lines += ["## " + _("Files"), ""]
        for name in sorted([*files, "README.md", "manifest.json"]):
            lines.append(f"- `{name}`: {_file_description(name)}")
        pandas, statsmodels = versions.get("pandas", ""), versions.get("statsmodels", "")
        lines += [
            "",
            "## " + _("Re-running the tables"),
            "",
            _(
                "The script `%(script)s` recomputes Tables 1 (levels), 2 (time) and 5 (nudge "
                "effects, with HC2 standard errors, the pooled rows and the other coding of "
                "the collective index) of every wave from `data/tidy.csv`, under the analysis "
                "plan in `plan/`, and compares every number with `results.json`. It shares no "
                "code with the platform: each definition is written out at the top of the "
                "script."
            )
            % {"script": REPRODUCE_SCRIPT},
            "",
            _(
                "It needs Python 3.10 or later with pandas and statsmodels only (they bring "
                "numpy and scipy). In a terminal, in the folder where the bundle is unzipped:"
            ),
            "",
            "```",
            "python3 -m venv venv",
            f"venv/bin/pip install pandas=={pandas} statsmodels=={statsmodels}",
            f"venv/bin/python {REPRODUCE_SCRIPT}",
            "```",
            "",
            _(
                "(On Windows: `venv\\Scripts\\python` instead of `venv/bin/python`.) These "
                "are the versions that computed the results; others usually agree too."
            ),
            "",
            _(
                "The script first checks each file it reads against `manifest.json` and each "
                "design against its hash. It prints, for each wave and table, how many numbers "
                "it compared and whether they agree within 1e-9, then AGREE or DISAGREE with "
                "every difference. It exits with 0 when everything agrees, 1 on any "
                "disagreement and 2 when the bundle cannot be read."
            ),
            "",
            _(
                "To check any file by hand, compare `sha256sum FILE` with its entry in "
                "`manifest.json`. Tables 3 and 4, the robustness rows and the diagnostics are "
                "in `results.json` and the reports; the script does not recompute them."
            ),
            "",
        ]
    return "\n".join(lines)
