"""The variables of the research data, defined once from the instrument.

The exports (files and codebook) write them and the response import reads files laid out
by them, so both live above this module and take their definitions from here.

Each variable carries what a statistician needs to analyse it:

- its label: for a question, the wording members were asked in that wave (the council's
  own wording where it gave one, else the platform's), in English and in Welsh;
- its codes and their labels, from the model field's choices, so that a code added to the
  instrument appears in the next export without any change here (text choices, such as
  the response language, become integer codes numbered in the order of their choices);
- its level of measurement, from the kind of answer it records (`measure_of`);
- the codes that stand for an answer missing for a known reason (`Reason`): "Don't know"
  (code 9 on every scale that offers it), "Prefer not to say" (the option's own code in
  each question about the member), and "Not asked" (code -1, which only the Stata and
  SPSS files hold: a question the wave did not ask is blank in the CSV files).
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from experiments.forms import AboutYouForm
from experiments.models import (
    ETHNIC_GROUP_LABELS_WALES,
    AgeBand,
    Agreement,
    Arm,
    Condition,
    EthnicGroup,
    Frequency,
    Gender,
    Item,
    ItemWording,
    Nation,
    Qualification,
    RecalledNudge,
    Response,
    ResponseMode,
    ResponseStatus,
    Satisfaction,
    ThemeAnswer,
    ThemeKind,
    TimeGiven,
    Wave,
    WaveTheme,
)
from experiments.questionnaires import DEFAULT_WORDING, in_language

STRING, INTEGER, FLOAT, DATETIME, CODED = "string", "integer", "float", "datetime", "coded"
NOMINAL, ORDINAL, SCALE = "nominal", "ordinal", "scale"

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


@dataclass(frozen=True)
class Reason:
    """Why an answer is missing, with the Stata extended missing value that stands for it."""

    key: str
    stata: str  # the letter of Stata's extended missing value: .a, .b, …
    label: str  # lazily translated

    def text(self, language: str) -> str:
        with translation.override(language):
            return str(self.label)


DONT_KNOW = Reason("dont_know", "a", _("Don't know"))
PREFER_NOT_TO_SAY = Reason("prefer_not_to_say", "b", _("Prefer not to say"))
NOT_ASKED = Reason("not_asked", "c", _("Not asked"))
REASONS = (DONT_KNOW, PREFER_NOT_TO_SAY, NOT_ASKED)
# The instrument's code for "Don't know" on every scale that offers it.
DONT_KNOW_CODE = 9
# The stored text of "Prefer not to say" in every question about the member.
PREFER_NOT_TO_SAY_VALUE = "not_said"
# Never a code of an answer: questions are coded from 0 or 1 up.
NOT_ASKED_CODE = -1

# The level of measurement of each kind of coded answer. Scales and bands are ordered;
# categories are not. Qualification is a category: an apprenticeship and "another
# qualification" have no place in an order of levels.
ORDINAL_CHOICES = (Frequency, TimeGiven, Condition, Satisfaction, Agreement, AgeBand)
NOMINAL_CHOICES = (
    Arm,
    ResponseStatus,
    ResponseMode,
    Gender,
    EthnicGroup,
    Qualification,
    RecalledNudge,
)

# Labels of what the platform records rather than asks, in English and Welsh.
RECORDED = {
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
        "Sut y casglwyd yr atebion (ar-lein, ar bapur neu dros y ffôn)",
    ),
    "language": ("Language the questionnaire was answered in", "Iaith yr atebion"),
    "started_at": ("When the response was started (UTC)", "Pryd y dechreuwyd yr ymateb (UTC)"),
    "submitted_at": ("When the response was submitted (UTC)", "Pryd y cyflwynwyd yr ymateb (UTC)"),
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

# The manipulation check's question, as `experiments.forms` asks it after a theme page.
RECALLED_NUDGE_QUESTION = _(
    "At the top of this page, what did the information box say, if there was one?"
)

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

# Questions a wave may leave out, and the item whose asking decides each derived variable.
OPTIONAL_ITEMS = ("time_now", "time_more", "recalled_nudge")
ASKED_WITH = {**{item: item for item in OPTIONAL_ITEMS}, "gives_time": "time_now"}

# A theme named inside a question when the file's column holds every theme's answers.
ANY_THEME = ("the theme", "y thema")


# --- Welsh grammar ----------------------------------------------------------------------

WELSH_VOWELS = "aeiouwyâêîôûŵŷáéíóúẃýàèìòùẁỳäëïöüẅÿ"
_WELSH_ARTICLE = re.compile(r"(?i)(yr?) ")


def fill_theme(template: str, phrase: str, *, welsh: bool = False) -> str:
    """Return the question with the theme's phrase in place of `%(theme)s`.

    In Welsh the article y/yr after a word ending in a vowel is written 'r ("i wella'r
    thema", never "i wella y thema"), and after the preposition "i" too ("i'r thema").
    """
    before, marker, after = template.partition("%(theme)s")
    if not marker:
        return template
    article = _WELSH_ARTICLE.match(phrase)
    if welsh and article and before.endswith(" ") and before[:-1][-1:].lower() in WELSH_VOWELS:
        return f"{before[:-1]}'r {phrase[article.end() :]}{after}"
    return before + phrase + after


# --- The scope ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeInfo:
    id: int
    council_id: int
    name_en: str
    name_cy: str
    activities: tuple[tuple[int, str, str], ...]  # (activity id, English, Welsh)
    kind: str = ThemeKind.CUSTOM


@dataclass(frozen=True)
class Scope:
    """The plain facts about the waves of one export that the variables depend on."""

    councils: tuple[tuple[int, str], ...]  # (id, name)
    waves: tuple[tuple[int, str, int], ...]  # (id, title, council id)
    themes: tuple[ThemeInfo, ...]
    wave_themes: dict[int, tuple[int, ...]] = field(default_factory=dict)  # theme → waves
    # The wording each wave asked of each item on each theme's page: (English, Welsh).
    wordings: dict[tuple[int, int, str], tuple[str, str]] = field(default_factory=dict)
    # The optional questions each wave left out (OPTIONAL_ITEMS).
    unasked: dict[int, frozenset[str]] = field(default_factory=dict)
    # Whether every wave is a Welsh council's, asked in the wording of Wales.
    in_wales: bool = False

    @property
    def max_activities(self) -> int:
        return max((len(theme.activities) for theme in self.themes), default=0)

    def wordings_of(self, item: str, *, theme_id: int | None = None) -> dict[tuple, list[int]]:
        """Return each distinct wording of an item, with the waves that asked it."""
        found: dict[tuple, list[int]] = {}
        for (wave_id, asked_theme, asked_item), texts in sorted(self.wordings.items()):
            if asked_item == item and theme_id in (None, asked_theme):
                found.setdefault(texts, []).append(wave_id)
        return found


def asked_wording(kind: str, item: str, *, name_en: str, name_cy: str) -> tuple[str, str]:
    """Return the platform's wording of an item for a theme, as a member reads it (in Welsh
    with the article joined to the theme's name as the grammar wants)."""
    template = DEFAULT_WORDING.get(kind, DEFAULT_WORDING[ThemeKind.CUSTOM])[item]
    with translation.override("en"):
        english = fill_theme(str(template), name_en.lower())
    with translation.override("cy"):
        welsh = fill_theme(str(template), (name_cy or name_en).lower(), welsh=True)
    return english, welsh


def load_scope(wave_ids: list[int]) -> Scope:
    """Return the councils, waves, themes, activities and wordings of the export's waves."""
    waves = list(
        Wave.objects.filter(pk__in=wave_ids)
        .select_related("council")
        .order_by("pk")
        .only(
            "pk",
            "title",
            "council__name",
            "council__nation",
            "council_id",
            "time_questions",
            "manipulation_check",
        )
    )
    overrides = {
        (wording.wave_id, wording.theme_id, wording.item): wording
        for wording in ItemWording.objects.filter(wave_id__in=wave_ids)
    }
    wave_themes: dict[int, list[int]] = {}
    theme_order: list[int] = []
    themes = {}
    wordings = {}
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
                kind=theme.kind,
            )
        for item in Item.values:
            override = overrides.get((wave_theme.wave_id, theme.pk, item))
            wordings[(wave_theme.wave_id, theme.pk, item)] = (
                (override.text_en, in_language(override.text_en, override.text_cy, "cy"))
                if override
                else asked_wording(theme.kind, item, name_en=theme.name_en, name_cy=theme.name_cy)
            )
    councils = {wave.council_id: wave.council.name for wave in waves}
    return Scope(
        councils=tuple(sorted(councils.items())),
        waves=tuple((wave.pk, wave.title, wave.council_id) for wave in waves),
        themes=tuple(themes[theme_id] for theme_id in theme_order),
        wave_themes={theme_id: tuple(ids) for theme_id, ids in wave_themes.items()},
        wordings=wordings,
        unasked={
            wave.pk: frozenset(
                item
                for item, asked in (
                    ("time_now", wave.asks_time_now),
                    ("time_more", wave.asks_time_more),
                    ("recalled_nudge", wave.manipulation_check),
                )
                if not asked
            )
            for wave in waves
        },
        in_wales=bool(waves) and all(wave.council.nation == Nation.WALES for wave in waves),
    )


# --- The variables ------------------------------------------------------------------------


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
    measure: str = ""  # NOMINAL, ORDINAL or SCALE
    # Codes of the variable that stand for an answer missing for a known reason.
    missing: tuple[tuple[int, Reason], ...] = ()
    # The item whose leaving out leaves this variable not asked (OPTIONAL_ITEMS).
    asked_with: str = ""
    # For the tidy file's act1, act2, …: the position of the activity in its theme.
    position: int = 0

    def label(self, language: str) -> str:
        return self.label_cy if language == "cy" else self.label_en

    def value_labels(self, language: str) -> dict[int, str]:
        return {code: (cy if language == "cy" else en) for code, en, cy in self.codes}

    @property
    def may_be_unasked(self) -> bool:
        return bool(self.asked_with or self.position)

    def declared_missing(self) -> tuple[tuple[int, Reason], ...]:
        """Return the codes the Stata and SPSS files declare missing, with their reasons."""
        if self.may_be_unasked:
            return (*self.missing, (NOT_ASKED_CODE, NOT_ASKED))
        return self.missing

    def labelled_codes(self, language: str) -> dict[int, str]:
        """Return the value labels of the Stata and SPSS files, "Not asked" included."""
        labels = self.value_labels(language)
        if self.may_be_unasked:
            labels[NOT_ASKED_CODE] = NOT_ASKED.text(language)
        return labels


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


def measure_of(model_field: models.Field) -> str:
    """Return the level of measurement of a model field, from the kind of answer it holds.

    A coded field must use one of the known kinds of answer, so that a new one is
    classified on purpose rather than by default.
    """
    if model_field.choices:
        values = [value for value, _label in model_field.choices]
        if any(values == kind.values for kind in ORDINAL_CHOICES):
            return ORDINAL
        languages = [code for code, _name in settings.LANGUAGES]
        if values == languages or any(values == kind.values for kind in NOMINAL_CHOICES):
            return NOMINAL
        raise ValueError(f"No level of measurement is set for the answers of {model_field.name}.")
    if isinstance(model_field, models.DateTimeField | models.IntegerField | models.FloatField):
        return SCALE
    return NOMINAL


def _missing_codes(
    codes: tuple[tuple[int, str, str], ...], text_codes: dict[str, int] | None
) -> tuple[tuple[int, Reason], ...]:
    """Return the codes of a question that stand for "Don't know" or "Prefer not to say"."""
    missing = []
    if text_codes is None and any(code == DONT_KNOW_CODE for code, _en, _cy in codes):
        missing.append((DONT_KNOW_CODE, DONT_KNOW))
    if text_codes and PREFER_NOT_TO_SAY_VALUE in text_codes:
        missing.append((text_codes[PREFER_NOT_TO_SAY_VALUE], PREFER_NOT_TO_SAY))
    return tuple(missing)


def _field_variable(
    model_field: models.Field, name: str, *, label: tuple[str, str], theme_id: int | None = None
) -> Variable:
    common = {
        "name": name,
        "label_en": label[0],
        "label_cy": label[1],
        "theme_id": theme_id,
        "source": model_field.name,
        "measure": measure_of(model_field),
        "asked_with": ASKED_WITH.get(model_field.name, ""),
    }
    if model_field.choices:
        codes, text_codes = _choice_codes(model_field.choices)
        missing = _missing_codes(codes, text_codes)
        return Variable(kind=CODED, codes=codes, text_codes=text_codes, missing=missing, **common)
    if isinstance(model_field, models.DateTimeField):
        return Variable(kind=DATETIME, **common)
    if isinstance(model_field, models.IntegerField):
        return Variable(kind=INTEGER, **common)
    return Variable(kind=STRING, **common)


def _recorded(name: str, kind: str, measure: str, **extra) -> Variable:
    english, welsh = RECORDED[name]
    return Variable(
        name=name,
        label_en=english,
        label_cy=welsh,
        kind=kind,
        source=name,
        measure=measure,
        **extra,
    )


def _profile_label(name: str) -> tuple[str, str]:
    """Return a question about the member, as the about-you page asks it."""
    if name in RECORDED:
        return RECORDED[name]
    english, welsh = _both(AboutYouForm.base_fields[name].label)
    if name == "age_band":
        # Asked as an alternative to the year of birth ("Or select your age band").
        return (
            f"Age band, asked after the year of birth: “{english}”",
            f"Grŵp oedran, a ofynnwyd ar ôl y flwyddyn geni: “{welsh}”",
        )
    return english, welsh


def response_variables(scope: Scope) -> list[Variable]:
    """Return the variables asked or recorded once per response."""
    arm_codes, arm_text = _choice_codes(Arm.choices)
    variables = [
        _recorded("pseudonym", STRING, NOMINAL),
        _recorded(
            "council",
            CODED,
            NOMINAL,
            codes=tuple((cid, name, name) for cid, name in scope.councils),
        ),
        _recorded(
            "wave",
            CODED,
            NOMINAL,
            codes=tuple((wid, title, title) for wid, title, _c in scope.waves),
        ),
        _recorded("arm", CODED, NOMINAL, codes=arm_codes, text_codes=arm_text),
    ]
    for name in RESPONSE_FIELDS:
        variable = _field_variable(Response._meta.get_field(name), name, label=_profile_label(name))
        if name == "ethnic_group" and scope.in_wales:
            # Welsh councils ask in the wording of the 2021 Census in Wales; same codes.
            welsh_wording = dict(ETHNIC_GROUP_LABELS_WALES)
            codes = tuple(
                (code, *_both(welsh_wording[value]))
                for value, code in (variable.text_codes or {}).items()
            )
            variable = Variable(**{**variable.__dict__, "codes": codes})
        variables.append(variable)
    return variables


def theme_item_fields() -> list[models.Field]:
    """Return the coded questions asked once per theme, in the model's order."""
    return [f for f in ThemeAnswer._meta.concrete_fields if f.choices]


def item_label(scope: Scope, item: str, *, theme: ThemeInfo | None = None) -> tuple[str, str]:
    """Return the wording of a theme's question as the scope's waves asked it.

    One wording when every wave (and, for the tidy file's columns, every theme) asked the
    same; otherwise the platform's wording for any theme, naming the theme, whose wording
    in each wave the codebook lists.
    """
    if item == "recalled_nudge":
        return _both(RECALLED_NUDGE_QUESTION)
    asked = scope.wordings_of(item, theme_id=theme.id if theme else None)
    if len(asked) == 1:
        return next(iter(asked))
    if theme is None and len(scope.themes) == 1:
        theme = scope.themes[0]
    if theme is not None:
        return asked_wording(ThemeKind.CUSTOM, item, name_en=theme.name_en, name_cy=theme.name_cy)
    return asked_wording(ThemeKind.CUSTOM, item, name_en=ANY_THEME[0], name_cy=ANY_THEME[1])


def _derived(prefix: str, theme_id: int | None) -> list[Variable]:
    variables = []
    for name, kind, measure in (
        ("activities_total", INTEGER, SCALE),
        ("activities_answered", INTEGER, SCALE),
        ("activities_yes", INTEGER, SCALE),
        ("individual_index", FLOAT, SCALE),
        ("collective_any", CODED, NOMINAL),
        ("gives_time", CODED, NOMINAL),
    ):
        english, welsh = RECORDED[name]
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
                measure=measure,
                asked_with=ASKED_WITH.get(name, ""),
            )
        )
    return variables


def activity_variable(
    name: str,
    label: tuple[str, str],
    *,
    source: str,
    theme_id: int | None = None,
    position: int = 0,
) -> Variable:
    """Return the yes/no answer to one activity of a theme."""
    return Variable(
        name=name,
        label_en=label[0],
        label_cy=label[1] or label[0],
        kind=CODED,
        codes=YES_NO,
        theme_id=theme_id,
        source=source,
        measure=NOMINAL,
        position=position,
    )


def tidy_variables(scope: Scope) -> list[Variable]:
    """Return the columns of the tidy file: one row per response × theme."""
    theme_codes = tuple((t.id, t.name_en, t.name_cy or t.name_en) for t in scope.themes)
    variables = [
        *response_variables(scope),
        _recorded("theme", CODED, NOMINAL, codes=theme_codes),
    ]
    variables += [
        _field_variable(model_field, model_field.name, label=item_label(scope, model_field.name))
        for model_field in theme_item_fields()
    ]
    only_theme = scope.themes[0] if len(scope.themes) == 1 else None
    for position in range(1, scope.max_activities + 1):
        if only_theme is not None:
            _id, english, welsh = only_theme.activities[position - 1]
            label = (english, welsh)
        else:
            label = (
                f"Activity {position} of the theme (wording by theme in the codebook)",
                f"Gweithgaredd {position} y thema (geiriad fesul thema yn y llyfr codau)",
            )
        variables.append(
            activity_variable(f"act{position}", label, source=f"act{position}", position=position)
        )
    return variables + _derived("", None)


def wide_variables(scope: Scope) -> list[Variable]:
    """Return the columns of the wide file: one row per response, theme items prefixed."""
    variables = response_variables(scope)
    for theme in scope.themes:
        prefix = f"t{theme.id}_"
        for model_field in theme_item_fields():
            label = item_label(scope, model_field.name, theme=theme)
            variables.append(
                _field_variable(
                    model_field, prefix + model_field.name, label=label, theme_id=theme.id
                )
            )
        for activity_id, english, welsh in theme.activities:
            variables.append(
                activity_variable(
                    f"{prefix}a{activity_id}",
                    (english, welsh),
                    source=f"a{activity_id}",
                    theme_id=theme.id,
                )
            )
        variables += _derived(prefix, theme.id)
    return variables


def unasked_columns(scope: Scope, variables: list[Variable]) -> dict[tuple[int, int], tuple]:
    """Return, for each wave and theme, the tidy columns its members were not asked.

    A wave may leave out the time questions or the manipulation check, and a theme with
    fewer activities than another has no answer in the last `act` columns.
    """
    themes = {theme.id: theme for theme in scope.themes}
    columns = {}
    for theme_id, wave_ids in scope.wave_themes.items():
        activities = len(themes[theme_id].activities)
        for wave_id in wave_ids:
            left_out = scope.unasked.get(wave_id, frozenset())
            columns[(wave_id, theme_id)] = tuple(
                i
                for i, variable in enumerate(variables)
                if variable.asked_with in left_out or variable.position > activities
            )
    return columns
