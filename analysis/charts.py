"""Inline SVG charts, drawn server-side from stored results (no JavaScript, no images).

Each row's label sits on its own line above its interval, so that the chart keeps its
text readable when it scales down to a phone's width.
"""

import math
from html import escape

WIDTH = 480
MARGIN = 16
LINE = 18  # height of one line of a row's label
TOP = 36
FONT = 15
# Characters of a label that fit on one line (an average glyph is about 0.55 em).
LINE_CHARS = int((WIDTH - 2 * MARGIN) / (FONT * 0.55))
COLOURS = {
    "individual": "#1f5f8b",
    "collective_any": "#c0612b",
    "collective_frequency": "#c0612b",
}
MINUS = "\u2212"


def _short(case: str, cases=()) -> str:
    """Drop the council from a case name when every case of the chart shares it.

    A wave's report covers one council; a run over several waves may cover several, and
    then the council tells the cases apart.
    """
    councils = {other.split(" — ", 1)[0] for other in cases}
    return case.split(" — ", 1)[-1] if len(councils) <= 1 else case


def _x(value: float, low: float, high: float) -> float:
    span = (high - low) or 1.0
    return MARGIN + (value - low) / span * (WIDTH - 2 * MARGIN)


def round_ticks(low: float, high: float, *, most: int = 8) -> list[float]:
    """Return ticks at a round step (1, 2 or 5 × 10^k) from below `low` to above `high`.

    The first and last ticks are the axis ends, so every value in [low, high] is drawn
    inside the axis; zero is always a tick. Of the round steps giving 4 to `most` ticks,
    the one whose axis wastes least room wins.
    """
    low, high = min(low, 0.0), max(high, 0.0)
    if high - low <= 0:
        low, high = -1.0, 1.0
    magnitude = math.floor(math.log10((high - low) / 4))
    best = None
    for exponent in (magnitude - 1, magnitude, magnitude + 1):
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0**exponent
            first = math.floor(low / step + 1e-9)
            last = math.ceil(high / step - 1e-9)
            count = last - first + 1
            if not 4 <= count <= most:
                continue
            key = ((last - first) * step, -step)
            if best is None or key < best[0]:
                best = (key, step, first, last)
    if best is None:  # cannot happen for 4 to 8 ticks; kept as a guard
        step = 10.0 ** (magnitude + 1)
        best = (None, step, math.floor(low / step), math.ceil(high / step))
    _, step, first, last = best
    return [round(k * step, 10) for k in range(first, last + 1)]


def signed_tick(value: float) -> str:
    if abs(value) < 1e-9:
        return "0"
    text = f"{abs(value):g}"
    return ("+" if value > 0 else MINUS) + text


def _axis(low: float, high: float, top: float, bottom: float, ticks: list[float], fmt) -> str:
    parts = []
    for tick in ticks:
        x = _x(tick, low, high)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#ddd"/>'
            f'<text x="{x:.1f}" y="{bottom + 18}" font-size="14" text-anchor="middle">'
            f"{escape(fmt(tick))}</text>"
        )
    return "".join(parts)


def _svg_open(title: str, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


def wrap_label(label: str, *, width: int = LINE_CHARS) -> list[str]:
    """Split a row's label into lines of at most `width` characters, at its " · " joints."""
    lines: list[str] = []
    for part in label.split(" · "):
        if lines and len(lines[-1]) + 3 + len(part) <= width:
            lines[-1] = f"{lines[-1]} · {part}"
        else:
            lines.append(part)
    return lines


def _row(
    y: float, lines: list[str], colour: str, x_low: float, x_high: float, x_mid: float, mark: str
):
    """Draw one row: its label lines from y, then its interval and estimate below them."""
    text = "".join(
        f'<text x="{MARGIN}" y="{y + LINE * k:.0f}" font-size="{FONT}">{escape(line)}</text>'
        for k, line in enumerate(lines)
    )
    bar = y + LINE * (len(lines) - 1) + 14
    marker = (
        f'<circle cx="{x_mid:.1f}" cy="{bar}" r="5" fill="{colour}"/>'
        if mark == "dot"
        else f'<rect x="{x_mid - 5:.1f}" y="{bar - 5}" width="10" height="10" fill="{colour}"/>'
    )
    return (
        f'{text}<line x1="{x_low:.1f}" y1="{bar}" x2="{x_high:.1f}" y2="{bar}" '
        f'stroke="{colour}" stroke-width="3"/>{marker}'
    )


def _row_height(lines: list[str]) -> float:
    return LINE * len(lines) + 22


def levels_chart(
    levels: list[dict], *, title: str, labels: dict[str, str], cases: dict | None = None
) -> str:
    """Dot-and-interval chart of the two indices per case (0–100 %)."""
    cases = cases or {}
    names = [cases.get(row["case"], row["case"]) for row in levels]
    rows = []
    for row in levels:
        for key in ("individual", "collective_any"):
            value = row.get(key) or {}
            if "estimate" in value:
                name = cases.get(row["case"], row["case"])
                rows.append((name, key, value["estimate"], value["low"], value["high"]))
    wrapped = [wrap_label(f"{_short(name, names)} · {labels[key]}") for name, key, *_ in rows]
    height = TOP + sum(_row_height(lines) for lines in wrapped) + 30
    parts = [
        _svg_open(title, height),
        _axis(0, 1, TOP - 16, height - 30, [0, 0.25, 0.5, 0.75, 1], lambda t: f"{100 * t:.0f}%"),
    ]
    y = TOP
    for lines, (_name, key, estimate, low, high) in zip(wrapped, rows, strict=True):
        parts.append(
            _row(y, lines, COLOURS[key], _x(low, 0, 1), _x(high, 0, 1), _x(estimate, 0, 1), "dot")
        )
        y += _row_height(lines)
    parts.append("</svg>")
    return "".join(parts)


def forest_plot(
    nudges: dict, *, title: str, labels: dict[str, str], cases: dict | None = None
) -> str:
    """Forest plot of the arm-vs-none effects in points, on an axis of round ticks."""
    cases = cases or {}
    names = [cases.get(row["case"], row["case"]) for row in nudges.get("rows", [])]
    rows = []
    for row in nudges.get("rows", []):
        for term in row.get("terms", []):
            if term["kind"] == "arm" and term.get("low") is not None:
                name = cases.get(row["case"], row["case"])
                rows.append(
                    (
                        f"{_short(name, names)} · {labels.get(row['outcome'], row['outcome'])}"
                        f" · {labels.get(term['term'], term['term'])}",
                        row["outcome"],
                        100 * term["estimate"],
                        100 * term["low"],
                        100 * term["high"],
                    )
                )
    if not rows:
        return ""
    ticks = round_ticks(min(r[3] for r in rows), max(r[4] for r in rows))
    low, high = ticks[0], ticks[-1]
    wrapped = [wrap_label(row[0]) for row in rows]
    height = TOP + sum(_row_height(lines) for lines in wrapped) + 30
    parts = [
        _svg_open(title, height),
        _axis(low, high, TOP - 16, height - 30, ticks, signed_tick),
        f'<line x1="{_x(0, low, high):.1f}" y1="{TOP - 16}" x2="{_x(0, low, high):.1f}" '
        f'y2="{height - 30}" stroke="#333"/>',
    ]
    y = TOP
    for lines, (_label, outcome, estimate, lo, hi) in zip(wrapped, rows, strict=True):
        parts.append(
            _row(
                y,
                lines,
                COLOURS.get(outcome, "#555"),
                _x(lo, low, high),
                _x(hi, low, high),
                _x(estimate, low, high),
                "square",
            )
        )
        y += _row_height(lines)
    parts.append("</svg>")
    return "".join(parts)


def consort_chart(consort: dict, *, title: str, labels: dict[str, str]) -> str:
    """CONSORT-style flow: invited → opened and assigned → per arm → complete."""
    if not consort:
        return ""
    arms = [a for a in ("ab", "a", "b", "none") if consort["per_arm"][a]["assigned"]]
    box_w, box_h = 112, 74
    height = 284
    parts = [_svg_open(title, height)]

    def box(x: float, y: float, lines: list[str], width: float = box_w) -> str:
        text = "".join(
            f'<text x="{x + width / 2}" y="{y + 17 + 16 * k}" font-size="13" '
            f'text-anchor="middle">{escape(line)}</text>'
            for k, line in enumerate(lines)
        )
        return (
            f'<rect x="{x}" y="{y}" width="{width}" height="{box_h}" fill="#f6f6f6" '
            f'stroke="#555"/>{text}'
        )

    wide = 220
    centre = WIDTH / 2 - wide / 2
    parts.append(box(centre, 10, [labels["invited"], str(consort["invited"])], wide))
    parts.append(
        box(
            centre,
            100,
            [
                labels["assigned"],
                str(consort["assigned"]),
                f"{labels['not_opened']}: {consort['not_opened']}",
            ],
            wide,
        )
    )
    parts.append(
        f'<line x1="{WIDTH / 2}" y1="{10 + box_h}" x2="{WIDTH / 2}" y2="100" stroke="#555"/>'
    )
    step = WIDTH / max(len(arms), 1)
    for k, arm in enumerate(arms):
        counts = consort["per_arm"][arm]
        x = step * k + step / 2 - box_w / 2
        parts.append(
            f'<line x1="{WIDTH / 2}" y1="{100 + box_h}" x2="{x + box_w / 2}" y2="200" '
            f'stroke="#555"/>'
        )
        parts.append(
            box(
                x,
                200,
                [
                    labels[arm],
                    f"{labels.get('assigned_short', labels['assigned'])}: {counts['assigned']}",
                    f"{labels['complete']}: {counts['complete']}",
                    f"{labels['partial']}: {counts['partial']}",
                ],
            )
        )
    parts.append("</svg>")
    return "".join(parts)
