"""The "you said, we did" summary of a closed wave, drafted from its finished analysis.

The draft is a `Debrief` of kind summary: a council admin edits and approves it, and it is
sent like the debrief (`experiments.debriefs`).
"""

from analysis.runs import latest_done_run
from experiments.debriefs import anyone_completed
from experiments.models import Debrief, DebriefKind, Theme, Wave

SUMMARY_OPENING = {
    "en": "You said, we did: “{title}”\n\nThank you to everyone who answered. You said:",
    "cy": "Dywedoch chi, gwnaethom ni: “{title}”\n\nDiolch i bawb a atebodd. Dywedoch chi:",
}
SUMMARY_THEME = {
    "en": (
        "- {theme}: on average you do {ind} of the everyday activities we asked about, and "
        "{coll} of you work with others in a group at least sometimes."
    ),
    "cy": (
        "- {theme}: ar gyfartaledd rydych yn gwneud {ind} o'r gweithgareddau bob dydd y "
        "gwnaethom holi amdanynt, ac mae {coll} ohonoch yn gweithio gydag eraill mewn grŵp "
        "o leiaf weithiau."
    ),
}
SUMMARY_NUDGES = {
    "en": {
        True: "The information boxes made a clear difference to how many people said they "
        "would take part.",
        False: "The information boxes made no clear difference: people answered much the "
        "same whichever version they saw.",
    },
    "cy": {
        True: "Gwnaeth y blychau gwybodaeth wahaniaeth clir i faint o bobl a ddywedodd y "
        "byddent yn cymryd rhan.",
        False: "Ni wnaeth y blychau gwybodaeth wahaniaeth clir: atebodd pobl yn debyg iawn "
        "pa fersiwn bynnag a welsant.",
    },
}
SUMMARY_CLOSING = {
    "en": "We did: [write here what the council will do in response].",
    "cy": "Gwnaethom ni: [ysgrifennwch yma beth fydd y cyngor yn ei wneud mewn ymateb].",
}


def summary_text(results: dict, *, title: str, theme_names: dict[str, str], language: str) -> str:
    """Write the plain-language summary from an analysis run's stored results."""
    lines = [SUMMARY_OPENING[language].format(title=title)]
    for row in results.get("levels", []):
        individual = row.get("individual") or {}
        collective = row.get("collective_any") or {}
        if "estimate" not in individual or "estimate" not in collective:
            continue
        theme = row["case"].split(" — ", 1)[-1]
        lines.append(
            SUMMARY_THEME[language].format(
                theme=theme_names.get(theme, theme),
                ind=f"{100 * individual['estimate']:.0f} %",
                coll=f"{100 * collective['estimate']:.0f} %",
            )
        )
    counts = (results.get("nudges") or {}).get("counts") or {}
    if any(c.get("tests") for c in counts.values()):
        clear = any(c.get("significant_adjusted_05") for c in counts.values())
        lines.append("")
        lines.append(SUMMARY_NUDGES[language][clear])
    lines.append("")
    lines.append(SUMMARY_CLOSING[language])
    return "\n".join(lines)


def draft_summary(wave: Wave) -> Debrief | None:
    """Return the wave's "you said, we did" summary, drafting it from the latest finished run.

    Return None while no analysis run of the wave has finished, and for a wave that nobody
    completed: there are no results to tell anyone.
    """
    if not anyone_completed(wave):
        return None
    existing = Debrief.objects.filter(wave=wave, kind=DebriefKind.SUMMARY).first()
    if existing is not None:
        return existing
    run = latest_done_run(wave.pk)
    if run is None:
        return None
    welsh = dict(Theme.objects.filter(wave_themes__wave=wave).values_list("name_en", "name_cy"))
    texts = {
        language: summary_text(
            run.results,
            title=wave.title_in(language),
            theme_names={en: (cy or en) for en, cy in welsh.items()} if language == "cy" else {},
            language=language,
        )
        for language in ("en", "cy")
    }
    summary, _ = Debrief.objects.get_or_create(
        wave=wave,
        kind=DebriefKind.SUMMARY,
        defaults={"text_en": texts["en"], "text_cy": texts["cy"]},
    )
    return summary
