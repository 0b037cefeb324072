"""The one table the bench prints: every figure beside its baseline from the same run."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    scenario: str
    measure: str
    value: float | None
    unit: str = ""
    baseline: str = ""
    baseline_value: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline_value:
            return None
        return self.value / self.baseline_value


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def render(rows: list[Row]) -> str:
    header = ("scenario", "measure", "value", "baseline", "base value", "ratio", "target", "")
    lines = [header]
    for row in rows:
        verdict = {True: "ok", False: "MISSED", None: ""}[row.met]
        lines.append(
            (
                row.scenario,
                row.measure,
                f"{_number(row.value)} {row.unit}".strip() if row.value is not None else "n/a",
                row.baseline,
                _number(row.baseline_value) if row.baseline_value is not None else "",
                f"{row.ratio:.2f}×" if row.ratio is not None else "",
                row.target,
                verdict,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for number, line in enumerate(lines):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if number == 0:
            out.append("  ".join("-" * width for width in widths))
    notes = [f"  {row.scenario} / {row.measure}: {row.note}" for row in rows if row.note]
    if notes:
        out.append("")
        out.append("Notes:")
        out.extend(notes)
    return "\n".join(out)
