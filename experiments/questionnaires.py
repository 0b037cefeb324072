"""The questionnaire of a wave as plain data, in the member's language."""

from dataclasses import dataclass, field

from experiments.models import Activity, NudgeText, Theme, Wave


def in_language(english: str, welsh: str, language: str) -> str:
    """Return the Welsh text for Welsh readers when there is one, else the English."""
    return welsh if language == "cy" and welsh else english


@dataclass(frozen=True)
class ActivityItem:
    id: int
    text: str


@dataclass(frozen=True)
class ThemePage:
    theme_id: int
    name: str
    activities: list[ActivityItem]
    nudges: list[str] = field(default_factory=list)


def theme_pages(
    wave: Wave, *, language: str, nudge_texts: dict[int, list[NudgeText]] | None = None
) -> list[ThemePage]:
    nudge_texts = nudge_texts or {}
    themes: list[Theme] = list(
        wave.themes.order_by("wave_themes__position", "pk").prefetch_related("activities")
    )
    pages = []
    for theme in themes:
        activities: list[Activity] = list(theme.activities.all())
        pages.append(
            ThemePage(
                theme_id=theme.pk,
                name=in_language(theme.name_en, theme.name_cy, language),
                activities=[
                    ActivityItem(a.pk, in_language(a.text_en, a.text_cy, language))
                    for a in activities
                ],
                nudges=[
                    in_language(t.text_en, t.text_cy, language)
                    for t in nudge_texts.get(theme.pk, [])
                ],
            )
        )
    return pages
