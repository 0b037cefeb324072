"""The variables of the research data, defined once from the instrument.

The exports (files and codebook) write them and the response import reads files laid out
by them, so both live above this module and take their definitions from here.

Value labels come from the model fields' choices, so a code added to the instrument
appears in the labels of the next export without any change here. Text choices (such as
the response language) become integer codes numbered in the order of their choices.
"""

from dataclasses import dataclass, field

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from experiments.models import Arm, Response, ThemeAnswer, Wave, WaveTheme

STRING, INTEGER, FLOAT, DATETIME, CODED = "string", "integer", "float", "datetime", "coded"

# Profile questions asked once per questionnaire. Listed explicitly (not every column of
# `Response`) so that a free-text column added later cannot leak into exports unreviewed.
RESPONSE_FIELDS = (
    "status",
    "mode",
    "language",
    "started_at",
    "submitted_at",
    "birth_year",
    "age_band",
    "gender",
    "ethnic_group",
    "qualification",
    "ward",
)

# Question wording in English and Welsh, by column; `{theme}` is the theme's name.
WORDING = {
    "pseudonym": (
        "Pseudonym of the member (stable within a council, unlinkable across councils)",
        "Ffugenw'r aelod (sefydlog o fewn cyngor, heb gysylltiad rhwng cynghorau)",
    ),
    "council": ("Council", "Cyngor"),
    "wave": ("Wave of the survey", "Ton yr arolwg"),
    "arm": ("Experimental arm: the information nudges shown", "Cangen yr arbrawf"),
    "theme": ("Theme of the questions", "Thema'r cwestiynau"),
    "status": ("Status of the response", "Statws yr ymateb"),
    "mode": (
        "How the answers were collected (online, paper or telephone)",
        "Sut y casglwyd yr atebion (ar-lein, papur neu ffôn)",
    ),
    "language": ("Language the questionnaire was answered in", "Iaith yr atebion"),
    "started_at": ("When the response was started (UTC)", "Pryd y dechreuwyd yr ymateb (UTC)"),
    "submitted_at": ("When the response was submitted (UTC)", "Pryd y cyflwynwyd yr ymateb (UTC)"),
    "birth_year": ("Year of birth", "Blwyddyn geni"),
    "age_band": ("Age band", "Grŵp oedran"),
    "gender": ("Gender", "Rhywedd"),
    "ethnic_group": ("Ethnic group", "Grŵp ethnig"),
    "qualification": ("Highest qualification", "Cymhwyster uchaf"),
    "ward": ("Ward", "Ward"),
    "collective": (
        "How often do you work with other people in groups to improve {theme}?",
        "Pa mor aml ydych chi'n gweithio gyda phobl eraill mewn grwpiau i wella {theme}?",
    ),
    "time_now": (
        "How much time do you give now to improve {theme}?",
        "Faint o amser ydych chi'n ei roi nawr i wella {theme}?",
    ),
    "time_more": (
        "How much more time would you be willing to give to improve {theme}?",
        "Faint yn rhagor o amser fyddech chi'n fodlon ei roi i wella {theme}?",
    ),
    "conditions": (
        "How would you rate {theme} in your area?",
        "Sut fyddech chi'n graddio {theme} yn eich ardal?",
    ),
    "satisfaction_information": (
        "How satisfied are you with the information the council gives about {theme}?",
        "Pa mor fodlon ydych chi â'r wybodaeth y mae'r cyngor yn ei rhoi am {theme}?",
    ),
    "satisfaction_consultation": (
        "How satisfied are you with how the council consults residents about {theme}?",
        "Pa mor fodlon ydych chi â sut mae'r cyngor yn ymgynghori â thrigolion am {theme}?",
    ),
    "satisfaction_response": (
        "How satisfied are you with how the council responds to residents about {theme}?",
        "Pa mor fodlon ydych chi â sut mae'r cyngor yn ymateb i drigolion am {theme}?",
    ),
    "efficacy": (
        "People like me can make a difference to {theme}.",
        "Gall pobl fel fi wneud gwahaniaeth i {theme}.",
    ),
    "activities_total": ("Number of the theme's activities", "Nifer gweithgareddau'r thema"),
    "activities_answered": ("Activities answered yes or no", "Gweithgareddau a atebwyd"),
    "activities_yes": ("Activities answered yes", "Gweithgareddau a atebwyd ie"),
    "individual_index": ("Individual co-production index", "Mynegai cydgynhyrchu unigol"),
    "collective_any": ("Works with others in groups", "Yn gweithio gydag eraill mewn grwpiau"),
    "gives_time": (
        "Gives at least a few hours a month",
        "Yn rhoi o leiaf ychydig oriau'r mis",
    ),
}

DERIVATIONS = {
    "activities_total": _("Count of the theme's activities in the instrument."),
    "activities_answered": _("Count of the theme's activities answered yes or no."),
    "activities_yes": _("Count of the theme's activities answered yes."),
    "individual_index": _(
        "activities_yes ÷ activities_answered over the theme's activities; defined only when "
        "at least half of the theme's activities were answered, otherwise missing."
    ),
    "collective_any": _(
        "1 when collective is Often or Sometimes, 0 when Never, missing when unanswered."
    ),
    "gives_time": _(
        "1 when time_now is at least a few hours a month, 0 when less, missing when unanswered."
    ),
}

YES_NO = ((0, "No", "Na"), (1, "Yes", "Ie"))


@dataclass(frozen=True)
class ThemeInfo:
    id: int
    council_id: int
    name_en: str
    name_cy: str
    activities: tuple[tuple[int, str, str], ...]  # (activity id, English, Welsh)


@dataclass(frozen=True)
class Scope:
    """The plain facts about the waves of one export that the variables depend on."""

    councils: tuple[tuple[int, str], ...]  # (id, name)
    waves: tuple[tuple[int, str, int], ...]  # (id, title, council id)
    themes: tuple[ThemeInfo, ...]
    wave_themes: dict[int, tuple[int, ...]] = field(default_factory=dict)  # theme → waves

    @property
    def max_activities(self) -> int:
        return max((len(theme.activities) for theme in self.themes), default=0)


@dataclass(frozen=True)
class Variable:
    name: str
    label_en: str
    label_cy: str
    kind: str
    # (code, English label, Welsh label) for coded variables.
    codes: tuple[tuple[int, str, str], ...] = ()
    # How to recode a stored text choice into its integer code.
    text_codes: dict[str, int] | None = None
    theme_id: int | None = None
    derivation: str = ""
    source: str = ""  # where the value comes from, for the reader in `exports`

    def label(self, language: str) -> str:
        return self.label_cy if language == "cy" else self.label_en

    def value_labels(self, language: str) -> dict[int, str]:
        return {code: (cy if language == "cy" else en) for code, en, cy in self.codes}


def _both(label) -> tuple[str, str]:
    with translation.override("en"):
        english = str(label)
    with translation.override("cy"):
        welsh = str(label)
    return english, welsh


def _choice_codes(choices) -> tuple[tuple[tuple[int, str, str], ...], dict[str, int] | None]:
    """Return labelled integer codes for choices; text choices are numbered from 1."""
    values = [value for value, _label in choices]
    if all(isinstance(value, int) for value in values):
        return tuple((value, *_both(label)) for value, label in choices), None
    text_codes = {value: position for position, value in enumerate(values, start=1)}
    codes = tuple((text_codes[value], *_both(label)) for value, label in choices)
    return codes, text_codes


def _field_variable(
    model_field: models.Field, name: str, *, theme: ThemeInfo | None = None
) -> Variable:
    english, welsh = WORDING.get(model_field.name, (str(model_field.verbose_name),) * 2)
    if theme is not None:
        english = english.format(theme=theme.name_en)
        welsh = welsh.format(theme=theme.name_cy or theme.name_en)
    common = {
        "name": name,
        "label_en": english,
        "label_cy": welsh,
        "theme_id": theme.id if theme else None,
        "source": model_field.name,
    }
    if model_field.choices:
        codes, text_codes = _choice_codes(model_field.choices)
        return Variable(kind=CODED, codes=codes, text_codes=text_codes, **common)
    if isinstance(model_field, models.DateTimeField):
        return Variable(kind=DATETIME, **common)
    if isinstance(model_field, models.IntegerField):
        return Variable(kind=INTEGER, **common)
    return Variable(kind=STRING, **common)


def _fixed(name: str, kind: str, **extra) -> Variable:
    english, welsh = WORDING[name]
    return Variable(name=name, label_en=english, label_cy=welsh, kind=kind, source=name, **extra)


def response_variables(scope: Scope) -> list[Variable]:
    """Return the variables asked or recorded once per response."""
    arm_codes, arm_text = _choice_codes(Arm.choices)
    variables = [
        _fixed("pseudonym", STRING),
        _fixed("council", CODED, codes=tuple((cid, name, name) for cid, name in scope.councils)),
        _fixed("wave", CODED, codes=tuple((wid, title, title) for wid, title, _c in scope.waves)),
        _fixed("arm", CODED, codes=arm_codes, text_codes=arm_text),
    ]
    variables += [_field_variable(Response._meta.get_field(name), name) for name in RESPONSE_FIELDS]
    return variables


def theme_item_fields() -> list[models.Field]:
    """Return the coded questions asked once per theme, in the model's order."""
    return [f for f in ThemeAnswer._meta.concrete_fields if f.choices]


def _derived(prefix: str, theme_id: int | None) -> list[Variable]:
    variables = []
    for name, kind in (
        ("activities_total", INTEGER),
        ("activities_answered", INTEGER),
        ("activities_yes", INTEGER),
        ("individual_index", FLOAT),
        ("collective_any", CODED),
        ("gives_time", CODED),
    ):
        english, welsh = WORDING[name]
        variables.append(
            Variable(
                name=prefix + name,
                label_en=english,
                label_cy=welsh,
                kind=kind,
                codes=YES_NO if kind == CODED else (),
                theme_id=theme_id,
                derivation=str(DERIVATIONS[name]),
                source=name,
            )
        )
    return variables


def tidy_variables(scope: Scope) -> list[Variable]:
    """Return the columns of the tidy file: one row per response × theme."""
    theme_codes = tuple((t.id, t.name_en, t.name_cy or t.name_en) for t in scope.themes)
    variables = [*response_variables(scope), _fixed("theme", CODED, codes=theme_codes)]
    for model_field in theme_item_fields():
        english, welsh = WORDING.get(model_field.name, (str(model_field.verbose_name),) * 2)
        variable = _field_variable(model_field, model_field.name)
        variables.append(
            Variable(
                **{
                    **variable.__dict__,
                    "label_en": english.format(theme="the theme"),
                    "label_cy": welsh.format(theme="y thema"),
                }
            )
        )
    for position in range(1, scope.max_activities + 1):
        variables.append(
            Variable(
                name=f"act{position}",
                label_en=f"Activity {position} of the theme (wording by theme in the codebook)",
                label_cy=f"Gweithgaredd {position} y thema (geiriad fesul thema yn y llyfr codau)",
                kind=CODED,
                codes=YES_NO,
                source=f"act{position}",
            )
        )
    return variables + _derived("", None)


def wide_variables(scope: Scope) -> list[Variable]:
    """Return the columns of the wide file: one row per response, theme items prefixed."""
    variables = response_variables(scope)
    for theme in scope.themes:
        prefix = f"t{theme.id}_"
        for model_field in theme_item_fields():
            variables.append(_field_variable(model_field, prefix + model_field.name, theme=theme))
        for activity_id, english, welsh in theme.activities:
            variables.append(
                Variable(
                    name=f"{prefix}a{activity_id}",
                    label_en=english,
                    label_cy=welsh or english,
                    kind=CODED,
                    codes=YES_NO,
                    theme_id=theme.id,
                    source=f"a{activity_id}",
                )
            )
        variables += _derived(prefix, theme.id)
    return variables


def load_scope(wave_ids: list[int]) -> Scope:
    """Return the councils, waves, themes and activities of the export's waves."""
    waves = list(
        Wave.objects.filter(pk__in=wave_ids)
        .select_related("council")
        .order_by("pk")
        .only("pk", "title", "council__name", "council_id")
    )
    wave_themes: dict[int, list[int]] = {}
    theme_order: list[int] = []
    themes = {}
    for wave_theme in (
        WaveTheme.objects.filter(wave_id__in=wave_ids)
        .select_related("theme")
        .prefetch_related("theme__activities")
        .order_by("wave_id", "position", "id")
    ):
        theme = wave_theme.theme
        wave_themes.setdefault(theme.pk, []).append(wave_theme.wave_id)
        if theme.pk not in themes:
            theme_order.append(theme.pk)
            themes[theme.pk] = ThemeInfo(
                id=theme.pk,
                council_id=theme.council_id,
                name_en=theme.name_en,
                name_cy=theme.name_cy,
                activities=tuple(
                    (activity.pk, activity.text_en, activity.text_cy)
                    for activity in theme.activities.all()
                ),
            )
    councils = {wave.council_id: wave.council.name for wave in waves}
    return Scope(
        councils=tuple(sorted(councils.items())),
        waves=tuple((wave.pk, wave.title, wave.council_id) for wave in waves),
        themes=tuple(themes[theme_id] for theme_id in theme_order),
        wave_themes={theme_id: tuple(ids) for theme_id, ids in wave_themes.items()},
    )
