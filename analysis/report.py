"""Turn a run's stored results into the rows, notes and sentences of the results report.

Pure: stored JSON and the analysis plan in, display values out; the view only renders
them. Every sentence that depends on a definition (the index rule, the collective coding,
the time threshold, alpha, the interval level, the stars, the families, the minimum group
size, the power) is written here from the plan, in the active language, so that a plan
other than the default changes every sentence it affects.
"""

import re

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analysis import charts
from analysis.inference import REASONS
from analysis.plan import AnalysisPlan
from analysis.tables import CORRELATES, FACTORIAL, TREATMENT_TERMS
from analysis.verdicts import (
    LOWERED,
    NO_CLEAR_DIFFERENCE,
    NOT_ESTIMABLE,
    RAISED,
    TOO_FEW,
    Verdict,
    decide,
    decide_term,
)

ARM_OF_TERM = {label: arm for arm, label in TREATMENT_TERMS.items()}
MINUS = "\u2212"


# --- Labels -------------------------------------------------------------------------------


def arm_labels() -> dict[str, str]:
    return {"ab": _("A and B"), "a": _("A only"), "b": _("B only"), "none": _("No nudge")}


def term_labels() -> dict[str, str]:
    """Return the label of each stored contrast name (arm or factorial)."""
    arms = arm_labels()
    return {
        **{label: arms[arm] for arm, label in TREATMENT_TERMS.items()},
        "A main effect": _("A main effect"),
        "B main effect": _("B main effect"),
        "A × B interaction": _("A × B interaction"),
    }


def nudge_names() -> dict[str, str]:
    """Return how a sentence names each arm's nudge."""
    return {"a": _("nudge A alone"), "b": _("nudge B alone"), "ab": _("nudges A and B together")}


def index_labels() -> dict[str, str]:
    return {
        "individual": _("Individual index"),
        "collective_any": _("Collective index"),
        "collective_frequency": _("Collective index (frequency score)"),
    }


def index_names() -> dict[str, str]:
    """Return how a sentence names each index (lower case, with its article)."""
    return {
        "individual": _("the individual index"),
        "collective_any": _("the collective index"),
        "collective_frequency": _("the collective frequency score"),
    }


def coding_labels() -> dict[str, str]:
    return {
        "collective_any": _("often or sometimes vs never"),
        "collective_frequency": _("frequency score (never 0, sometimes ½, often 1)"),
    }


def correlate_labels() -> dict[str, str]:
    return {
        "efficacy_score": _("Self-efficacy"),
        "sat_information": _("Satisfaction with information"),
        "sat_consultation": _("Satisfaction with consultation"),
        "sat_response": _("Satisfaction with response"),
        "conditions_score": _("Perceived conditions"),
        "age": _("Age"),
        "male": _("Male"),
        "ethnic_minority": _("Ethnic minority"),
    }


def covariate_labels() -> dict[str, str]:
    return {"age_band": _("Age band"), "gender": _("Gender"), "ward": _("Ward")}


def mode_labels() -> dict[str, str]:
    return {"web": _("Online"), "paper": _("Paper"), "phone": _("Telephone")}


def time_amounts() -> dict[int, str]:
    """Return the questionnaire's amounts of time, as a sentence says them after "at least"."""
    return {2: _("a few hours a year"), 3: _("a few hours a month"), 4: _("a few hours a week")}


def adjustment_labels() -> dict[str, str]:
    return {"holm": _("Holm"), "fdr_bh": _("Benjamini–Hochberg"), "bonferroni": _("Bonferroni")}


def case_label(case: str, labels: dict) -> str:
    """Return a case's name in the active language (the theme's Welsh name in Welsh)."""
    known = labels.get(case) or {}
    if not known:
        return case
    theme = known.get("theme", "")
    if _lang_is_welsh() and known.get("theme_cy"):
        theme = known["theme_cy"]
    return f"{known.get('council', '')} — {theme}"


def _lang_is_welsh() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "en").startswith("cy")


# --- Numbers ------------------------------------------------------------------------------


def _signed(value: float, digits: int, *, sign: bool) -> tuple[str, float]:
    """Return the value rounded for display and the rounded number: −0.0 is shown as 0."""
    rounded = round(value, digits)
    if rounded == 0:
        rounded = 0.0
    text = f"{abs(rounded):.{digits}f}"
    if rounded < 0:
        text = MINUS + text
    elif sign and rounded > 0:
        text = "+" + text
    return text, rounded


def num(value, digits: int = 2, *, sign: bool = False) -> str:
    return "—" if value is None else _signed(value, digits, sign=sign)[0]


def is_negative(value, digits: int = 2) -> bool:
    """Return whether a value is negative as shown: a value that rounds to 0 is not shaded."""
    return value is not None and _signed(value, digits, sign=False)[1] < 0


def pct(value, digits: int = 0) -> str:
    return "—" if value is None else f"{num(100 * value, digits)}%"


def points(value, digits: int = 1, *, sign: bool = True) -> str:
    """Return a share difference in percentage points (0.19 → +19.0)."""
    return "—" if value is None else num(100 * value, digits, sign=sign)


def pval(value) -> str:
    if value is None:
        return "—"
    return "< .001" if value < 0.001 else f"{value:.3f}".lstrip("0")


def p_equals(value) -> str:
    """Return "p = .064" or "p < .001", for a sentence."""
    text = pval(value)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def level_text(value: float) -> str:
    """Return a level such as .05 or .01 as it is written after "p <"."""
    return f"{value:.3f}".rstrip("0").lstrip("0")


def percent_text(value: float) -> str:
    return f"{100 * value:g}%"


def ci_label(plan: AnalysisPlan) -> str:
    return _("%(level)s CI") % {"level": percent_text(plan.ci_level)}


def interval(cell: dict | None, *, as_pct: bool = True) -> dict:
    """Return {'text', 'ci', 'na'} for a stored interval or a not-estimable marker."""
    if not cell:
        return {"text": "", "ci": "", "na": ""}
    if "not_estimable" in cell:
        return {"text": "", "ci": "", "na": reason_text(cell["not_estimable"])}
    fmt = pct if as_pct else num
    return {
        "text": fmt(cell["estimate"]),
        "ci": f"{fmt(cell['low'])} – {fmt(cell['high'])}",
        "na": "",
    }


def points_interval(low, high) -> str:
    return f"[{points(low)}, {points(high)}]"


# --- Reasons (stored in English, shown in the active language) ----------------------------


def reason_templates() -> dict[str, str]:
    """Return the translation of each reason of `analysis.inference.REASONS`."""
    return {
        "few_answers": _("fewer than %(min)s answers (%(n)s)"),
        "no_answers": _("no answers"),
        "few_pairs": _("fewer than %(min)s pairs (%(n)s)"),
        "constant_difference": _("the paired difference is constant"),
        "no_pairs": _("no one answered both questions"),
        "constant_variable": _("a constant variable"),
        "few_respondents": _("fewer than %(min)s respondents (%(n)s)"),
        "constant_outcome": _("the outcome is constant"),
        "no_variation": _("no variation in %(column)s (an empty group?)"),
        "collinear": _("perfect collinearity among the regressors"),
        "no_df": _("no residual degrees of freedom"),
        "se_not_finite": _("the standard errors are not finite (a cell with one observation?)"),
        "empty_reference": _("the no-nudge group is empty"),
        "empty_arm": _("empty group: %(arms)s"),
        "an_empty_arm": _("an empty group"),
        "no_testable_correlate": _("no testable correlate"),
        "few_categories": _("fewer than three observed categories of the collective score"),
        "one_arm": _("only one group was assigned"),
        "few_activities": _("fewer than two activities"),
        "few_answer_sets": _("fewer than 10 complete answer sets (%(n)s)"),
        "same_total": _("every respondent has the same total"),
        "few_in_category": _("%(n)s respondents in a category (fewer than %(min)s)"),
        "few_testable": _("%(n)s respondents (fewer than %(min)s)"),
    }


def _reason_patterns() -> list[tuple[str, re.Pattern]]:
    patterns = []
    for code, template in REASONS.items():
        regex = re.escape(template)
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", regex)
        patterns.append((code, re.compile(f"^{regex}$")))
    return patterns


REASON_PATTERNS = _reason_patterns()


def reason_text(stored: str) -> str:
    """Return a stored "not estimable: …" or "not testable: …" in the active language."""
    for prefix, wrapper in (
        ("not estimable: ", _("not estimable: %(reason)s")),
        ("not testable: ", _("not testable: %(reason)s")),
    ):
        if stored.startswith(prefix):
            return wrapper % {"reason": _reason_body(stored.removeprefix(prefix))}
    return _reason_body(stored)


def _reason_body(body: str) -> str:
    # A reason can itself be a wrapped one (a correlate whose test was not estimable).
    if body.startswith(("not estimable: ", "not testable: ")):
        return reason_text(body)
    templates = reason_templates()
    for code, pattern in REASON_PATTERNS:
        match = pattern.match(body)
        if match:
            params = {key: _value_label(value) for key, value in match.groupdict().items()}
            return templates[code] % params
    return body


def _value_label(value: str) -> str:
    labels = {**term_labels(), **{f"arm_{a}": arm_labels()[a] for a in ("a", "b", "ab")}}
    return ", ".join(labels.get(part, part) for part in value.split(", "))


# --- Definitions ---------------------------------------------------------------------------


def share_words(share: float) -> str:
    if share == 0.5:
        return _("half")
    if share == 1:
        return _("all")
    return percent_text(share)


def star_note(plan: AnalysisPlan) -> str:
    """Return the star convention of every table, e.g. "** p < .01, * p < .05"."""
    levels = list(plan.star_levels)
    parts = [f"{'*' * (len(levels) - i)} p < {level_text(level)}" for i, level in enumerate(levels)]
    return _("Stars: %(levels)s (unadjusted p-values).") % {"levels": ", ".join(parts)}


def family_scope_words(plan: AnalysisPlan) -> str:
    return _("one family per case") if plan.family_scope == "case" else _("one family per wave")


def outcome_words(plan: AnalysisPlan, keys) -> str:
    """Name the indices of a family, as a sentence says them."""
    keys = set(keys)
    if keys == {"collective", "individual"}:
        return _("the collective and the individual index")
    return _("the individual index") if keys == {"individual"} else _("the collective index")


def definitions(
    plan: AnalysisPlan, *, several_waves: bool = False, randomised_elsewhere=()
) -> list[dict]:
    """Return the "Definitions used" box: each definition of the plan in plain words.

    `randomised_elsewhere` lists the waves whose groups were allocated outside the platform
    (each a dict of `wave`, `by` and `scheme`): the box says so first, since every group
    comparison rests on an allocation the platform cannot verify.
    """
    adjustments = adjustment_labels()
    rows = []
    for declared in randomised_elsewhere:
        text = _(
            "The groups were allocated elsewhere, by %(by)s, and imported with the answers; "
            "the allocation scheme as declared: %(scheme)s. The platform cannot verify this "
            "allocation, and every comparison between groups rests on it."
        ) % {"by": declared["by"], "scheme": declared["scheme"]}
        if several_waves:
            text = _("%(wave)s: %(text)s") % {"wave": declared["wave"], "text": text}
        rows.append({"term": _("Randomised elsewhere"), "text": text})
    if plan.index_missing_rule == "missing_as_no":
        individual = _(
            "The share of the theme's activities a respondent does; an activity left "
            "unanswered counts as not done."
        )
    else:
        individual = _(
            "The share of the theme's activities a respondent does, among those they "
            "answered; counted only when they answered at least %(share)s of the activities."
        ) % {"share": share_words(plan.index_min_answered_share)}
    rows.append({"term": _("Individual index"), "text": individual})
    codings = coding_labels()
    rows.append(
        {
            "term": _("Collective index"),
            "text": _(
                "Table 1 gives the share who work with others in groups often or "
                "sometimes. Tables 4 and 5 code the collective index as %(coding)s; the "
                "other coding, %(other)s, is shown beside them as a robustness check."
            )
            % {
                "coding": codings[plan.collective_column],
                "other": codings[plan.other_collective_column],
            },
        }
    )
    amount = time_amounts()[plan.time_threshold_code]
    rows.append(
        {
            "term": _("Giving time"),
            "text": _(
                "At least %(amount)s with others on the theme, now, or more than now (table 2)."
            )
            % {"amount": amount},
        }
    )
    rows.append(
        {
            "term": _("Significance and intervals"),
            "text": _(
                "Tests are two-sided at %(alpha)s. Intervals are %(level)s confidence "
                "intervals: Wilson for shares, t for means and regression estimates. %(stars)s"
            )
            % {
                "alpha": level_text(plan.alpha),
                "level": percent_text(plan.ci_level),
                "stars": star_note(plan),
            },
        }
    )
    confirmatory = outcome_words(plan, plan.confirmatory_outcomes)
    exploratory_keys = [
        k for k in ("collective", "individual") if k not in plan.confirmatory_outcomes
    ]
    rows.append(
        {
            "term": _("Confirmatory family"),
            "text": _(
                "The study's question: the three nudge contrasts (A only, B only, A and B, "
                "each against no nudge) on %(outcomes)s, %(scope)s, fixed when the wave "
                "opened; p-values adjusted with %(method)s."
            )
            % {
                "outcomes": confirmatory,
                "scope": family_scope_words(plan),
                "method": adjustments[plan.confirmatory_adjustment],
            },
        }
    )
    exploratory = (
        _(
            "The same contrasts on %(outcomes)s, %(scope)s, and the correlates of each index "
            "(tables 3 and 4), %(scope)s and table; p-values adjusted with %(method)s."
        )
        if exploratory_keys
        else _(
            "The correlates of each index (tables 3 and 4), %(scope)s and table; p-values "
            "adjusted with %(method)s."
        )
    ) % {
        "outcomes": outcome_words(plan, exploratory_keys) if exploratory_keys else "",
        "scope": family_scope_words(plan),
        "method": adjustments[plan.exploratory_adjustment],
    }
    exploratory += " " + _(
        "Factorial contrasts are shown unadjusted; the pooled estimate across cases is a "
        "family of its own."
    )
    rows.append({"term": _("Exploratory family"), "text": exploratory})
    if several_waves:
        rows.append(
            {
                "term": _("This run's own family"),
                "text": _(
                    "Pooling waves changes no wave's families: each case's verdict is the "
                    "one its own wave's report gives. The pooled estimates over all the "
                    "run's cases are this run's own family of three contrasts per index, "
                    "not fixed when any wave opened, and so exploratory."
                ),
            }
        )
    rows.append(
        {
            "term": _("Verdicts"),
            "text": _(
                "A nudge raised or lowered an index when its adjusted p-value is below "
                "%(alpha)s; otherwise there is no clear difference. With fewer than %(n)s "
                "answers in the nudge's group or in the no-nudge group the report says there "
                "are too few answers to tell."
            )
            % {"alpha": level_text(plan.alpha), "n": plan.min_per_group},
        }
    )
    rows.append(
        {
            "term": _("Small numbers"),
            "text": _(
                "A correlate is tested only with at least %(category)s respondents (in each "
                "category, for male and ethnic minority); a model needs at least "
                "%(respondents)s respondents."
            )
            % {"category": plan.min_per_category, "respondents": plan.min_respondents},
        }
    )
    rows.append(
        {
            "term": _("Power"),
            "text": _(
                "Minimum detectable effects (MDE) at %(power)s power and %(alpha)s "
                "significance, two-sided, from each estimate's standard error."
            )
            % {"power": percent_text(plan.power), "alpha": percent_text(plan.alpha)},
        }
    )
    rows.append(
        {
            "term": _("Randomisation inference"),
            "text": _(
                "For cases of %(n)s respondents or fewer: %(draws)s re-randomisations (seed "
                "%(seed)s)."
            )
            % {"n": plan.ri_max_n, "draws": plan.ri_draws, "seed": plan.ri_seed},
        }
    )
    return rows


# --- Verdicts in words ---------------------------------------------------------------------


def verdict_words() -> dict[str, str]:
    """Return the short verdict shown in table 5's verdict column."""
    return {
        RAISED: _("raised"),
        LOWERED: _("lowered"),
        NO_CLEAR_DIFFERENCE: _("no clear difference"),
        TOO_FEW: _("too few to tell"),
        NOT_ESTIMABLE: _("not estimable"),
    }


def nudge_sentence(
    verdict: Verdict, *, arm: str, outcome: str, plan: AnalysisPlan, method: str
) -> str:
    """Return the sentence a verdict on one nudge contrast allows, and no more."""
    values = {
        "nudge": nudge_names()[arm],
        "index": index_names().get(outcome, outcome),
        "points": points(verdict.estimate, sign=False) if verdict.estimate is not None else "",
        "signed": points(verdict.estimate),
        "ci": ci_label(plan),
        "low": points(verdict.low),
        "high": points(verdict.high),
        "method": method,
        "p": p_equals(verdict.p),
        "min": plan.min_per_group,
    }
    if verdict.kind == RAISED:
        text = _(
            "%(nudge)s raised %(index)s by %(points)s points (%(ci)s %(low)s to %(high)s; "
            "%(method)s-adjusted %(p)s)."
        )
    elif verdict.kind == LOWERED:
        values["points"] = points(abs(verdict.estimate), sign=False)
        text = _(
            "%(nudge)s lowered %(index)s by %(points)s points (%(ci)s %(low)s to %(high)s; "
            "%(method)s-adjusted %(p)s)."
        )
    elif verdict.kind == NO_CLEAR_DIFFERENCE:
        text = _(
            "No clear difference between %(nudge)s and no nudge on %(index)s (%(signed)s "
            "points, %(ci)s %(low)s to %(high)s; %(method)s-adjusted %(p)s)."
        )
    elif verdict.kind == TOO_FEW:
        with_nudge, without = (*verdict.group_sizes, 0, 0)[:2]
        values.update(
            answers=ngettext("%(n)s answer with it", "%(n)s answers with it", with_nudge)
            % {"n": with_nudge},
            none=ngettext("%(n)s with no nudge", "%(n)s with no nudge", without) % {"n": without},
        )
        text = _(
            "Too few answers to tell whether %(nudge)s changed %(index)s: %(answers)s and "
            "%(none)s (the plan needs at least %(min)s in each)."
        )
    else:
        text = _("The effect of %(nudge)s on %(index)s could not be estimated.")
    return _capitalised(text % values)


def levels_sentence(row: dict, plan: AnalysisPlan) -> list[str]:
    """Return the sentences of table 1 for one case: the two levels and their comparison."""
    ind = row.get("individual") or {}
    coll = row.get("collective_any") or {}
    if "estimate" not in ind or "estimate" not in coll:
        return []
    sentences = [
        _(
            "On average respondents do %(ind)s of the individual activities asked about "
            "(%(ci)s %(ind_low)s to %(ind_high)s), and %(coll)s work with others in groups "
            "often or sometimes (%(coll_low)s to %(coll_high)s)."
        )
        % {
            "ind": pct(ind["estimate"]),
            "ind_low": pct(ind["low"]),
            "ind_high": pct(ind["high"]),
            "coll": pct(coll["estimate"]),
            "coll_low": pct(coll["low"]),
            "coll_high": pct(coll["high"]),
            "ci": ci_label(plan),
        }
    ]
    difference = row.get("difference") or {}
    if "estimate" not in difference:
        return sentences
    verdict = decide(
        difference["estimate"],
        p=difference.get("p"),
        low=difference.get("low"),
        high=difference.get("high"),
        group_sizes=(difference.get("n", 0),),
        alpha=plan.alpha,
        min_per_group=plan.min_per_group,
    )
    values = {
        "points": points(abs(verdict.estimate), sign=False),
        "signed": points(verdict.estimate),
        "ci": ci_label(plan),
        "low": points(verdict.low),
        "high": points(verdict.high),
        "p": p_equals(verdict.p),
        "n": difference.get("n", 0),
        "min": plan.min_per_group,
    }
    if verdict.kind == RAISED:
        text = _(
            "Individual co-production is higher than collective, by %(points)s points "
            "(%(ci)s %(low)s to %(high)s; paired t test, %(p)s)."
        )
    elif verdict.kind == LOWERED:
        text = _(
            "Collective co-production is higher than individual, by %(points)s points "
            "(%(ci)s %(low)s to %(high)s; paired t test, %(p)s)."
        )
    elif verdict.kind == TOO_FEW:
        text = _(
            "Too few answers to compare individual and collective co-production: %(n)s "
            "respondents with both (the plan needs at least %(min)s)."
        )
    else:
        text = _(
            "No clear difference between individual and collective co-production "
            "(%(signed)s points, %(ci)s %(low)s to %(high)s; paired t test, %(p)s)."
        )
    sentences.append(text % values)
    return sentences


def time_sentence(row: dict, plan: AnalysisPlan) -> list[str]:
    amount = time_amounts()[plan.time_threshold_code]
    sentences = []
    for key, text in (
        ("now", _("%(share)s give at least %(amount)s now (%(ci)s %(low)s to %(high)s).")),
        (
            "more",
            _("%(share)s would give at least %(amount)s more (%(ci)s %(low)s to %(high)s)."),
        ),
    ):
        cell = row.get(key) or {}
        if "estimate" in cell:
            sentences.append(
                text
                % {
                    "share": pct(cell["estimate"]),
                    "amount": amount,
                    "ci": ci_label(plan),
                    "low": pct(cell["low"]),
                    "high": pct(cell["high"]),
                }
            )
    return sentences


def _analysed_n(row: dict) -> dict:
    return row.get("analysed_n") or row.get("arm_n") or {}


def _method_of(term: dict, plan: AnalysisPlan, table: dict) -> str:
    adjustments = adjustment_labels()
    role = term.get("role")
    if role == "exploratory":
        return adjustments[plan.exploratory_adjustment]
    if role == "pooled":
        return _adjusted_name(table.get("adjustment"), plan)
    return adjustments[plan.confirmatory_adjustment]


def _adjusted_name(stored: str | None, plan: AnalysisPlan) -> str:
    """Translate a stored adjustment name ("Holm") into the active language."""
    by_english = {"Holm": "holm", "Benjamini–Hochberg": "fdr_bh", "Bonferroni": "bonferroni"}
    code = by_english.get(stored or "", plan.confirmatory_adjustment)
    return adjustment_labels()[code]


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _exploratory(sentence: str) -> str:
    return _("Exploratory: %(sentence)s") % {"sentence": sentence[:1].lower() + sentence[1:]}


def nudge_sentences(rows: list[dict], plan: AnalysisPlan) -> list[str]:
    """Return a case's nudge sentences: every confirmatory contrast, then the exploratory ones.

    When no exploratory contrast of an index shows a clear difference they share one
    sentence, so that the summary stays short; an exploratory sentence always says so,
    so that it never reads like the study's answer.
    """
    sentences = []
    for row in sorted(rows, key=lambda r: not plan.is_confirmatory(r["outcome"])):
        confirmatory = plan.is_confirmatory(row["outcome"])
        index = index_names().get(row["outcome"], row["outcome"])
        if "not_estimable" in row:
            sentence = _capitalised(
                _("The nudges' effects on %(index)s could not be estimated: %(reason)s.")
                % {"index": index, "reason": reason_text(row["not_estimable"])}
            )
            sentences.append(sentence if confirmatory else _exploratory(sentence))
            continue
        terms = {t["term"]: t for t in row.get("terms", []) if t.get("kind") == "arm"}
        said = []
        for arm in ("a", "b", "ab"):
            term = terms.get(TREATMENT_TERMS[arm])
            if term is None:
                verdict = Verdict(NOT_ESTIMABLE)
            else:
                verdict = decide_term(term, analysed_n=_analysed_n(row), arm=arm, plan=plan)
            sentence = nudge_sentence(
                verdict,
                arm=arm,
                outcome=row["outcome"],
                plan=plan,
                method=_method_of(term or {}, plan, {}),
            )
            said.append((verdict.kind, sentence))
        if not confirmatory and all(kind == NO_CLEAR_DIFFERENCE for kind, _s in said):
            sentences.append(
                _exploratory(_("No nudge made a clear difference to %(index)s.") % {"index": index})
            )
            continue
        sentences += [s if confirmatory else _exploratory(s) for _kind, s in said]
    return sentences


def case_summaries(results: dict, plan: AnalysisPlan) -> list[dict]:
    """Write each case's plain-language paragraph from the stored numbers and the plan."""
    labels = results.get("case_labels") or {}
    time = {row["case"]: row for row in results.get("time", [])}
    nudges: dict[str, list[dict]] = {}
    for row in (results.get("nudges") or {}).get("rows", []):
        nudges.setdefault(row["case"], []).append(row)
    out = []
    for row in results.get("levels", []):
        case = row["case"]
        sentences = levels_sentence(row, plan)
        if case in time:
            sentences += time_sentence(time[case], plan)
        sentences += nudge_sentences(nudges.get(case, []), plan)
        out.append({"case": case_label(case, labels), "sentences": sentences})
    return out


# --- Tables --------------------------------------------------------------------------------


def levels_rows(results: dict) -> list[dict]:
    labels = results.get("case_labels") or {}
    rows = []
    for row in results.get("levels", []):
        cells = [
            interval(row.get(key))
            for key in ("individual", "collective_any", "collective_often", "collective_sometimes")
        ]
        difference = row.get("difference") or {}
        rows.append(
            {
                "case": case_label(row["case"], labels),
                "n": row["n"],
                "cells": cells,
                "difference": (
                    {
                        "text": reason_text(difference.get("not_estimable", "")),
                        "ci": "",
                        "p": "",
                        "negative": False,
                    }
                    if "not_estimable" in difference or not difference
                    else {
                        "text": points(difference["estimate"]),
                        "ci": points_interval(difference["low"], difference["high"]),
                        "p": pval(difference["p"]),
                        "negative": is_negative(100 * difference["estimate"], 1),
                    }
                ),
            }
        )
    return rows


def time_rows(results: dict) -> list[dict]:
    labels = results.get("case_labels") or {}
    rows = []
    for row in results.get("time", []):
        test = row.get("now_vs_more") or {}
        rows.append(
            {
                "case": case_label(row["case"], labels),
                "n": row["n"],
                "cells": [interval(row.get("now")), interval(row.get("more"))],
                "test": pval(test.get("p"))
                if "p" in test
                else reason_text(test.get("not_estimable", "")),
            }
        )
    return rows


def correlates_table(table: dict, results: dict, plan: AnalysisPlan) -> dict:
    """Return a variable × case matrix of r with stars and adjusted p, and the k-of-n column."""
    labels = results.get("case_labels") or {}
    variables = correlate_labels()
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
                        "text": f"{num(cell['r'])}{cell['stars']}",
                        "negative": is_negative(cell["r"]),
                        "adjusted": pval(cell.get("p_adjusted")),
                        "n": cell.get("n"),
                        "na": "",
                    }
                )
            else:
                cells.append(
                    {
                        "text": _("n.t."),
                        "negative": False,
                        "adjusted": "",
                        "na": reason_text(cell.get("not_testable", "")),
                    }
                )
        s = summary.get(variable, {})
        tested = s.get("tested", 0)
        untested = s.get("cases", 0) - tested
        count = ngettext(
            "positive in %(k)s of %(n)s testable case, negative in %(m)s",
            "positive in %(k)s of %(n)s testable cases, negative in %(m)s",
            tested,
        ) % {"k": s.get("positive", 0), "n": tested, "m": s.get("negative", 0)}
        if untested:
            count += "; " + ngettext("%(u)s not testable", "%(u)s not testable", untested) % {
                "u": untested
            }
        rows.append({"label": variables.get(variable, variable), "cells": cells, "count": count})
    models = []
    for model in table.get("models", []):
        case = case_label(model["case"], labels)
        if "not_estimable" in model:
            models.append({"case": case, "na": reason_text(model["not_estimable"]), "terms": []})
            continue
        models.append(
            {
                "case": case,
                "na": "",
                "n": model["n"],
                "r_squared": num(model["r_squared"]),
                "terms": [
                    {
                        "label": variables.get(c["term"], c["term"]),
                        "text": f"{num(c['estimate'], 3)}{c['stars']}",
                        "se": num(c["se"], 3),
                    }
                    for c in model["coefficients"]
                ],
            }
        )
    adjustment = _adjusted_name(table.get("adjustment"), plan)
    return {
        "cases": [case_label(c, labels) for c in cases],
        "rows": rows,
        "models": models,
        "adjustment": adjustment,
        "note": _(
            "Pearson r. %(stars)s Below each r: the %(method)s-adjusted p-value within its "
            "exploratory family (%(scope)s and table). Shaded: negative association. n.t.: "
            "not testable (fewer than %(min)s respondents, in each category for male and "
            "ethnic minority); the reason is given below the mark. The count across cases "
            "uses the unadjusted p < %(alpha)s, as in the paper."
        )
        % {
            "stars": star_note(plan),
            "method": adjustment,
            "scope": family_scope_words(plan),
            "min": plan.min_per_category,
            "alpha": level_text(plan.alpha),
        },
        "model_note": _("OLS with HC2 errors, t inference; standard errors in brackets.")
        + " "
        + star_note(plan),
    }


def coding_robustness(primary: dict, other: dict, results: dict) -> list[dict]:
    """Compare table 4's k-of-n counts under the plan's coding with the other coding's."""
    labels = results.get("case_labels") or {}
    variables = correlate_labels()
    mine = {s["variable"]: s for s in primary.get("summary", [])}
    theirs = {s["variable"]: s for s in other.get("summary", [])}
    stars_primary = {(c["variable"], c["case"]): c.get("stars") for c in primary.get("cells", [])}
    rows = []
    for variable in CORRELATES:
        if variable not in mine or variable not in theirs:
            continue
        changed = [
            case_label(c["case"], labels)
            for c in other.get("cells", [])
            if c["variable"] == variable
            and "r" in c
            and stars_primary.get((variable, c["case"])) != c.get("stars")
        ]

        def count(s):
            return _("%(k)s positive, %(m)s negative of %(n)s") % {
                "k": s.get("positive", 0),
                "m": s.get("negative", 0),
                "n": s.get("tested", 0),
            }

        rows.append(
            {
                "label": variables[variable],
                "primary": count(mine[variable]),
                "other": count(theirs[variable]),
                "changed": ", ".join(changed) if changed else "—",
            }
        )
    return rows


def _term_row(term: dict, *, plan: AnalysisPlan, analysed_n: dict, table: dict) -> dict:
    arm = ARM_OF_TERM.get(term["term"])
    labels = term_labels()
    role = term.get("role", "confirmatory" if term.get("kind") == "arm" else "factorial")
    row = {
        "contrast": labels.get(term["term"], term["term"]),
        "effect": points(term["estimate"]) + term.get("stars", ""),
        "ci": points_interval(term["low"], term["high"]),
        "se": points(term["se"], sign=False),
        "p": pval(term["p"]),
        "p_adjusted": pval(term.get("p_adjusted")),
        "negative": is_negative(100 * term["estimate"], 1),
        "mde": points(term["mde"], sign=False) if term.get("mde") is not None else "—",
        "n_arm": analysed_n.get(arm, "") if arm else "",
        "n_none": analysed_n.get("none", "") if arm else "",
        "family": "",
        "verdict": "",
        "verdict_kind": "",
    }
    if role in ("confirmatory", "exploratory", "pooled"):
        size = term.get("family_size")
        names = {
            "confirmatory": _("confirmatory"),
            "exploratory": _("exploratory"),
            "pooled": _("pooled"),
        }
        row["family"] = (
            ngettext("%(role)s, %(method)s, %(n)s test", "%(role)s, %(method)s, %(n)s tests", size)
            % {"role": names[role], "method": _method_of(term, plan, table), "n": size}
            if size
            else names[role]
        )
        verdict = decide_term(term, analysed_n=analysed_n, arm=arm, plan=plan)
        row["verdict"] = verdict_words()[verdict.kind]
        row["verdict_kind"] = verdict.kind
    else:
        row["family"] = _("not adjusted")
        row["p_adjusted"] = "—"
    return row


def nudge_rows(results: dict, plan: AnalysisPlan, *, key: str = "nudges") -> list[dict]:
    """Return table 5 in long form: one row per case × index × contrast, every column visible."""
    labels = results.get("case_labels") or {}
    indexes = index_labels()
    table = results.get(key) or {}
    rows = []
    for row in table.get("rows", []):
        base = {
            "case": case_label(row["case"], labels),
            "outcome": indexes.get(row["outcome"], row["outcome"]),
        }
        if "not_estimable" in row:
            rows.append({**base, "na": reason_text(row["not_estimable"])})
            continue
        analysed = _analysed_n(row)
        order = [*TREATMENT_TERMS.values(), *FACTORIAL]
        terms = sorted(
            row["terms"], key=lambda t: order.index(t["term"]) if t["term"] in order else 9
        )
        for position, term in enumerate(terms):
            rows.append(
                {
                    **base,
                    "first": position == 0,
                    "span": len(terms),
                    "n": row["n"],
                    "reference": pct(row.get("reference_mean")),
                    "na": "",
                    **_term_row(term, plan=plan, analysed_n=analysed, table=table),
                }
            )
    return rows


def pooled_rows(results: dict, plan: AnalysisPlan) -> list[dict]:
    """Return the pooled estimates, when there are at least two cases to pool."""
    indexes = index_labels()
    out = []
    for pooled in (results.get("nudges") or {}).get("pooled", []):
        if pooled.get("cases", 2) < 2:
            continue
        label = indexes.get(pooled["outcome"], pooled["outcome"])
        if "not_estimable" in pooled:
            out.append({"outcome": label, "na": reason_text(pooled["not_estimable"])})
            continue
        analysed = pooled.get("analysed_n") or {}
        for term in pooled.get("terms", []):
            term = {**term, "role": term.get("role", "pooled"), "kind": "arm"}
            out.append(
                {
                    "outcome": label,
                    "n": pooled["n"],
                    "cases": pooled["cases"],
                    "na": "",
                    **_term_row(term, plan=plan, analysed_n=analysed, table=pooled),
                }
            )
    return out


def nudge_counts(results: dict, plan: AnalysisPlan) -> list[str]:
    indexes = index_labels()
    out = []
    for key, counts in (results.get("nudges") or {}).get("counts", {}).items():
        if not counts.get("tests"):
            continue
        role = counts.get("role") or (
            "confirmatory" if plan.is_confirmatory(key) else "exploratory"
        )
        method = adjustment_labels()[
            plan.confirmatory_adjustment if role == "confirmatory" else plan.exploratory_adjustment
        ]
        significant = counts.get("significant", counts.get("significant_05", 0))
        adjusted = counts.get("significant_adjusted", counts.get("significant_adjusted_05", 0))
        out.append(
            _(
                "%(index)s: p < %(alpha)s in %(s)s of %(n)s contrasts, %(adj)s of %(n)s after "
                "%(method)s adjustment."
            )
            % {
                "index": indexes.get(key, key),
                "alpha": level_text(plan.alpha),
                "s": significant,
                "n": counts["tests"],
                "adj": adjusted,
                "method": method,
            }
        )
    return out


def nudge_note(plan: AnalysisPlan) -> str:
    return _(
        "OLS of each index on the A-only, B-only and A-and-B indicators (no nudge is the "
        "reference), HC2 standard errors, t inference; effects and intervals in percentage "
        "points (%(ci)s). %(stars)s Adjusted p: within the family named beside it; factorial "
        "contrasts come from the same fit and are not adjusted. MDE: minimum detectable "
        "effect at %(power)s power and %(alpha)s significance given the case's numbers. "
        "Verdict: raised or lowered when the adjusted p is below %(alpha_p)s, too few to tell "
        "with fewer than %(min)s answers in a group compared. Shaded: negative."
    ) % {
        "ci": ci_label(plan),
        "stars": star_note(plan),
        "power": percent_text(plan.power),
        "alpha": percent_text(plan.alpha),
        "alpha_p": level_text(plan.alpha),
        "min": plan.min_per_group,
    }


def robustness_rows(results: dict, plan: AnalysisPlan) -> list[dict]:
    """Return the Lin, ordered-logit and fractional-logit effects per case, in points."""
    labels = results.get("case_labels") or {}
    models = (
        ("lin_individual", _("Lin-adjusted OLS, individual index")),
        ("lin_collective", _("Lin-adjusted OLS, collective index")),
        ("ordered_logit_collective", _("Ordered logit, collective index")),
        ("fractional_logit_individual", _("Fractional logit, individual index")),
    )
    rows = []
    for row in results.get("robustness", []):
        for position, (key, label) in enumerate(models):
            fit = row.get(key) or {}
            cells = []
            na = ""
            terms = {t["term"]: t for t in fit.get("terms", [])}
            if "not_estimable" in fit or not terms:
                na = reason_text(fit.get("not_estimable", "")) or _("not estimable")
            else:
                for arm in ("a", "b", "ab"):
                    term = terms.get(TREATMENT_TERMS[arm], {})
                    if "low" in term:
                        cells.append(
                            {
                                "text": points(term["estimate"]),
                                "ci": points_interval(term["low"], term["high"]),
                                "negative": is_negative(100 * term["estimate"], 1),
                            }
                        )
                    else:  # a run stored before effects were given in points
                        cells.append({"text": "—", "ci": "", "negative": False})
            rows.append(
                {
                    "case": case_label(row["case"], labels) if position == 0 else "",
                    "model": label,
                    "cells": cells,
                    "na": na,
                }
            )
    return rows


def balance_rows(results: dict) -> list[dict]:
    covariates = covariate_labels()
    rows = []
    for c in (results.get("balance") or {}).get("covariates", []):
        variable, category = c.get("variable"), c.get("category")
        if variable is None:  # stored before variable and category were kept apart
            variable, _sep, category = c["covariate"].partition("_")
        category = (
            _("not recorded") if category == "(unknown)" else category[:1].upper() + category[1:]
        )
        rows.append(
            {
                "label": f"{covariates.get(variable, variable)}: {category}",
                "overall": pct(c.get("overall")),
                "smd": [num(c.get(f"smd_{arm}")) for arm in ("a", "b", "ab")],
            }
        )
    return rows


def missingness_rows(results: dict) -> list[dict]:
    labels = results.get("case_labels") or {}
    arms = arm_labels()
    rows = []
    for m in results.get("missingness", []):
        rows.append(
            {
                "case": case_label(m["case"], labels),
                "arm": arms.get(m["arm"], m["arm"]),
                "n": m["n"],
                "individual": pct(m["individual_missing"]),
                "collective": pct(m["collective_missing"]),
            }
        )
    return rows


def reliability_rows(results: dict) -> list[dict]:
    labels = results.get("case_labels") or {}
    return [
        {
            "case": case_label(r["case"], labels),
            "na": reason_text(r["not_estimable"]) if "not_estimable" in r else "",
            "items": r.get("items"),
            "n": r.get("n"),
            "kr20": num(r.get("kr20")),
        }
        for r in results.get("reliability", [])
    ]


def randomisation_rows(results: dict) -> list[dict]:
    labels = results.get("case_labels") or {}
    indexes = index_labels()
    terms = term_labels()
    return [
        {
            "case": case_label(r["case"], labels),
            "outcome": indexes.get(r["outcome"], r["outcome"]),
            "term": terms.get(r["term"], r["term"]),
            "p": pval(r.get("p")),
        }
        for r in results.get("randomisation_inference", [])
    ]


def mode_rows(results: dict) -> list[dict]:
    """Return the complete responses by mode (online, paper, telephone), those that occur."""
    counts = results.get("modes") or {}
    return [
        {"label": label, "n": counts[mode]}
        for mode, label in mode_labels().items()
        if counts.get(mode)
    ]


def quality_sentences(quality: dict | None) -> list[str]:
    """Return what the response-quality flags found, and what they could not judge."""
    if not quality:
        return []
    flagged = quality.get("flagged_responses") or {}
    completes = quality.get("completes", 0)
    timed = quality.get("timed_responses")
    sentences = []
    if timed == 0:
        sentences.append(
            _(
                "No complete response had page timings (answers on paper, by telephone or "
                "imported), so speeding could not be judged."
            )
        )
    elif not quality.get("speeder_rule_applies"):
        sentences.append(
            _(
                "The speeder rule needs at least 100 complete responses with page timings "
                "and was not applied."
            )
        )
    else:
        sentences.append(
            ngettext(
                "%(s)s of %(t)s timed responses was flagged as speeding.",
                "%(s)s of %(t)s timed responses were flagged as speeding.",
                timed or 0,
            )
            % {"s": flagged.get("speeder", 0), "t": timed}
        )
    sentences.append(
        _(
            "Of %(c)s complete responses, %(l)s straight-lined the attitude items of at least "
            "one theme and %(d)s came from a device that had begun another response shortly "
            "before; %(f)s carry at least one flag. Flags never remove a response from the "
            "tables above."
        )
        % {
            "c": completes,
            "l": flagged.get("straight_liner", 0),
            "d": flagged.get("duplicate_device", 0),
            "f": flagged.get("flagged", 0),
        }
    )
    median = quality.get("median_nudge_seconds")
    if median is not None:
        sentences.append(
            _("Median time on a theme page (where the information box is shown): %(s)s seconds.")
            % {"s": f"{median:.0f}"}
        )
    return sentences


def chart_labels() -> dict[str, str]:
    return {
        **index_labels(),
        **arm_labels(),
        **term_labels(),
        "invited": _("Invited"),
        "assigned": _("Opened and assigned"),
        "assigned_short": _("Assigned"),
        "not_opened": _("Never opened"),
        "complete": _("Complete"),
        "partial": _("Partial"),
    }


def plan_of(results: dict) -> AnalysisPlan:
    """Return the plan a run used (the default for a run stored before plans were kept)."""
    try:
        return AnalysisPlan.from_dict(results.get("plan"))
    except (TypeError, ValueError):
        return AnalysisPlan()


def computed_before_families(results: dict) -> bool:
    """Return whether a run was stored before families were fixed by the plan.

    Such a run adjusted every arm contrast of the run as one family; its adjusted
    p-values are shown as stored, and the report says so until the analysis is re-run.
    """
    return any(
        "family" not in term
        for row in (results.get("nudges") or {}).get("rows", [])
        for term in row.get("terms", [])
        if term.get("kind") == "arm"
    )


def build_report(results: dict, *, several_waves: bool = False, randomised_elsewhere=()) -> dict:
    """Return everything the results template shows, in the active language."""
    plan = plan_of(results)
    terms = definitions(
        plan, several_waves=several_waves, randomised_elsewhere=randomised_elsewhere
    )
    if computed_before_families(results):
        terms.insert(
            0,
            {
                "term": _("An older run"),
                "text": _(
                    "This analysis was computed before the plan fixed its families: its "
                    "adjusted p-values and verdicts treat every group contrast of the run as "
                    "one family. Run the analysis again to apply the families below."
                ),
            },
        )
    labels = chart_labels()
    cases = results.get("case_labels") or {}
    nudges = results.get("nudges") or {}
    individual = results.get("correlates_individual") or {}
    collective = results.get("correlates_collective") or {}
    other = results.get("correlates_collective_other") or {}
    codings = coding_labels()
    amount = time_amounts()[plan.time_threshold_code]
    return {
        "plan": plan,
        "definitions": terms,
        "ci": ci_label(plan),
        "stars": star_note(plan),
        "summaries": case_summaries(results, plan),
        "levels": levels_rows(results),
        "levels_note": _(
            "Individual index as defined above, with t intervals; collective shares with "
            "Wilson intervals (%(ci)s). Difference: individual − collective in percentage "
            "points, paired t test on respondents with both indices. Shaded: negative."
        )
        % {"ci": ci_label(plan)},
        "time": time_rows(results),
        "time_headings": {
            "now": _("Gives at least %(amount)s now") % {"amount": amount},
            "more": _("Would give at least %(amount)s more") % {"amount": amount},
        },
        "time_note": _(
            "Wilson %(ci)s. McNemar's exact test compares now and more on the same respondents."
        )
        % {"ci": ci_label(plan)},
        "correlates_individual": correlates_table(individual, results, plan),
        "correlates_collective": correlates_table(collective, results, plan),
        "collective_coding": codings.get(collective.get("index", "collective_any"), ""),
        "coding_robustness": coding_robustness(collective, other, results) if other else [],
        "other_coding": codings.get(other.get("index", ""), ""),
        "coding_headings": {
            "primary": _("Cases with p < %(alpha)s: %(coding)s")
            % {
                "alpha": level_text(plan.alpha),
                "coding": codings.get(collective.get("index", "collective_any"), ""),
            },
            "other": _("Cases with p < %(alpha)s: %(coding)s")
            % {"alpha": level_text(plan.alpha), "coding": codings.get(other.get("index", ""), "")},
        },
        "nudges": nudge_rows(results, plan),
        "nudge_note": nudge_note(plan),
        "nudge_counts": nudge_counts(results, plan),
        "pooled": pooled_rows(results, plan),
        "nudges_other_coding": nudge_rows(results, plan, key="nudges_other_coding"),
        "nudges_excluding_flagged": nudge_rows(results, plan, key="nudges_excluding_flagged"),
        "excluded_rows": (results.get("nudges_excluding_flagged") or {}).get("excluded_rows"),
        "nudges_per_protocol": nudge_rows(results, plan, key="nudges_per_protocol"),
        "per_protocol": results.get("nudges_per_protocol"),
        "quality": results.get("quality"),
        "quality_sentences": quality_sentences(results.get("quality")),
        "levels_svg": charts.levels_chart(
            results.get("levels", []),
            title=_("Levels of co-production by case"),
            labels=labels,
            cases={case: case_label(case, cases) for case in cases},
        ),
        "forest_svg": charts.forest_plot(
            nudges,
            title=_("Nudge effects (percentage points)"),
            labels=labels,
            cases={case: case_label(case, cases) for case in cases},
        ),
        "consort_svg": charts.consort_chart(
            results.get("consort") or {}, title=_("Flow of participants"), labels=labels
        ),
        "consort": results.get("consort"),
        "balance": results.get("balance"),
        "balance_rows": balance_rows(results),
        "balance_p": pval((results.get("balance") or {}).get("omnibus_p_randomisation")),
        "missingness": missingness_rows(results),
        "reliability": reliability_rows(results),
        "robustness": robustness_rows(results, plan),
        "randomisation_inference": randomisation_rows(results),
        "modes": mode_rows(results),
        "arm_labels": arm_labels(),
    }
