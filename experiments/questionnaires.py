"""The questionnaire of a wave as plain data, in the member's language.

The platform ships default wording for every item of the four theme kinds, in English and
Welsh (through the translation catalogue); a council may replace any item's wording for one
wave with an `ItemWording`, which then needs both languages too.
"""

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import connection, models
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from experiments.models import (
    Activity,
    Item,
    ItemWording,
    Nation,
    NudgeText,
    Theme,
    ThemeKind,
    Wave,
    WaveTheme,
)
from experiments.policy import Right, staff_action
from experiments.responses import current_nudge_texts
from surveyplatform.domain import InvalidInput, InvalidState, NotFound

ACTIVITIES_QUESTION = _("In the last 12 months, did you do any of the following?")

DEFAULT_WORDING = {
    ThemeKind.ENVIRONMENT: {
        Item.ACTIVITIES: ACTIVITIES_QUESTION,
        Item.COLLECTIVE: _(
            "How often do you work with other people in groups to improve the local"
            " environment, for example in a friends-of-the-park group or a litter "
            "pick?"
        ),
        Item.TIME_NOW: _(
            "How much time do you give now, with other people, to improving the local environment?"
        ),
        Item.TIME_MORE: _(
            "How much more time would you be willing to give, with other people, to"
            " improving the local environment?"
        ),
        Item.CONDITIONS: _("How would you rate the local environment at the moment?"),
        Item.SATISFACTION_INFORMATION: _(
            "How satisfied are you with the information the council gives about the"
            " local environment?"
        ),
        Item.SATISFACTION_CONSULTATION: _(
            "How satisfied are you with how the council consults residents about "
            "the local environment?"
        ),
        Item.SATISFACTION_RESPONSE: _(
            "How satisfied are you with how the council responds to residents' "
            "concerns about the local environment?"
        ),
        Item.EFFICACY: _(
            "How far do you agree or disagree: people in this area can make a "
            "difference to the local environment?"
        ),
    },
    ThemeKind.COMMUNITY_SAFETY: {
        Item.ACTIVITIES: ACTIVITIES_QUESTION,
        Item.COLLECTIVE: _(
            "How often do you work with other people in groups to improve community"
            " safety in your area, for example Neighbourhood Watch?"
        ),
        Item.TIME_NOW: _(
            "How much time do you give now, with other people, to improving "
            "community safety in your area?"
        ),
        Item.TIME_MORE: _(
            "How much more time would you be willing to give, with other people, to"
            " improving community safety in your area?"
        ),
        Item.CONDITIONS: _("How would you rate community safety in your area at the moment?"),
        Item.SATISFACTION_INFORMATION: _(
            "How satisfied are you with the information the council gives about "
            "community safety in your area?"
        ),
        Item.SATISFACTION_CONSULTATION: _(
            "How satisfied are you with how the council consults residents about "
            "community safety in your area?"
        ),
        Item.SATISFACTION_RESPONSE: _(
            "How satisfied are you with how the council responds to residents' "
            "concerns about community safety in your area?"
        ),
        Item.EFFICACY: _(
            "How far do you agree or disagree: people in this area can make a "
            "difference to community safety in your area?"
        ),
    },
    ThemeKind.SOCIAL_WELLBEING: {
        Item.ACTIVITIES: ACTIVITIES_QUESTION,
        Item.COLLECTIVE: _(
            "How often do you work with other people in groups to improve the well-"
            "being of people in your area, for example a befriending scheme?"
        ),
        Item.TIME_NOW: _(
            "How much time do you give now, with other people, to improving the "
            "well-being of people in your area?"
        ),
        Item.TIME_MORE: _(
            "How much more time would you be willing to give, with other people, to"
            " improving the well-being of people in your area?"
        ),
        Item.CONDITIONS: _(
            "How would you rate the well-being of people in your area at the moment?"
        ),
        Item.SATISFACTION_INFORMATION: _(
            "How satisfied are you with the information the council gives about the"
            " well-being of people in your area?"
        ),
        Item.SATISFACTION_CONSULTATION: _(
            "How satisfied are you with how the council consults residents about "
            "the well-being of people in your area?"
        ),
        Item.SATISFACTION_RESPONSE: _(
            "How satisfied are you with how the council responds to residents' "
            "concerns about the well-being of people in your area?"
        ),
        Item.EFFICACY: _(
            "How far do you agree or disagree: people in this area can make a "
            "difference to the well-being of people in your area?"
        ),
    },
    ThemeKind.HEALTH: {
        Item.ACTIVITIES: ACTIVITIES_QUESTION,
        Item.COLLECTIVE: _(
            "How often do you work with other people in groups to improve people's "
            "health in your area, for example a walking group?"
        ),
        Item.TIME_NOW: _(
            "How much time do you give now, with other people, to improving "
            "people's health in your area?"
        ),
        Item.TIME_MORE: _(
            "How much more time would you be willing to give, with other people, to"
            " improving people's health in your area?"
        ),
        Item.CONDITIONS: _("How would you rate people's health in your area at the moment?"),
        Item.SATISFACTION_INFORMATION: _(
            "How satisfied are you with the information the council gives about "
            "people's health in your area?"
        ),
        Item.SATISFACTION_CONSULTATION: _(
            "How satisfied are you with how the council consults residents about "
            "people's health in your area?"
        ),
        Item.SATISFACTION_RESPONSE: _(
            "How satisfied are you with how the council responds to residents' "
            "concerns about people's health in your area?"
        ),
        Item.EFFICACY: _(
            "How far do you agree or disagree: people in this area can make a "
            "difference to people's health in your area?"
        ),
    },
    ThemeKind.CUSTOM: {
        Item.ACTIVITIES: ACTIVITIES_QUESTION,
        Item.COLLECTIVE: _(
            "How often do you work with other people in groups to improve %(theme)s?"
        ),
        Item.TIME_NOW: _(
            "How much time do you give now, with other people, to improving %(theme)s?"
        ),
        Item.TIME_MORE: _(
            "How much more time would you be willing to give, with other people, to"
            " improving %(theme)s?"
        ),
        Item.CONDITIONS: _("How would you rate %(theme)s at the moment?"),
        Item.SATISFACTION_INFORMATION: _(
            "How satisfied are you with the information the council gives about %(theme)s?"
        ),
        Item.SATISFACTION_CONSULTATION: _(
            "How satisfied are you with how the council consults residents about %(theme)s?"
        ),
        Item.SATISFACTION_RESPONSE: _(
            "How satisfied are you with how the council responds to residents' "
            "concerns about %(theme)s?"
        ),
        Item.EFFICACY: _(
            "How far do you agree or disagree: people in this area can make a "
            "difference to %(theme)s?"
        ),
    },
}


# What each kind of theme is about, as the error messages name it ("Select how you would
# rate the local environment at the moment"); a council's own theme uses its name.
TOPICS = {
    ThemeKind.ENVIRONMENT: _("the local environment"),
    ThemeKind.COMMUNITY_SAFETY: _("community safety in your area"),
    ThemeKind.SOCIAL_WELLBEING: _("the well-being of people in your area"),
    ThemeKind.HEALTH: _("people's health in your area"),
}


def in_language(english: str, welsh: str, language: str) -> str:
    """Return the Welsh text for Welsh readers when there is one, else the English."""
    return welsh if language == "cy" and welsh else english


# The coded items of a theme page, in the order they are asked after the activities.
ITEM_ORDER = (
    Item.COLLECTIVE,
    Item.TIME_NOW,
    Item.TIME_MORE,
    Item.CONDITIONS,
    Item.SATISFACTION_INFORMATION,
    Item.SATISFACTION_CONSULTATION,
    Item.SATISFACTION_RESPONSE,
    Item.EFFICACY,
)
RECALLED_NUDGE = "recalled_nudge"


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
    nudge_text_ids: list[int] = field(default_factory=list)
    wording: dict[str, str] = field(default_factory=dict)
    asks_time_now: bool = True
    asks_time_more: bool = True
    # What the theme is about, in a phrase that fits into a sentence.
    topic: str = ""

    def question(self, item: str) -> str:
        return self.wording[item]

    def question_names(self, *, manipulation_check: bool) -> list[str]:
        """Return the form field of every question on the page, in the order asked."""
        names = [f"activity_{a.id}" for a in self.activities]
        for item in ITEM_ORDER:
            if (item == Item.TIME_NOW and not self.asks_time_now) or (
                item == Item.TIME_MORE and not self.asks_time_more
            ):
                continue
            names.append(item.value)
        if manipulation_check:
            names.append(RECALLED_NUDGE)
        return names

    def parts(self, *, per_page: int, manipulation_check: bool) -> list[tuple[str, ...]]:
        """Return the page's questions split into the screens a member sees, in order."""
        return split_questions(
            self.question_names(manipulation_check=manipulation_check), per_page=per_page
        )


def split_questions(names: list[str], *, per_page: int) -> list[tuple[str, ...]]:
    """Split questions into the fewest screens of at most `per_page`, of about equal length.

    A yes/no activity takes about half the room of a question with a scale of answers, so
    screens are balanced by that weight: thirteen questions (five activities and eight
    scales) at twelve a page become the activities with three scales, then five scales.
    `per_page` 0 keeps every question on one screen.
    """
    if per_page <= 0 or len(names) <= per_page:
        return [tuple(names)]
    count = math.ceil(len(names) / per_page)
    weights = [1 if name.startswith("activity_") else 2 for name in names]
    total = sum(weights)
    cuts, running = [], 0
    for index, weight in enumerate(weights):
        boundary = total * (len(cuts) + 1) / count
        # Cut before this question when that lands nearer the boundary than after it.
        nearer = abs(running - boundary) <= abs(running + weight - boundary)
        if len(cuts) < count - 1 and running > 0 and nearer:
            cuts.append(index)
        running += weight
    parts, start = [], 0
    for cut in [*cuts, len(names)]:
        parts.append(tuple(names[start:cut]))
        start = cut
    # No screen may hold more than `per_page`: move the overflow to the next screen.
    for number in range(len(parts) - 1):
        while len(parts[number]) > per_page:
            parts[number], parts[number + 1] = (
                parts[number][:-1],
                (
                    parts[number][-1],
                    *parts[number + 1],
                ),
            )
    if len(parts[-1]) > per_page:
        return [tuple(names[i : i + per_page]) for i in range(0, len(names), per_page)]
    return parts


# The time a member takes, by kind of item, for the estimate on the start page and in the
# invitation: reading the start page and agreeing, reading one information box, answering
# one yes/no activity, one question with a scale of answers, the about-you page (six
# questions), and checking and sending the answers. Measured on the demo by reading each
# page aloud at a steady pace and answering; deliberately on the slow side.
SECONDS_PER_ITEM = {
    "start": 30,
    "information": 10,
    "activity": 4,
    "rated": 8,
    "about_you": 40,
    "check": 20,
}


def estimate_minutes(*, activities: int, rated: int, information: int) -> int:
    """Return the minutes a questionnaire takes (rounded up), from the count of each item kind."""
    seconds = (
        SECONDS_PER_ITEM["start"]
        + information * SECONDS_PER_ITEM["information"]
        + activities * SECONDS_PER_ITEM["activity"]
        + rated * SECONDS_PER_ITEM["rated"]
        + SECONDS_PER_ITEM["about_you"]
        + SECONDS_PER_ITEM["check"]
    )
    return max(1, math.ceil(seconds / 60))


def pages_time_estimate(
    pages: list["ThemePage"], *, manipulation_check: bool, experiment_on: bool
) -> int:
    """Return the minutes the questionnaire takes, the same for every group.

    Counted as `wave_time_estimate` counts it, with both information boxes on every page when
    the experiment is on, whichever boxes this member's group sees: the start page comes
    before any nudge, and nothing on it may differ between the groups.
    """
    activities = sum(len(page.activities) for page in pages)
    rated = sum(
        len(page.question_names(manipulation_check=manipulation_check)) - len(page.activities)
        for page in pages
    )
    information = 2 * len(pages) if experiment_on else 0
    return estimate_minutes(activities=activities, rated=rated, information=information)


def wave_time_estimate(wave: Wave) -> int:
    """Return the minutes the wave's questionnaire takes, before anyone is assigned.

    Counts both information boxes on every theme when the experiment is on: an invitation
    goes out before the member's group is drawn, so it states the longest version.
    """
    themes = list(
        Theme.objects.filter(wave_themes__wave=wave).annotate(
            activity_count=models.Count("activities", distinct=True)
        )
    )
    per_theme = 6 + int(wave.asks_time_now) + int(wave.asks_time_more)
    per_theme += int(wave.manipulation_check)
    return estimate_minutes(
        activities=sum(t.activity_count for t in themes),
        rated=per_theme * len(themes),
        information=2 * len(themes) if wave.experiment_on else 0,
    )


def default_wording(kind: str, item: str, *, theme_name: str = "") -> str:
    """Return the platform's wording of an item for a theme kind, in the active language."""
    text = str(DEFAULT_WORDING.get(kind, DEFAULT_WORDING[ThemeKind.CUSTOM])[item])
    return text % {"theme": theme_name} if "%(theme)s" in text else text


def _overrides(wave: Wave) -> dict[tuple[int, str], ItemWording]:
    return {(w.theme_id, w.item): w for w in ItemWording.objects.filter(wave=wave)}


def theme_pages(
    wave: Wave, *, language: str, nudge_texts: dict[int, list[NudgeText]] | None = None
) -> list[ThemePage]:
    """Return the wave's theme pages in order, worded in the given language."""
    nudge_texts = nudge_texts or {}
    themes: list[Theme] = list(
        wave.themes.order_by("wave_themes__position", "pk").prefetch_related("activities")
    )
    overrides = _overrides(wave)
    pages = []
    with translation.override(language):
        for theme in themes:
            activities: list[Activity] = list(theme.activities.all())
            name = in_language(theme.name_en, theme.name_cy, language)
            wording = {}
            for item in Item.values:
                override = overrides.get((theme.pk, item))
                if override is not None:
                    wording[item] = in_language(override.text_en, override.text_cy, language)
                else:
                    wording[item] = default_wording(theme.kind, item, theme_name=name.lower())
            texts = nudge_texts.get(theme.pk, [])
            pages.append(
                ThemePage(
                    theme_id=theme.pk,
                    name=name,
                    activities=[
                        ActivityItem(a.pk, in_language(a.text_en, a.text_cy, language))
                        for a in activities
                    ],
                    nudges=[in_language(t.text_en, t.text_cy, language) for t in texts],
                    nudge_text_ids=[t.pk for t in texts],
                    wording=wording,
                    asks_time_now=wave.asks_time_now,
                    asks_time_more=wave.asks_time_more,
                    topic=str(TOPICS.get(theme.kind, name.lower())),
                )
            )
    return pages


def questionnaire_stamp_sql() -> str:
    """Return the SQL of a digest of everything the wave's theme pages show.

    It covers the wave's themes and their order, their activities, every nudge text version
    and the council's item wordings, however they were edited (console, API, admin), so a
    copy of the pages kept under this digest is never shown after any of them changed.
    The one parameter, %(w)s, is the wave's id.
    """
    tables = {
        "wave_theme": WaveTheme._meta.db_table,
        "theme": Theme._meta.db_table,
        "activity": Activity._meta.db_table,
        "nudge": NudgeText._meta.db_table,
        "wording": ItemWording._meta.db_table,
    }
    sql = """
        SELECT md5(concat_ws('|',
          (SELECT string_agg(concat_ws(',', wt.position, t.id, t.kind, t.name_en, t.name_cy),
                             ';' ORDER BY wt.position, t.id)
             FROM {wave_theme} wt JOIN {theme} t ON t.id = wt.theme_id WHERE wt.wave_id = %(w)s),
          (SELECT string_agg(concat_ws(',', a.id, a.theme_id, a.position, a.text_en, a.text_cy),
                             ';' ORDER BY a.id)
             FROM {activity} a JOIN {wave_theme} wt ON wt.theme_id = a.theme_id
            WHERE wt.wave_id = %(w)s),
          (SELECT string_agg(concat_ws(',', n.id, n.theme_id, n.nudge, n.version, n.text_en,
                                       n.text_cy), ';' ORDER BY n.id)
             FROM {nudge} n WHERE n.wave_id = %(w)s),
          (SELECT string_agg(concat_ws(',', i.id, i.theme_id, i.item, i.text_en, i.text_cy),
                             ';' ORDER BY i.id)
             FROM {wording} i WHERE i.wave_id = %(w)s)))
    """
    return sql.format(**tables)


def questionnaire_stamp(wave_id: int) -> str:
    """Return the digest of `questionnaire_stamp_sql` for the wave."""
    with connection.cursor() as cursor:
        cursor.execute(questionnaire_stamp_sql(), {"w": wave_id})
        return cursor.fetchone()[0]


# The theme pages of recently answered waves, per language and arm, in this process.
_pages: OrderedDict[tuple, tuple[ThemePage, ...]] = OrderedDict()
_pages_lock = threading.Lock()
PAGES_CACHED = 64


def respondent_pages(
    wave: Wave, *, language: str, nudges: tuple[str, ...], stamp: str | None = None
) -> list[ThemePage]:
    """Return the pages a member of an arm sees, built once per process until they change.

    Building them takes four queries and the wording of every item; checking that a kept
    copy is current takes the digest (`questionnaire_stamp`), read here unless given.
    """
    if stamp is None:
        stamp = questionnaire_stamp(wave.pk)
    key = (wave.pk, stamp, language, wave.time_questions, tuple(nudges))
    if stamp:
        with _pages_lock:
            kept = _pages.get(key)
            if kept is not None:
                _pages.move_to_end(key)
                return list(kept)
    pages = theme_pages(
        wave, language=language, nudge_texts=current_nudge_texts(wave.pk, tuple(nudges))
    )
    if stamp:
        with _pages_lock:
            _pages[key] = tuple(pages)
            while len(_pages) > PAGES_CACHED:
                _pages.popitem(last=False)
    return pages


T = TypeVar("T")
_kept: OrderedDict[tuple, object] = OrderedDict()
KEPT = 256


def kept(key: tuple, build: Callable[[], T]) -> T:
    """Return what is built once per process for a key that names everything it shows.

    For HTML of a blank page and the wording of its questions. The caller's key must hold
    the pages' digest (`questionnaire_stamp`), the language and whatever else the value
    depends on; only values that are the same for every member (no answers, no errors, no
    token) may be kept.
    """
    with _pages_lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    value = build()
    with _pages_lock:
        _kept[key] = value
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return value


def _lacks_welsh_translation(text) -> bool:
    with translation.override("en"):
        english = str(text)
    with translation.override("cy"):
        return str(text) == english


class WelshGap(str):
    """A text members reading Welsh would see in English, said in plain words.

    A string, so that lists of gaps read and join as text; `place` says where the Welsh is
    written ("council", "wave", "theme", "wording" or "nudges") and `theme_id` for which
    theme, so that a checklist can link to the right page.
    """

    place: str
    theme_id: int | None

    def __new__(cls, text: str, *, place: str, theme_id: int | None = None) -> "WelshGap":
        gap = super().__new__(cls, text)
        gap.place, gap.theme_id = place, theme_id
        return gap


def welsh_gaps(wave: Wave) -> list[WelshGap]:
    """List every respondent-facing text of the wave that has no Welsh version.

    Covers the council's name and privacy texts, the wave's title, theme names, activities,
    the latest version of every nudge text, the council's item wordings, and the platform's
    default wording in the Welsh catalogue.
    """
    gaps = []
    council = wave.council
    about_council = {"council": council.name}
    if not council.name_cy.strip():
        gaps.append(
            WelshGap(gettext("Council “%(council)s”: name") % about_council, place="council")
        )
    for english, welsh, what in (
        (council.lawful_basis_en, council.lawful_basis_cy, gettext("lawful basis")),
        (council.privacy_notice_en, council.privacy_notice_cy, gettext("privacy notice")),
    ):
        if english.strip() and not welsh.strip():
            gaps.append(
                WelshGap(
                    gettext("Council “%(council)s”: %(what)s") % {**about_council, "what": what},
                    place="council",
                )
            )
    if not wave.title_cy.strip():
        gaps.append(
            WelshGap(gettext("Wave “%(wave)s”: title") % {"wave": wave.title}, place="wave")
        )
    themes = list(wave.themes.order_by("wave_themes__position", "pk"))
    overrides = _overrides(wave)
    for theme in themes:
        about = {"theme": theme.name_en}

        def gap(text: str, place: str, theme=theme) -> WelshGap:
            return WelshGap(text, place=place, theme_id=theme.pk)

        if not theme.name_cy.strip():
            gaps.append(gap(gettext("Theme “%(theme)s”: name") % about, "theme"))
        for activity in theme.activities.all():
            if not activity.text_cy.strip():
                gaps.append(
                    gap(
                        gettext("Theme “%(theme)s”: activity “%(activity)s”")
                        % {**about, "activity": activity.text_en},
                        "theme",
                    )
                )
        for item in Item:
            override = overrides.get((theme.pk, item.value))
            if override is not None:
                if not override.text_cy.strip():
                    gaps.append(
                        gap(
                            gettext("Theme “%(theme)s”: wording of “%(item)s”")
                            % {**about, "item": item.label},
                            "wording",
                        )
                    )
            else:
                kind_wording = DEFAULT_WORDING.get(theme.kind, DEFAULT_WORDING[ThemeKind.CUSTOM])
                if _lacks_welsh_translation(kind_wording[item.value]):
                    gaps.append(
                        gap(
                            gettext("Theme “%(theme)s”: default wording of “%(item)s”")
                            % {**about, "item": item.label},
                            "wording",
                        )
                    )
    for theme_id, texts in current_nudge_texts(wave.pk, ("a", "b")).items():
        theme = next((t for t in themes if t.pk == theme_id), None)
        for text in texts:
            if not text.text_cy.strip():
                name = theme.name_en if theme else text.theme.name_en
                gaps.append(
                    WelshGap(
                        gettext("Theme “%(theme)s”: nudge %(nudge)s (version %(version)s)")
                        % {"theme": name, "nudge": text.nudge.upper(), "version": text.version},
                        place="nudges",
                        theme_id=theme_id,
                    )
                )
    return gaps


def needs_welsh(wave: Wave) -> bool:
    return wave.council.nation == Nation.WALES


def set_item_wording(
    wave: Wave, *, theme: Theme, item: str, text_en: str, text_cy: str = ""
) -> ItemWording | None:
    """Store a council's wording of an item for a wave, or go back to the default when blank.

    No right is checked and nothing is audited: staff reword through `set_item_wordings`.
    Only a draft wave's wording may change: once members answer, every one of them must
    have been asked the same question.
    """
    if wave.status != "draft":
        raise InvalidState(_("Wording can only change while the wave is a draft."))
    if item not in Item.values:
        raise InvalidInput(_("Unknown question %(item)s.") % {"item": item})
    text_en, text_cy = text_en.strip(), text_cy.strip()
    if not text_en:
        ItemWording.objects.filter(wave=wave, theme=theme, item=item).delete()
        return None
    wording, _created = ItemWording.objects.update_or_create(
        wave=wave, theme=theme, item=item, defaults={"text_en": text_en, "text_cy": text_cy}
    )
    return wording


def set_item_wordings(
    actor, wave: Wave, *, theme: Theme, wordings: dict[str, tuple[str, str]]
) -> list[str]:
    """Reword questions of a theme page for a draft wave (`{item: (english, welsh)}`).

    An empty English text goes back to the platform's wording. Return the items changed.
    """
    with staff_action(actor, Right.DESIGN, wave.council_id, action="set_item_wording") as note:
        wave = Wave.objects.select_for_update().get(pk=wave.pk)
        if not wave.wave_themes.filter(theme=theme).exists():
            raise NotFound(_("The wave does not ask about this theme."))
        current = {
            wording.item: (wording.text_en, wording.text_cy)
            for wording in ItemWording.objects.filter(wave=wave, theme=theme)
        }
        changed = []
        for item, (text_en, text_cy) in wordings.items():
            after = (text_en.strip(), text_cy.strip())
            if current.get(item, ("", "")) == after or (not after[0] and item not in current):
                continue
            set_item_wording(wave, theme=theme, item=item, text_en=after[0], text_cy=after[1])
            changed.append(item)
        note.target = theme
        note.summary = f"{theme.name_en}: " + (", ".join(changed) or "unchanged") + " reworded"
        note.details = {"wave": wave.pk, "items": changed}
    return changed
