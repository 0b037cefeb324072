import json

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from analysis.models import AnalysisRun


@admin.register(AnalysisRun)
class AnalysisRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "wave", "status", "requested_at", "finished_at"]
    list_filter = ["status"]
    readonly_fields = [
        "wave",
        "status",
        "requested_at",
        "started_at",
        "finished_at",
        "attempts",
        "input_hash",
        "error",
        "results_table",
        "results_json",
    ]
    exclude = ["results"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Results by case and arm")
    def results_table(self, run: AnalysisRun) -> str:
        cases = (run.results or {}).get("cases", [])
        if not cases:
            return "—"
        rows = []
        for case in cases:
            for arm, values in case["by_arm"].items():
                rows.append(
                    (
                        case["theme"],
                        arm,
                        values["n"],
                        _pct(values["individual_index"]),
                        _pct(values["collective_index"]),
                    )
                )
            rows.append(
                (
                    case["theme"],
                    "all",
                    case["n"],
                    _pct(case["individual_index"]),
                    _pct(case["collective_index"]),
                )
            )
        # Stored text (a theme's name) is only ever an argument, escaped: used as a format
        # string, its braces were read as placeholders and the page answered 500.
        body = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
        )
        return format_html(
            "<table><thead><tr><th>Case</th><th>Arm</th><th>n</th><th>Individual index</th>"
            "<th>Collective index</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )

    @admin.display(description="Results (JSON)")
    def results_json(self, run: AnalysisRun) -> str:
        return format_html("<pre>{}</pre>", json.dumps(run.results, indent=2))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"
