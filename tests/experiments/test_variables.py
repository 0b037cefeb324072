"""The variables of the research data: measure levels, missing codes and Welsh wording."""

import pytest
from django.db import models

from experiments.models import ThemeKind
from experiments.variables import (
    DONT_KNOW,
    NOT_ASKED,
    NOT_ASKED_CODE,
    PREFER_NOT_TO_SAY,
    Scope,
    ThemeInfo,
    asked_wording,
    fill_theme,
    measure_of,
    theme_item_fields,
    tidy_variables,
    unasked_columns,
    wide_variables,
)

THEMES = (
    ThemeInfo(1, 1, "Parks", "Parciau", ((11, "Plant", "Plannu"), (12, "Pick", "Codi")), "custom"),
    ThemeInfo(2, 1, "Health", "Iechyd", ((21, "Walk", "Cerdded"),), ThemeKind.HEALTH),
)
SCOPE = Scope(
    councils=((1, "Powys"),),
    waves=((5, "Spring", 1), (6, "Autumn", 1)),
    themes=THEMES,
    wave_themes={1: (5, 6), 2: (5,)},
    unasked={5: frozenset(), 6: frozenset({"time_more", "recalled_nudge"})},
)


@pytest.mark.parametrize(
    ("template", "phrase", "welsh", "expected"),
    [
        ("i wella %(theme)s?", "y thema", True, "i wella'r thema?"),
        ("i wella %(theme)s?", "yr amgylchedd lleol", True, "i wella'r amgylchedd lleol?"),
        ("graddio %(theme)s ar hyn o bryd", "y parc", True, "graddio'r parc ar hyn o bryd"),
        ("yn ymateb i %(theme)s", "yr ardal", True, "yn ymateb i'r ardal"),
        ("ynghylch %(theme)s?", "y thema", True, "ynghylch y thema?"),
        ("o ran %(theme)s?", "yr iaith", True, "o ran yr iaith?"),
        ("i wella %(theme)s?", "llesiant pobl", True, "i wella llesiant pobl?"),
        ("i wella %(theme)s?", "ysgolion", True, "i wella ysgolion?"),
        ("to improve %(theme)s?", "y theme", False, "to improve y theme?"),
        ("No theme here", "y thema", True, "No theme here"),
    ],
)
def test_the_theme_joins_the_welsh_question_with_the_article_the_grammar_wants(
    template, phrase, welsh, expected
):
    assert fill_theme(template, phrase, welsh=welsh) == expected


def test_a_councils_own_theme_is_asked_about_in_grammatical_welsh():
    english, welsh = asked_wording(
        ThemeKind.CUSTOM, "collective", name_en="The Welsh language", name_cy="Y Gymraeg"
    )

    assert (
        english
        == "How often do you work with other people in groups to improve the welsh language?"
    )
    assert (
        welsh == "Pa mor aml ydych chi'n gweithio gyda phobl eraill mewn grwpiau i wella'r gymraeg?"
    )


def test_every_variable_has_a_level_of_measurement():
    for variable in [*tidy_variables(SCOPE), *wide_variables(SCOPE)]:
        assert variable.measure in ("nominal", "ordinal", "scale"), variable.name


def test_a_new_kind_of_answer_must_be_given_its_level_of_measurement():
    field = models.PositiveSmallIntegerField(choices=[(1, "Red"), (2, "Green")])
    field.name = "colour"

    with pytest.raises(ValueError, match="colour"):
        measure_of(field)


def test_code_9_is_dont_know_wherever_a_question_offers_it():
    for variable in tidy_variables(SCOPE):
        labels = variable.value_labels("en")
        if 9 in labels and variable.text_codes is None:
            assert labels[9] == "Don't know", variable.name
            assert (9, DONT_KNOW) in variable.missing


def test_prefer_not_to_say_keeps_each_questions_own_code():
    variables = {variable.name: variable for variable in tidy_variables(SCOPE)}

    for name, code in (("age_band", 8), ("gender", 4), ("ethnic_group", 6), ("qualification", 7)):
        assert variables[name].missing == ((code, PREFER_NOT_TO_SAY),)
        assert variables[name].value_labels("en")[code] == "Prefer not to say"


def test_no_variable_declares_more_missing_codes_than_spss_takes():
    for variable in [*tidy_variables(SCOPE), *wide_variables(SCOPE)]:
        assert len(variable.declared_missing()) <= 3, variable.name


def test_only_questions_a_wave_or_theme_may_leave_out_can_be_not_asked():
    variables = {variable.name: variable for variable in tidy_variables(SCOPE)}

    unaskable = {name for name, variable in variables.items() if variable.may_be_unasked}

    assert unaskable == {"time_now", "time_more", "recalled_nudge", "act1", "act2", "gives_time"}
    assert variables["time_more"].declared_missing() == ((NOT_ASKED_CODE, NOT_ASKED),)
    assert variables["time_more"].labelled_codes("cy")[NOT_ASKED_CODE] == "Heb ei ofyn"
    assert NOT_ASKED_CODE not in variables["time_more"].value_labels("en")


def test_the_columns_not_asked_follow_each_waves_questions_and_each_themes_activities():
    variables = tidy_variables(SCOPE)
    names = [variable.name for variable in variables]

    unasked = {
        key: [names[i] for i in columns]
        for key, columns in unasked_columns(SCOPE, variables).items()
    }

    assert unasked == {
        (5, 1): [],
        (6, 1): ["time_more", "recalled_nudge"],
        (5, 2): ["act2"],
    }


def test_the_tidy_file_names_no_theme_in_a_question_several_themes_share():
    variables = {variable.name: variable for variable in tidy_variables(SCOPE)}

    assert variables["collective"].label_cy == (
        "Pa mor aml ydych chi'n gweithio gyda phobl eraill mewn grwpiau i wella'r thema?"
    )


def test_theme_items_are_the_coded_questions_of_a_theme_page():
    assert [field.name for field in theme_item_fields()] == [
        "collective",
        "time_now",
        "time_more",
        "conditions",
        "satisfaction_information",
        "satisfaction_consultation",
        "satisfaction_response",
        "efficacy",
        "recalled_nudge",
    ]
