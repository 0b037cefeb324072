"""Turn a run's stored results into the rows, notes and summaries of the results page.

Pure: stored JSON in, display values out; the view only renders them.
"""

from django.utils.translation import gettext as _

from analysis import charts
from analysis.tables import CORRELATES
from experiments.models import ResponseMode


def index_labels() -> dict[str, str]:
    return {"individual": _("Individual index"), "collective_any": _("Collective index")}


def arm_labels() -> dict[str, str]:
    return {"ab": _("A and B"), "a": _("A only"), "b": _("B only"), "none": _("No nudge")}


def pct(value) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def num(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def pval(value) -> str:
    if value is None:
        return "—"
    return "< .001" if value < 0.001 else f"{value:.3f}".lstrip("0")


def interval(cell: dict | None, *, as_pct: bool = True) -> dict:
    """Return {'text', 'ci', 'na'} for a stored interval or a not-estimable marker."""
    if not cell:
        return {"text": "", "ci": "", "na": ""}
    if "not_estimable" in cell:
        return {"text": "", "ci": "", "na": cell["not_estimable"]}
    fmt = pct if as_pct else num
    return {
        "text": fmt(cell["estimate"]),
        "ci": f"{fmt(cell['low'])} – {fmt(cell['high'])}",
        "na": "",
    }


def levels_rows(results: dict) -> list[dict]:
    rows = []
    for row in results.get("levels", []):
        cells = [
            interval(row.get(key))
            for key in ("individual", "collective_any", "collective_often", "collective_sometimes")
        ]
        difference = row.get("difference") or {}
        rows.append(
            {
                "case": row["case"],
                "n": row["n"],
                "cells": cells,
                "individual": interval(row.get("individual")),
                "collective_any": interval(row.get("collective_any")),
                "often": interval(row.get("collective_often")),
                "sometimes": interval(row.get("collective_sometimes")),
                "difference": (
                    {"text": difference.get("not_estimable", ""), "p": "", "negative": False}
                    if "not_estimable" in difference
                    else {
                        "text": f"{100 * difference['estimate']:+.0f} pts",
                        "p": pval(difference["p"]),
                        "negative": difference["estimate"] < 0,
                    }
                ),
            }
        )
    return rows


def time_rows(results: dict) -> list[dict]:
    rows = []
    for row in results.get("time", []):
        test = row.get("now_vs_more") or {}
        rows.append(
            {
                "case": row["case"],
                "n": row["n"],
                "cells": [interval(row.get("now")), interval(row.get("more"))],
                "test": pval(test.get("p")) if "p" in test else test.get("not_estimable", ""),
            }
        )
    return rows


def correlates_table(table: dict) -> dict:
    """Return a variable × case matrix of r with stars, plus the k-of-n column."""
    cases = sorted({cell["case"] for cell in table.get("cells", [])})
    by_key = {(c["variable"], c["case"]): c for c in table.get("cells", [])}
    summary = {s["variable"]: s for s in table.get("summary", [])}
    rows = []
    for variable in CORRELATES:
        cells = []
        for case in cases:
            cell = by_key.get((variable, case), {})
            if "r" in cell:
                cells.append(
                    {
                        "text": f"{cell['r']:.2f}{cell['stars']}",
                        "negative": cell["negative"],
                        "title": _("p = %(p)s; %(method)s-adjusted p = %(q)s; n = %(n)s")
                        % {
                            "p": pval(cell["p"]),
                            "q": pval(cell["p_adjusted"]),
                            "n": cell["n"],
                            "method": table.get("adjustment", ""),
                        },
                    }
                )
            else:
                cells.append(
                    {"text": _("n.t."), "negative": False, "title": cell.get("not_testable", "")}
                )
        s = summary.get(variable, {})
        rows.append(
            {
                "label": s.get("label", variable),
                "cells": cells,
                "count": _("positive in %(k)s of %(n)s / negative in %(m)s")
                % {"k": s.get("positive", 0), "n": s.get("cases", 0), "m": s.get("negative", 0)},
            }
        )
    models = []
    for model in table.get("models", []):
        if "not_estimable" in model:
            models.append({"case": model["case"], "na": model["not_estimable"], "terms": []})
            continue
        models.append(
            {
                "case": model["case"],
                "na": "",
                "n": model["n"],
                "r_squared": num(model["r_squared"]),
                "terms": [
                    {
                        "label": CORRELATES.get(c["term"], c["term"]),
                        "text": f"{c['estimate']:.3f}{c['stars']}",
                        "se": num(c["se"], 3),
                        "negative": c["estimate"] < 0,
                    }
                    for c in model["coefficients"]
                ],
            }
        )
    return {"cases": cases, "rows": rows, "models": models, "adjustment": table.get("adjustment")}


def nudge_rows(results: dict, *, key: str = "nudges") -> list[dict]:
    labels = index_labels()
    rows = []
    for row in (results.get(key) or {}).get("rows", []):
        if "not_estimable" in row:
            rows.append(
                {"case": row["case"], "outcome": labels[row["outcome"]], "na": row["not_estimable"]}
            )
            continue
        terms = {t["term"]: t for t in row["terms"]}

        def show(term, with_ci=False, terms=terms):
            t = terms[term]
            text = f"{100 * t['estimate']:+.1f}{t['stars']}"
            return {
                "text": text,
                "se": f"({100 * t['se']:.1f})",
                "ci": f"[{100 * t['low']:+.1f}, {100 * t['high']:+.1f}]" if with_ci else "",
                "negative": t["estimate"] < 0,
                "holm": pval(t.get("p_adjusted")),
                "mde": f"{100 * t['mde']:.1f}",
            }

        rows.append(
            {
                "case": row["case"],
                "outcome": labels[row["outcome"]],
                "na": "",
                "n": row["n"],
                "reference": pct(row["reference_mean"]),
                "arms": [show(t) for t in ("A only", "B only", "A and B")],
                "factorial": [
                    show(t, True) for t in ("A main effect", "B main effect", "A × B interaction")
                ],
            }
        )
    return rows


def case_summaries(results: dict) -> list[dict]:
    """Write one plain-English paragraph per case from the stored numbers."""
    levels = {row["case"]: row for row in results.get("levels", [])}
    time = {row["case"]: row for row in results.get("time", [])}
    nudges = {}
    for row in results.get("nudges", {}).get("rows", []):
        nudges.setdefault(row["case"], []).append(row)
    out = []
    for case, row in levels.items():
        sentences = []
        ind = row.get("individual") or {}
        coll = row.get("collective_any") or {}
        if "estimate" in ind and "estimate" in coll:
            sentences.append(
                _(
                    "On average respondents do %(ind)s of the individual activities asked "
                    "about, and %(coll)s work with others in groups at least sometimes."
                )
                % {"ind": pct(ind["estimate"]), "coll": pct(coll["estimate"])}
            )
            if ind["estimate"] > coll["estimate"]:
                sentences.append(_("Individual co-production is higher than collective."))
            else:
                sentences.append(
                    _(
                        "Unusually, collective co-production is as high as or higher "
                        "than individual."
                    )
                )
        more = (time.get(case) or {}).get("more") or {}
        if "estimate" in more:
            sentences.append(
                _("%(more)s would give at least a few hours a month.")
                % {"more": pct(more["estimate"])}
            )
        significant = []
        tested = 0
        for nudge_row in nudges.get(case, []):
            for term in nudge_row.get("terms", []):
                if term["kind"] == "arm":
                    tested += 1
                    if term.get("p_adjusted", 1) < 0.05:
                        significant.append(
                            _("%(term)s on the %(index)s (%(effect)+.0f points)")
                            % {
                                "term": term["term"],
                                "index": index_labels()[nudge_row["outcome"]].lower(),
                                "effect": 100 * term["estimate"],
                            }
                        )
        if tested and significant:
            sentences.append(
                _("After the Holm correction the nudges had a clear effect: %(list)s.")
                % {"list": "; ".join(significant)}
            )
        elif tested:
            sentences.append(
                _(
                    "None of the nudge effects is distinguishable from zero after the "
                    "Holm correction."
                )
            )
        out.append({"case": case, "text": " ".join(sentences)})
    return out


def chart_labels() -> dict[str, str]:
    return {
        **index_labels(),
        **arm_labels(),
        "invited": _("Invited"),
        "assigned": _("Opened and assigned"),
        "not_opened": _("Never opened"),
        "complete": _("Complete"),
        "partial": _("Partial"),
    }


def build_report(results: dict) -> dict:
    """Return everything the results template shows."""
    labels = chart_labels()
    return {
        "levels": levels_rows(results),
        "time": time_rows(results),
        "correlates_individual": correlates_table(results.get("correlates_individual", {})),
        "correlates_collective": correlates_table(results.get("correlates_collective", {})),
        "nudges": nudge_rows(results),
        "nudges_excluding_flagged": nudge_rows(results, key="nudges_excluding_flagged"),
        "quality": results.get("quality"),
        "nudges_per_protocol": nudge_rows(results, key="nudges_per_protocol"),
        "per_protocol": results.get("nudges_per_protocol"),
        "excluded_rows": (results.get("nudges_excluding_flagged") or {}).get("excluded_rows"),
        "nudge_counts": [
            {**counts, "label": index_labels()[key]}
            for key, counts in results.get("nudges", {}).get("counts", {}).items()
            if counts["tests"]
        ],
        "pooled": [
            {**pooled, "label": index_labels()[pooled["outcome"]]}
            for pooled in results.get("nudges", {}).get("pooled", [])
        ],
        "summaries": case_summaries(results),
        "levels_svg": charts.levels_chart(
            results.get("levels", []), title=_("Levels of co-production by case"), labels=labels
        ),
        "forest_svg": charts.forest_plot(
            results.get("nudges", {}), title=_("Nudge effects (percentage points)"), labels=labels
        ),
        "consort_svg": charts.consort_chart(
            results.get("consort") or {}, title=_("Flow of participants"), labels=labels
        ),
        "consort": results.get("consort"),
        "balance": results.get("balance"),
        "missingness": results.get("missingness", []),
        "reliability": results.get("reliability", []),
        "robustness": results.get("robustness", []),
        "randomisation_inference": results.get("randomisation_inference", []),
        "notes": results.get("notes", []),
        "arm_labels": arm_labels(),
        "modes": mode_rows(results),
    }


def mode_rows(results: dict) -> list[dict]:
    """Return the complete responses by mode (online, paper, telephone), those that occur."""
    counts = results.get("modes") or {}
    return [
        {"label": label, "n": counts[mode]}
        for mode, label in ResponseMode.choices
        if counts.get(mode)
    ]
