"""The pre-analysis plan of a wave, written from the design and plan frozen when it opened.

Pure: the plain facts of `analysis.datasets.load_preregistration_facts` in, the sections
of the document out, in the active language. Everything it states was fixed at opening
(the design's content hash covers the arms, allocation, nudge texts, power plan and
analysis plan), so the document can be regenerated at any time and says the same thing;
what changed later is a deviation, listed by the results report.

The hypotheses follow the study's questions: whether short information (nudge A: others
near you already do this, and it works; nudge B: it takes little time) raises
co-production with others, in each council × theme case.
"""

from django.utils.translation import gettext as _

from analysis.plan import AnalysisPlan
from analysis.report import (
    adjustment_labels,
    arm_labels,
    coding_labels,
    correlate_labels,
    definitions,
    level_text,
    percent_text,
    time_amounts,
)

CONTRAST_ORDER = (
    "A only vs none",
    "B only vs none",
    "A and B vs none",
    "A main effect",
    "B main effect",
    "A × B interaction",
)


def contrast_labels() -> dict[str, str]:
    arms = arm_labels()
    return {
        "A only vs none": _("%(arm)s vs no nudge") % {"arm": arms["a"]},
        "B only vs none": _("%(arm)s vs no nudge") % {"arm": arms["b"]},
        "A and B vs none": _("%(arm)s vs no nudge") % {"arm": arms["ab"]},
        "A main effect": _("A main effect"),
        "B main effect": _("B main effect"),
        "A × B interaction": _("A × B interaction"),
    }


def scheme_labels() -> dict[str, str]:
    return {
        "blocks": _("stratified permuted blocks"),
        "simple": _("simple randomisation (a keyed hash of the seed and the member)"),
        "cluster": _("households allocated together, by permuted blocks"),
    }


def stratum_labels() -> dict[str, str]:
    return {"ward": _("ward"), "age_band": _("age band"), "gender": _("gender")}


def _in(pair: dict, language: str) -> str:
    return pair.get(language) or pair.get("en", "")


def hypotheses(plan: AnalysisPlan, *, experiment_on: bool) -> dict:
    """Return the confirmatory hypotheses and the exploratory questions."""
    if not experiment_on:
        return {
            "confirmatory": [],
            "note": _(
                "This wave runs without the nudge experiment (everyone sees no nudge): it "
                "tests no hypothesis about the nudges, and every analysis is descriptive."
            ),
            "exploratory": _exploratory(plan, experiment_on=False),
        }
    names = {"collective": _("the collective index"), "individual": _("the individual index")}
    nudges = {
        "a": _("nudge A alone (people near you already do this, and it works)"),
        "b": _("nudge B alone (it typically takes little time)"),
        "ab": _("nudges A and B together"),
    }
    confirmatory = []
    number = 0
    for outcome in ("collective", "individual"):
        if outcome not in plan.confirmatory_outcomes:
            continue
        for arm in ("a", "b", "ab"):
            number += 1
            confirmatory.append(
                {
                    "label": f"H{number}",
                    "text": _(
                        "In each case (council × theme), showing %(nudge)s changes "
                        "%(index)s compared with showing no nudge (two-sided test; the "
                        "study expects a rise)."
                    )
                    % {"nudge": nudges[arm], "index": names[outcome]},
                }
            )
    return {"confirmatory": confirmatory, "note": "", "exploratory": _exploratory(plan)}


def _exploratory(plan: AnalysisPlan, *, experiment_on: bool = True) -> list[str]:
    amount = time_amounts()[plan.time_threshold_code]
    correlates = ", ".join(correlate_labels().values())
    questions = [
        _("Levels of individual and collective co-production in each case, and their difference."),
        _(
            "The shares who give at least %(amount)s with others now, and who would give at least "
            "that much more."
        )
        % {"amount": amount},
        _("Correlates of each index: %(list)s.") % {"list": correlates},
    ]
    if experiment_on:
        others = [k for k in ("collective", "individual") if k not in plan.confirmatory_outcomes]
        if others:
            questions.append(
                _("The same nudge contrasts on %(index)s.")
                % {
                    "index": _("the individual index")
                    if others == ["individual"]
                    else _("the collective index")
                }
            )
        questions += [
            _("The factorial main effects of A and B and their interaction."),
            _("The nudge effects pooled across the wave's cases (case fixed effects)."),
            _(
                "Robustness: the other coding of the collective index, Lin-adjusted and logit "
                "models, randomisation inference in small cases, and the effects without "
                "responses flagged for quality."
            ),
        ]
    return questions


def outcomes(plan: AnalysisPlan, facts: dict, language: str) -> list[dict]:
    """Return each outcome's definition and, per theme, the question members were asked."""
    definition = {row["term"]: row["text"] for row in definitions(plan)}
    codings = coding_labels()
    amount = time_amounts()[plan.time_threshold_code]
    rows = [
        {
            "name": _("Individual index"),
            "coding": definition[_("Individual index")],
            "questions": [
                {
                    "theme": _in({"en": t["name_en"], "cy": t["name_cy"]}, language),
                    "question": _in(t["wording"].get("activities", {}), language),
                    "items": [_in(a, language) for a in t["activities"]],
                }
                for t in facts["themes"]
            ],
        },
        {
            "name": _("Collective index"),
            "coding": _(
                "Coded as %(coding)s in the correlates and nudge models; %(other)s is "
                "reported beside it as a robustness check. Levels give the share answering "
                "often or sometimes."
            )
            % {
                "coding": codings[plan.collective_column],
                "other": codings[plan.other_collective_column],
            },
            "questions": [
                {
                    "theme": _in({"en": t["name_en"], "cy": t["name_cy"]}, language),
                    "question": _in(t["wording"].get("collective", {}), language),
                    "items": [],
                }
                for t in facts["themes"]
            ],
        },
    ]
    asked = [
        item
        for item, flag in (
            ("time_now", facts["asks_time_now"]),
            ("time_more", facts["asks_time_more"]),
        )
        if flag
    ]
    if asked:
        rows.append(
            {
                "name": _("Giving time"),
                "coding": _("Gives at least %(amount)s (1) or less (0).") % {"amount": amount},
                "questions": [
                    {
                        "theme": _in({"en": t["name_en"], "cy": t["name_cy"]}, language),
                        "question": " / ".join(
                            _in(t["wording"].get(i, {}), language) for i in asked
                        ),
                        "items": [],
                    }
                    for t in facts["themes"]
                ],
            }
        )
    rows.append(
        {
            "name": _("Attitudes"),
            "coding": _(
                "Self-efficacy, the three satisfactions and perceived conditions recoded so "
                "that higher means more; don't know is missing. They are answered after the "
                "nudge and never used as covariates of nudge effects."
            ),
            "questions": [],
        }
    )
    return rows


def arms(design: dict, facts: dict, language: str) -> list[dict]:
    """Return each arm with the nudge texts it shows, per theme, as frozen."""
    labels = arm_labels()
    names = {
        t["id"]: _in({"en": t["name_en"], "cy": t["name_cy"]}, language) for t in facts["themes"]
    }
    texts = {}
    for text in design.get("nudge_texts", []):
        wording = (
            text.get("text_cy") if language == "cy" and text.get("text_cy") else text["text_en"]
        )
        texts.setdefault(text["nudge"], []).append(
            {"theme": names.get(text["theme"], str(text["theme"])), "text": wording}
        )
    rows = []
    for arm in design.get("arms", []):
        shown = arm.get("nudges", [])
        rows.append(
            {
                "label": labels.get(arm["code"], arm["code"]),
                "nudges": [
                    {"nudge": nudge.upper(), "texts": texts.get(nudge, [])} for nudge in shown
                ],
            }
        )
    return rows


def allocation(design: dict) -> list[dict]:
    alloc = design.get("allocation", {})
    if alloc.get("scheme") == "external":
        return [
            {
                "term": _("Scheme"),
                "text": _("randomised elsewhere; groups imported with the answers"),
            },
            {"term": _("Randomised by"), "text": alloc.get("randomised_by", "")},
            {"term": _("Scheme as declared"), "text": alloc.get("declared_scheme", "")},
            {
                "term": _("Verification"),
                "text": _(
                    "the platform cannot verify this allocation: it drew no group and "
                    "holds no seed that would re-derive them."
                ),
            },
        ]
    strata = [stratum_labels().get(s, s) for s in alloc.get("strata", [])]
    scheme = scheme_labels().get(alloc.get("scheme", ""), alloc.get("scheme", ""))
    return [
        {"term": _("Scheme"), "text": scheme},
        {"term": _("Strata"), "text": ", ".join(strata) if strata else _("none")},
        {
            "term": _("Blocks"),
            "text": _("sizes %(sizes)s, drawn at random; equal allocation (%(ratio)s)")
            % {
                "sizes": _(" or ").join(str(s) for s in alloc.get("block_sizes", [])),
                "ratio": ":".join(str(r) for r in alloc.get("ratio", [])),
            },
        },
        {"term": _("Generator"), "text": alloc.get("generator", "")},
        {
            "term": _("Seed"),
            "text": _("secret until the study ends; its SHA-256 is committed here: %(sha)s")
            % {"sha": alloc.get("seed_sha256", "")},
        },
        {
            "term": _("When"),
            "text": _(
                "each member is allocated once, when first opening the questionnaire, before "
                "any nudge is shown; the allocation is never changed."
            ),
        },
    ]


def power_table(design: dict, theme_names: dict[str, str] | None = None) -> dict:
    """Return the sample size and the MDE of every contrast per case, from the frozen power plan.

    The power plan names each case by its theme's English name; `theme_names` gives the
    name to show instead (the Welsh one in a Welsh document).
    """
    theme_names = theme_names or {}
    power = design.get("power_plan") or {}
    if not power:
        return {"na": _("No power plan was frozen with this design."), "cases": []}
    if power.get("not_applicable"):
        return {"na": power["not_applicable"], "cases": []}
    inputs = power.get("inputs", {})
    contrasts = contrast_labels()
    outcomes_ = {"individual": _("Individual index"), "collective_any": _("Collective index")}
    cases = []
    for case in [*power.get("cases", []), *([power["pooled"]] if power.get("pooled") else [])]:
        rows = sorted(
            case.get("contrasts", []),
            key=lambda c: (
                c["outcome"] != "collective_any",
                CONTRAST_ORDER.index(c["contrast"]) if c["contrast"] in CONTRAST_ORDER else 9,
            ),
        )
        cases.append(
            {
                "case": _("All themes pooled")
                if case["case"] == "All themes pooled"
                else case["case"],
                "completes": f"{case.get('expected_completes', 0):.0f}",
                "rows": [
                    {
                        "outcome": outcomes_.get(c["outcome"], c["outcome"]),
                        "contrast": contrasts.get(c["contrast"], c["contrast"]),
                        "mde_points": f"{c.get('mde_points', 100 * c['mde']):.1f}",
                        "mde_sd": f"{c['mde_standardised']:.2f}",
                    }
                    for c in rows
                ],
            }
        )
    arm_n = power.get("arm_n", {})
    return {
        "na": "",
        "panel": power.get("panel_size"),
        "rate": f"{power.get('response_rate_percent', 100 * inputs.get('response_rate', 0)):.0f}%",
        "completes": f"{power.get('expected_completes', 0):.0f}",
        "per_arm": f"{(arm_n.get('none') or 0):.0f}",
        "design_effect": f"{power.get('design_effect', 1):.2f}",
        "alpha": percent_text(inputs.get("alpha", 0.05)),
        "power": percent_text(inputs.get("power", 0.8)),
        "cases": cases,
    }


def analysis_rows(plan: AnalysisPlan) -> list[dict]:
    adjustments = adjustment_labels()
    rows = [
        {
            "term": _("Estimation"),
            "text": _(
                "In each case, OLS of each index on indicators of A only, B only and A and B "
                "(no nudge is the reference), HC2 standard errors with t inference; "
                "intention to treat (everyone allocated and answering, by allocated group)."
            ),
        },
        *definitions(plan),
        {
            "term": _("Adjustment"),
            "text": _("Confirmatory: %(c)s. Exploratory: %(e)s. Significance level %(alpha)s.")
            % {
                "c": adjustments[plan.confirmatory_adjustment],
                "e": adjustments[plan.exploratory_adjustment],
                "alpha": level_text(plan.alpha),
            },
        },
    ]
    return rows


def build_preregistration(facts: dict, *, language: str) -> dict:
    """Return the sections of the pre-analysis plan in the active language."""
    design = facts.get("design") or {}
    stored = design.get("analysis_plan")
    plan = AnalysisPlan.from_dict(stored) if stored is not None else AnalysisPlan()
    experiment_on = design.get("experiment_on", True)
    return {
        "title": facts["title"],
        "council": facts["council"],
        "opened_at": facts["opened_at"][:16].replace("T", " "),
        "design_hash": facts["design_hash"],
        "plan_hash": plan.plan_hash,
        "plan_frozen": stored is not None,
        "hypotheses": hypotheses(plan, experiment_on=experiment_on),
        "outcomes": outcomes(plan, facts, language),
        "arms": arms(design, facts, language),
        "experiment_on": experiment_on,
        "allocation": allocation(design),
        "power": power_table(
            design,
            {
                t["name_en"]: _in({"en": t["name_en"], "cy": t["name_cy"]}, language)
                for t in facts["themes"]
            },
        ),
        "analysis": analysis_rows(plan),
        "manipulation_check": facts.get("manipulation_check", False),
    }
