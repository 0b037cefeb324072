"""Validation of every item type of the questionnaire's pages."""

import pytest
from django.utils import timezone, translation

from experiments.forms import AboutYouForm, ConsentForm, ThemePageForm
from experiments.questionnaires import ActivityItem, ThemePage

PAGE = ThemePage(
    theme_id=7,
    name="Local environment",
    activities=[ActivityItem(11, "Recycled"), ActivityItem(12, "Picked up litter")],
    wording={
        "activities": "In the last 12 months, did you do any of the following?",
        "collective": "Groups?",
        "time_now": "Time now?",
        "time_more": "Time more?",
        "conditions": "Conditions?",
        "satisfaction_information": "Information?",
        "satisfaction_consultation": "Consultation?",
        "satisfaction_response": "Response?",
        "efficacy": "Difference?",
    },
)
VALID = {
    "activity_11": "yes",
    "activity_12": "no",
    "collective": "2",
    "time_now": "1",
    "time_more": "4",
    "conditions": "5",
    "satisfaction_information": "9",
    "satisfaction_consultation": "1",
    "satisfaction_response": "5",
    "efficacy": "9",
}


def _page_form(data, page=PAGE):
    return ThemePageForm(data, page=page)


def test_a_fully_answered_theme_page_gives_coded_answers():
    form = _page_form(VALID)

    assert form.is_valid(), form.errors
    answers = form.theme_answers()
    assert answers.activities == {11: True, 12: False}
    assert (answers.collective, answers.time_now, answers.time_more) == (2, 1, 4)
    assert (answers.conditions, answers.efficacy) == (5, 9)
    assert (
        answers.satisfaction_information,
        answers.satisfaction_consultation,
        answers.satisfaction_response,
    ) == (9, 1, 5)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("activity_11", "Select yes or no for: Recycled"),
        (
            "collective",
            "Select how often you work with others in groups to improve local environment",
        ),
        ("time_now", "Select how much time you give now to improving local environment"),
        (
            "time_more",
            "Select how much more time you would be willing to give to improving local environment",
        ),
        ("conditions", "Select how you would rate local environment at the moment"),
        (
            "satisfaction_information",
            "Select how satisfied you are with the council's information about local environment",
        ),
        (
            "satisfaction_consultation",
            "Select how satisfied you are with how the council consults residents about local"
            " environment",
        ),
        (
            "satisfaction_response",
            "Select how satisfied you are with how the council responds to concerns about local"
            " environment",
        ),
        (
            "efficacy",
            "Select how far you agree or disagree that people in this area can make a difference"
            " to local environment",
        ),
    ],
)
def test_every_unanswered_item_says_what_to_select(field, message):
    data = {key: value for key, value in VALID.items() if key != field}

    form = _page_form(data)

    assert not form.is_valid()
    assert form.errors == {field: [message]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("activity_11", "maybe"),
        ("collective", "4"),
        ("collective", "9"),
        ("time_now", "5"),
        ("time_more", "0"),
        ("conditions", "9"),
        ("conditions", "6"),
        ("satisfaction_information", "6"),
        ("satisfaction_response", "x"),
        ("efficacy", "7"),
    ],
)
def test_an_impossible_code_is_refused_with_the_items_message(field, value):
    form = _page_form({**VALID, field: value})

    assert not form.is_valid()
    assert list(form.errors) == [field]
    assert form.errors[field][0].startswith("Select")


@pytest.mark.parametrize(
    ("time_now", "time_more", "fields"),
    [
        (True, False, {"time_now"}),
        (False, True, {"time_more"}),
        (True, True, {"time_now", "time_more"}),
    ],
)
def test_the_wave_chooses_which_time_questions_are_asked(time_now, time_more, fields):
    page = ThemePage(**{**PAGE.__dict__, "asks_time_now": time_now, "asks_time_more": time_more})
    data = {key: value for key, value in VALID.items() if key not in {"time_now", "time_more"}}
    data.update({name: "3" for name in fields})

    form = _page_form(data, page=page)

    assert form.is_valid(), form.errors
    assert {"time_now", "time_more"} & set(form.fields) == fields
    answers = form.theme_answers()
    assert answers.time_now == (3 if time_now else None)
    assert answers.time_more == (3 if time_more else None)


@pytest.mark.parametrize(
    ("value", "valid"), [("yes", True), ("no", True), ("", False), ("perhaps", False)]
)
def test_consent_is_yes_or_no(value, valid):
    form = ConsentForm({"consent": value})

    assert form.is_valid() is valid
    if not valid:
        assert form.errors["consent"] == ["Select yes if you agree to take part"]


def test_welsh_yes_and_no_follow_the_tense_of_the_question():
    with translation.override("cy"):
        activity = [str(label) for _, label in _page_form(None).fields["activity_11"].choices]
        consent = [str(label) for _, label in ConsentForm().fields["consent"].choices]

    assert activity == ["Do", "Naddo"]
    assert consent == ["Ydw", "Nac ydw"]


ABOUT = {
    "birth_year": "1980",
    "age_band": "",
    "gender": "man",
    "ethnic_group": "asian",
    "qualification": "level_4",
    "ward": "Riverside",
}


def _about_form(data, *, in_wales=False):
    return AboutYouForm(data, in_wales=in_wales, wards=["Central", "Riverside"])


def test_about_you_with_a_year_of_birth_is_stored_as_codes():
    form = _about_form(ABOUT)

    assert form.is_valid(), form.errors
    about = form.about_you()
    assert (about.birth_year, about.age_band, about.gender) == (1980, "", "man")
    assert (about.ethnic_group, about.qualification, about.ward) == (
        "asian",
        "level_4",
        "Riverside",
    )


def test_an_age_band_may_replace_the_year_of_birth():
    form = _about_form({**ABOUT, "birth_year": "", "age_band": "65-74"})

    assert form.is_valid(), form.errors
    assert (form.about_you().birth_year, form.about_you().age_band) == (None, "65-74")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"birth_year": "", "age_band": ""},
            "birth_year",
            "Enter your year of birth or select an age band",
        ),
        (
            {"birth_year": "80"},
            "birth_year",
            "Enter your year of birth as 4 digits, for example 1975",
        ),
        (
            {"birth_year": "19x0"},
            "birth_year",
            "Enter your year of birth as 4 digits, for example 1975",
        ),
        (
            {"birth_year": "1899"},
            "birth_year",
            f"Enter a year of birth between 1900 and {timezone.now().year - 16}",
        ),
        (
            {"birth_year": str(timezone.now().year - 15)},
            "birth_year",
            f"Enter a year of birth between 1900 and {timezone.now().year - 16}",
        ),
        ({"age_band": "12-15"}, "age_band", "Select an age band from the list"),
        ({"gender": ""}, "gender", "Select how you would describe your gender"),
        ({"gender": "robot"}, "gender", "Select how you would describe your gender"),
        ({"ethnic_group": ""}, "ethnic_group", "Select your ethnic group"),
        ({"ethnic_group": "martian"}, "ethnic_group", "Select your ethnic group"),
        ({"qualification": ""}, "qualification", "Select your highest qualification"),
        ({"qualification": "phd"}, "qualification", "Select your highest qualification"),
        ({"ward": ""}, "ward", "Select the ward you live in"),
        ({"ward": "Atlantis"}, "ward", "Select the ward you live in"),
    ],
)
def test_every_about_you_question_says_what_is_wrong(changes, field, message):
    form = _about_form({**ABOUT, **changes})

    assert not form.is_valid()
    assert form.errors == {field: [message]}


def test_a_ward_may_be_left_unsaid():
    form = _about_form({**ABOUT, "ward": "not_said"})

    assert form.is_valid(), form.errors


def test_a_welsh_council_asks_ethnic_group_in_the_wording_of_the_census_in_wales():
    england = dict(_about_form(None).fields["ethnic_group"].choices)
    wales = dict(_about_form(None, in_wales=True).fields["ethnic_group"].choices)

    assert str(england["asian"]) == "Asian or Asian British"
    assert str(wales["asian"]) == "Asian, Asian Welsh or Asian British"
    assert str(wales["black"]) == "Black, Black Welsh, Black British, Caribbean or African"
    assert list(england) == list(wales)
