"""The Stata and SPSS exports as a statistician opens them, read back with pyreadstat.

Each variable's measure level, the answers missing for a known reason (don't know, prefer
not to say, not asked), and the wording each wave asked, in English and in Welsh.
"""

import re

import pyreadstat
import pytest
from django.utils import timezone, translation

from experiments.models import (
    ActivityAnswer,
    Assignment,
    Nation,
    Response,
    ThemeAnswer,
    ThemeKind,
    WaveStatus,
)
from experiments.questionnaires import DEFAULT_WORDING
from experiments.variables import WELSH_VOWELS
from exports import writers
from exports.codebook import codebook_rows
from exports.models import ExportFormat
from exports.scope import load_scope
from tests.analysis.test_exports import export_bytes
from tests.analysis.test_labelled_files import stata_notes
from tests.factories import (
    ActivityFactory,
    CouncilFactory,
    ItemWordingFactory,
    PanelMemberFactory,
    ThemeFactory,
    WaveFactory,
    WaveThemeFactory,
)

READERS = {ExportFormat.SPSS: pyreadstat.read_sav, ExportFormat.STATA: pyreadstat.read_dta}

# The level of measurement of every column of the tidy file, from its definition.
MEASURES = {
    "pseudonym": "nominal",
    "council": "nominal",
    "wave": "nominal",
    "arm": "nominal",
    "status": "nominal",
    "mode": "nominal",
    "language": "nominal",
    "started_at": "scale",
    "submitted_at": "scale",
    "birth_year": "scale",
    "age_band": "ordinal",
    "gender": "nominal",
    "ethnic_group": "nominal",
    "qualification": "nominal",
    "ward": "nominal",
    "theme": "nominal",
    "collective": "ordinal",
    "time_now": "ordinal",
    "time_more": "ordinal",
    "conditions": "ordinal",
    "satisfaction_information": "ordinal",
    "satisfaction_consultation": "ordinal",
    "satisfaction_response": "ordinal",
    "efficacy": "ordinal",
    "recalled_nudge": "nominal",
    "act1": "nominal",
    "act2": "nominal",
    "act3": "nominal",
    "activities_total": "scale",
    "activities_answered": "scale",
    "activities_yes": "scale",
    "individual_index": "scale",
    "collective_any": "nominal",
    "gives_time": "nominal",
}
# The codes each column declares missing: 9 "Don't know", the question's own code of
# "Prefer not to say", -1 "Not asked".
DECLARED = {
    "age_band": [8],
    "gender": [4],
    "ethnic_group": [6],
    "qualification": [7],
    "time_now": [-1],
    "time_more": [-1],
    "satisfaction_information": [9],
    "satisfaction_consultation": [9],
    "satisfaction_response": [9],
    "efficacy": [9],
    "recalled_nudge": [-1],
    "act1": [-1],
    "act2": [-1],
    "act3": [-1],
    "gives_time": [-1],
}


def closed_wave(themes, *, nation=Nation.ENGLAND, time_questions="now", wordings=()):
    """Return a closed wave of the themes ((kind, English, Welsh, activities), …), answered
    by two members on every theme.

    The first member says "Don't know" to efficacy and prefers not to say their gender;
    the second says "Don't know" to the information question, leaves the time given now
    and the first activity unanswered.
    """
    council = CouncilFactory(nation=nation)
    wave = WaveFactory(
        council=council,
        status=WaveStatus.DRAFT,
        time_questions=time_questions,
        manipulation_check=False,
    )
    made = []
    for kind, english, welsh, count in themes:
        theme = ThemeFactory(council=council, kind=kind, name_en=english, name_cy=welsh)
        WaveThemeFactory(wave=wave, theme=theme)
        made.append((theme, [ActivityFactory(theme=theme) for _ in range(count)]))
    for item, text_en, text_cy in wordings:
        ItemWordingFactory(wave=wave, theme=made[0][0], item=item, text_en=text_en, text_cy=text_cy)
    for i in range(2):
        member = PanelMemberFactory(council=council)
        Assignment.objects.create(wave=wave, member=member, arm="a", scheme="simple")
        response = Response.objects.create(
            wave=wave,
            member=member,
            status="complete",
            submitted_at=timezone.now(),
            birth_year=1970,
            age_band="not_said" if i == 0 else "45-54",
            gender="not_said" if i == 0 else "woman",
            ethnic_group="white",
            qualification="level_3",
            ward="Bangor",
        )
        for theme, activities in made:
            answer = ThemeAnswer.objects.create(
                response=response,
                theme=theme,
                collective=2,
                time_now=3 if i == 0 else None,
                efficacy=9 if i == 0 else 2,
                satisfaction_information=2 if i == 0 else 9,
            )
            for j, activity in enumerate(activities):
                done = None if (i == 1 and j == 0) else True
                ActivityAnswer.objects.create(theme_answer=answer, activity=activity, done=done)
    wave.status = WaveStatus.CLOSED
    wave.closed_at = timezone.now()
    wave.save()
    return wave


ENVIRONMENT = (ThemeKind.ENVIRONMENT, "Local environment", "Yr amgylchedd lleol", 3)
HEALTH = (ThemeKind.HEALTH, "Health", "Iechyd", 2)


def read(tmp_path, wave, format, *, labels="en", user_missing=True):
    path = tmp_path / f"data-{labels}.{writers.EXTENSIONS[format]}"
    path.write_bytes(export_bytes([wave.pk], format, labels=labels))
    return READERS[format](str(path), user_missing=user_missing)


def asked(kind, item, language):
    with translation.override(language):
        return str(DEFAULT_WORDING[kind][item])


# --- Measure levels ---------------------------------------------------------------------


def test_spss_file_gives_every_variable_the_measure_level_of_its_definition(db, tmp_path):
    wave = closed_wave([ENVIRONMENT, HEALTH])

    _frame, meta = read(tmp_path, wave, ExportFormat.SPSS)

    assert meta.variable_measure == MEASURES


# --- Missing values ---------------------------------------------------------------------


def test_spss_declares_dont_know_prefer_not_to_say_and_not_asked_missing(db, tmp_path):
    # Given a wave that asked the time given now only, over themes of three and two activities
    wave = closed_wave([ENVIRONMENT, HEALTH])

    # When its SPSS file is read keeping the declared missing values, and read plainly
    kept, meta = read(tmp_path, wave, ExportFormat.SPSS)
    plain, _meta = read(tmp_path, wave, ExportFormat.SPSS, user_missing=False)

    # Then each reason's code is declared missing for exactly the questions that have it
    declared = {
        name: sorted(span["lo"] for span in spans) for name, spans in meta.missing_ranges.items()
    }
    assert declared == DECLARED
    # Rows: member 1 on environment and health, then member 2 on both.
    assert list(kept["efficacy"]) == [9, 9, 2, 2]
    assert list(kept["gender"]) == [4, 4, 1, 1]
    assert list(kept["satisfaction_information"]) == [2, 2, 9, 9]
    # A question the wave did not ask holds -1; one asked and left unanswered stays blank.
    assert list(kept["time_more"]) == [-1] * 4
    assert list(kept["recalled_nudge"]) == [-1] * 4
    assert list(kept["time_now"].fillna(0)) == [3, 3, 0, 0]
    assert list(kept["gives_time"].fillna(0)) == [1, 1, 0, 0]
    # Health has no third activity; member 2 left the first activity unanswered.
    assert list(kept["act3"]) == [1, -1, 1, -1]
    assert list(kept["act1"].fillna(0)) == [1, 1, 0, 0]
    assert meta.variable_value_labels["efficacy"][9] == "Don't know"
    assert meta.variable_value_labels["gender"][4] == "Prefer not to say"
    assert meta.variable_value_labels["time_more"][-1] == "Not asked"
    # Read plainly, every declared code is missing, as SPSS itself treats them.
    assert list(plain["efficacy"].isna()) == [True, True, False, False]
    assert list(plain["gender"].isna()) == [True, True, False, False]
    assert plain["time_more"].isna().all()
    assert list(plain["act3"].isna()) == [False, True, False, True]


def test_stata_holds_each_reason_as_a_labelled_extended_missing_value(db, tmp_path):
    wave = closed_wave([ENVIRONMENT, HEALTH])

    kept, meta = read(tmp_path, wave, ExportFormat.STATA)
    plain, _meta = read(tmp_path, wave, ExportFormat.STATA, user_missing=False)

    assert list(kept["efficacy"]) == ["a", "a", 2, 2]
    assert list(kept["satisfaction_information"]) == [2, 2, "a", "a"]
    assert list(kept["gender"]) == ["b", "b", 1, 1]
    assert list(kept["age_band"]) == ["b", "b", 4, 4]
    assert list(kept["time_more"]) == ["c"] * 4
    assert list(kept["act3"]) == [1, "c", 1, "c"]
    assert list(kept["time_now"].fillna(0)) == [3, 3, 0, 0]
    values = meta.variable_value_labels
    assert values["efficacy"] == {
        1: "Strongly agree",
        2: "Agree",
        3: "Neither agree nor disagree",
        4: "Disagree",
        5: "Strongly disagree",
        "a": "Don't know",
    }
    assert values["gender"] == {1: "Woman", 2: "Man", 3: "In another way", "b": "Prefer not to say"}
    assert values["time_more"] == {
        1: "None",
        2: "A few hours a year",
        3: "A few hours a month",
        4: "A few hours a week or more",
        "c": "Not asked",
    }
    assert values["act3"] == {0: "No", 1: "Yes", "c": "Not asked"}
    assert meta.missing_user_values["efficacy"] == ["a"]
    assert plain["efficacy"].isna().tolist() == [True, True, False, False]


@pytest.mark.parametrize("format", [ExportFormat.STATA, ExportFormat.SPSS])
def test_the_reasons_are_labelled_in_welsh_in_the_welsh_files(db, tmp_path, format):
    wave = closed_wave([ENVIRONMENT, HEALTH])

    _frame, meta = read(tmp_path, wave, format, labels="cy")

    values = meta.variable_value_labels
    dont_know, not_asked = ("a", "c") if format == ExportFormat.STATA else (9, -1)
    assert values["efficacy"][dont_know] == "Ddim yn gwybod"
    assert values["time_more"][not_asked] == "Heb ei ofyn"
    assert values["gender"]["b" if format == ExportFormat.STATA else 4] == (
        "Mae'n well gen i beidio â dweud"
    )


# --- The wording asked ------------------------------------------------------------------


@pytest.mark.parametrize("format", [ExportFormat.STATA, ExportFormat.SPSS])
@pytest.mark.parametrize("language", ["en", "cy"])
def test_variable_labels_are_the_wording_the_wave_asked(db, tmp_path, format, language):
    # Given a one-theme wave whose council reworded the efficacy question
    wave = closed_wave(
        [ENVIRONMENT],
        wordings=[
            ("efficacy", "Can people round here change things?", "All pobl yma newid pethau?")
        ],
    )

    _frame, meta = read(tmp_path, wave, format, labels=language)

    labels = meta.column_names_to_labels
    collective = asked(ThemeKind.ENVIRONMENT, "collective", language)
    if format == ExportFormat.SPSS:
        assert labels["collective"] == collective
    else:
        # Stata shows 80 characters of a label: the question is cut after a whole word.
        shown = labels["collective"]
        assert len(collective) > 80 >= len(shown)
        assert shown.endswith("…")
        assert collective.startswith(shown[:-1])
        assert collective[len(shown) - 1] == " "
        # The whole question is the variable's note in Stata.
        notes = stata_notes((tmp_path / f"data-{language}.dta").read_bytes())
        assert notes["collective"] == collective
    assert labels["conditions"] == asked(ThemeKind.ENVIRONMENT, "conditions", language)
    assert labels["efficacy"] == (
        "Can people round here change things?" if language == "en" else "All pobl yma newid pethau?"
    )
    assert labels["gender"] == (
        "How would you describe your gender?"
        if language == "en"
        else "Sut fyddech chi'n disgrifio eich rhywedd?"
    )
    first = wave.themes.get().activities.first()
    assert labels["act1"] == (first.text_en if language == "en" else first.text_cy)


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_column_of_several_themes_names_the_theme_in_the_questions_wording(
    db, tmp_path, language
):
    wave = closed_wave([ENVIRONMENT, HEALTH])

    _frame, meta = read(tmp_path, wave, ExportFormat.SPSS, labels=language)

    labels = meta.column_names_to_labels
    assert (
        labels["collective"]
        == {
            "en": "How often do you work with other people in groups to improve the theme?",
            "cy": "Pa mor aml ydych chi'n gweithio gyda phobl eraill mewn grwpiau i wella'r thema?",
        }[language]
    )
    assert (
        labels["conditions"]
        == {
            "en": "How would you rate the theme at the moment?",
            "cy": "Sut fyddech chi'n graddio'r thema ar hyn o bryd?",
        }[language]
    )


def test_a_welsh_councils_file_labels_ethnic_groups_as_the_census_in_wales_asked(db, tmp_path):
    wave = closed_wave([ENVIRONMENT], nation=Nation.WALES)

    _frame, meta = read(tmp_path, wave, ExportFormat.SPSS)

    assert meta.variable_value_labels["ethnic_group"][1] == "Asian, Asian Welsh or Asian British"


def test_a_question_a_wave_left_out_is_not_asked_in_that_wave_only(db, tmp_path):
    # Given two waves pooled: one asked both time questions, the other the time given now
    both = closed_wave([ENVIRONMENT], time_questions="both")
    now_only = closed_wave([HEALTH], time_questions="now")

    path = tmp_path / "pooled.sav"
    path.write_bytes(export_bytes([both.pk, now_only.pk], ExportFormat.SPSS))
    frame, _meta = pyreadstat.read_sav(str(path), user_missing=True)

    # Then only the second wave's rows hold "Not asked" for the time willing to give more
    by_wave = frame.groupby("wave")["time_more"].apply(list).to_dict()
    assert by_wave[now_only.pk] == [-1, -1]
    assert -1 not in by_wave[both.pk]
    # The first wave's theme has three activities, the second's two: act3 follows the theme.
    assert list(frame.loc[frame["wave"] == now_only.pk, "act3"]) == [-1, -1]


# --- Welsh that reads right -------------------------------------------------------------

# Every word that follows "i" in the platform's Welsh labels, each in the soft mutation it
# calls for, with its radical form: after the preposition ("i wella"), and after the
# pronoun ("gen i beidio", "Dw i ddim").
AFTER_I = {
    "wella": "gwella",
    "bryderon": "pryderon",
    "ba": "pa",
    "beidio": "peidio",
    "ddim": "dim",
}
# Radical forms that must never follow "i": they take the soft mutation.
UNMUTATED_AFTER_I = {"gwella", "pryderon", "pa", "gwneud", "trigolion", "pobl", "thema"}
WELSH_THEMES = [
    (ThemeKind.ENVIRONMENT, "Local environment", "Yr amgylchedd lleol", 3),
    (ThemeKind.COMMUNITY_SAFETY, "Community safety", "Diogelwch cymunedol", 1),
    (ThemeKind.SOCIAL_WELLBEING, "Social well-being", "Llesiant", 1),
    (ThemeKind.HEALTH, "Health", "Iechyd", 2),
    (ThemeKind.CUSTOM, "The Welsh language", "Y Gymraeg", 1),
    (ThemeKind.CUSTOM, "Open spaces", "Yr awyr agored", 1),
]


def welsh_texts(tmp_path, wave) -> list[str]:
    """Return every Welsh label of the Welsh Stata and SPSS files and of the codebook."""
    texts = []
    for format in (ExportFormat.STATA, ExportFormat.SPSS):
        _frame, meta = read(tmp_path, wave, format, labels="cy")
        texts += meta.column_labels
        texts += [
            str(label)
            for labels in meta.variable_value_labels.values()
            for label in labels.values()
        ]
    for row in codebook_rows(load_scope([wave.pk])):
        texts += [row["question_cy"], row["codes_cy"], row["missing_cy"]]
    return [text for text in texts if text]


def test_welsh_labels_use_the_article_and_the_soft_mutation_after_i(db, tmp_path):
    wave = closed_wave(WELSH_THEMES, nation=Nation.WALES, time_questions="both")

    texts = welsh_texts(tmp_path, wave)

    assert texts
    joined = "\n".join(texts)
    # The article after "i" is 'r: "i'r thema", never "i y thema" or "i yr ardal".
    assert not re.findall(r"(?i)\bi yr? ", joined)
    # After a word ending in a vowel the article is 'r: "i wella'r thema", "graddio'r".
    vowel_then_article = re.findall(rf"(?i)\b\w*[{WELSH_VOWELS}] yr? \w+", joined)
    assert vowel_then_article == []
    assert "i wella'r thema" in joined
    assert "i wella'r gymraeg" in joined
    assert "graddio'r awyr agored" in joined
    # Every word after "i" has the soft mutation (or is a number, as in "16 i 24").
    after_i = {word.lower() for word in re.findall(r"(?i)\bi (\w+)", joined)}
    words = {word for word in after_i if not word.isdigit()}
    assert not words & UNMUTATED_AFTER_I
    assert words <= set(AFTER_I), f"check the mutation after “i”: {sorted(words - set(AFTER_I))}"
