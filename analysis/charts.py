"""Inline SVG charts, drawn server-side from stored results (no JavaScript, no images)."""

from html import escape

WIDTH = 720
ROW = 26
LEFT = 260
RIGHT = 40
COLOURS = {"individual": "#1f5f8b", "collective_any": "#c0612b"}


def _short(case: str, cases=()) -> str:
    """Drop the council from a case name when every case of the chart shares it.

    A wave's report covers one council; a run over several waves may cover several, and
    then the council tells the cases apart.
    """
    councils = {other.split(" — ", 1)[0] for other in cases}
    return case.split(" — ", 1)[-1] if len(councils) <= 1 else case


def _x(value: float, low: float, high: float) -> float:
    span = (high - low) or 1.0
    return LEFT + (value - low) / span * (WIDTH - LEFT - RIGHT)


def _axis(low: float, high: float, top: float, bottom: float, ticks: list[float], fmt) -> str:
    parts = []
    for tick in ticks:
        x = _x(tick, low, high)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#ddd"/>'
            f'<text x="{x:.1f}" y="{bottom + 14}" font-size="11" text-anchor="middle">'
            f"{escape(fmt(tick))}</text>"
        )
    return "".join(parts)


def levels_chart(levels: list[dict], *, title: str, labels: dict[str, str]) -> str:
    """Dot-and-interval chart of the two indices per case (0–100 %)."""
    cases = [row["case"] for row in levels]
    rows = []
    for row in levels:
        for key in ("individual", "collective_any"):
            value = row.get(key) or {}
            if "estimate" in value:
                rows.append((row["case"], key, value["estimate"], value["low"], value["high"]))
    height = 40 + ROW * len(rows) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        _axis(0, 1, 30, height - 30, [0, 0.25, 0.5, 0.75, 1], lambda t: f"{100 * t:.0f}%"),
    ]
    for i, (case, key, estimate, low, high) in enumerate(rows):
        y = 40 + ROW * i
        colour = COLOURS[key]
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + 4}" font-size="11" text-anchor="end">'
            f"{escape(_short(case, cases))} · {escape(labels[key])}</text>"
            f'<line x1="{_x(low, 0, 1):.1f}" y1="{y}" x2="{_x(high, 0, 1):.1f}" y2="{y}" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<circle cx="{_x(estimate, 0, 1):.1f}" cy="{y}" r="4" fill="{colour}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def forest_plot(nudges: dict, *, title: str, labels: dict[str, str]) -> str:
    """Forest plot of the arm-vs-none effects with their 95 % intervals."""
    cases = [row["case"] for row in nudges.get("rows", [])]
    rows = []
    for row in nudges.get("rows", []):
        for term in row.get("terms", []):
            if term["kind"] == "arm" and term.get("low") is not None:
                rows.append(
                    (
                        f"{_short(row['case'], cases)} · {labels[row['outcome']]} · {term['term']}",
                        row["outcome"],
                        term["estimate"],
                        term["low"],
                        term["high"],
                    )
                )
    if not rows:
        return ""
    bound = max(0.05, *(max(abs(r[3]), abs(r[4])) for r in rows))
    low, high = -bound, bound
    height = 40 + ROW * len(rows) + 40
    ticks = [round(-bound + k * bound / 2, 3) for k in range(5)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        _axis(low, high, 30, height - 30, ticks, lambda t: f"{100 * t:+.0f}"),
        f'<line x1="{_x(0, low, high):.1f}" y1="30" x2="{_x(0, low, high):.1f}" '
        f'y2="{height - 30}" stroke="#333"/>',
    ]
    for i, (label, outcome, estimate, lo, hi) in enumerate(rows):
        y = 40 + ROW * i
        colour = COLOURS[outcome]
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + 4}" font-size="10" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<line x1="{_x(lo, low, high):.1f}" y1="{y}" x2="{_x(hi, low, high):.1f}" y2="{y}" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<rect x="{_x(estimate, low, high) - 4:.1f}" y="{y - 4}" width="8" height="8" '
            f'fill="{colour}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def consort_chart(consort: dict, *, title: str, labels: dict[str, str]) -> str:
    """CONSORT-style flow: invited → opened and assigned → per arm → complete."""
    if not consort:
        return ""
    arms = [a for a in ("ab", "a", "b", "none") if consort["per_arm"][a]["assigned"]]
    box_w, box_h = 150, 58
    height = 280
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]

    def box(x: float, y: float, lines: list[str]) -> str:
        text = "".join(
            f'<text x="{x + box_w / 2}" y="{y + 18 + 15 * k}" font-size="11" '
            f'text-anchor="middle">{escape(line)}</text>'
            for k, line in enumerate(lines)
        )
        return (
            f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" fill="#f6f6f6" '
            f'stroke="#555"/>{text}'
        )

    centre = WIDTH / 2 - box_w / 2
    parts.append(box(centre, 10, [labels["invited"], str(consort["invited"])]))
    parts.append(
        box(
            centre,
            95,
            [
                labels["assigned"],
                str(consort["assigned"]),
                f"{labels['not_opened']}: {consort['not_opened']}",
            ],
        )
    )
    parts.append(
        f'<line x1="{WIDTH / 2}" y1="{10 + box_h}" x2="{WIDTH / 2}" y2="95" stroke="#555"/>'
    )
    step = WIDTH / max(len(arms), 1)
    for k, arm in enumerate(arms):
        counts = consort["per_arm"][arm]
        x = step * k + step / 2 - box_w / 2
        parts.append(
            f'<line x1="{WIDTH / 2}" y1="{95 + box_h}" x2="{x + box_w / 2}" y2="190" '
            f'stroke="#555"/>'
        )
        parts.append(
            box(
                x,
                190,
                [
                    labels[arm],
                    f"{labels['assigned']}: {counts['assigned']}",
                    f"{labels['complete']}: {counts['complete']} · "
                    f"{labels['partial']}: {counts['partial']}",
                ],
            )
        )
    parts.append("</svg>")
    return "".join(parts)
