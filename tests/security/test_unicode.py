"""One spelling per text: NFC and NFD "Llŷr" are one member, one theme, one ward.

Every text typed in a form (console and questionnaire), sent to the API or read from an
import is NFC and free of invisible and bidi-control characters (`surveyplatform.text`).
"""

import importlib
import inspect
import unicodedata

import pytest
from django import forms
from rest_framework.test import APIClient

from accounts.tokens import issue_token
from experiments.forms import AboutYouForm
from experiments.models import CouncilRole, Theme
from panel.imports import check_panel_file, import_panel_file
from panel.models import PanelMember
from surveyplatform.text import NormalisedFormMixin, clean_text
from tests.factories import CouncilMembershipFactory, ThemeFactory

LLYR = "Llŷr"  # NFC: ŷ is U+0177
LLYR_NFD = unicodedata.normalize("NFD", LLYR)  # y followed by U+0302
HEADER = "external_id,email,name,preferred_language,ward,age_band,gender,household_key\n"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --- The rule -------------------------------------------------------------------------------


def test_the_two_spellings_differ_until_cleaned():
    assert LLYR != LLYR_NFD
    assert clean_text(LLYR_NFD) == clean_text(LLYR) == LLYR


@pytest.mark.parametrize(
    "welsh",
    [
        "Llŷr ap Gwŷn",
        "Gwenllïan Siân",
        "Dŵr Cymru",
        "Tŷ-du",
        "Ynys Môn",
        "Pen-y-bont ar Ogwr",
        "Cwm Rhondda’r",
        "ẁ ẃ ẅ ỳ ý ÿ â ê î ô û ŵ ŷ ä ë ï ö ü à á è é",
        "Llesiant cymdeithasol",
    ],
)
def test_welsh_text_keeps_every_letter_and_is_the_same_from_either_spelling(welsh):
    assert clean_text(welsh) == welsh
    assert clean_text(nfd(welsh)) == welsh


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ll\u200bŷr", LLYR),  # zero-width space
        ("\ufeffLlŷr", LLYR),  # byte order mark pasted from a file
        ("Ll\u00adŷr", LLYR),  # soft hyphen
        ("Ll\u200dŷr", LLYR),  # zero-width joiner between Latin letters
        ("Ll\u200cŷr", LLYR),  # zero-width non-joiner between Latin letters
        ("\u2066Llŷr\u2069", LLYR),  # isolate controls
        ("Llŷr\u202e.exe", "Llŷr.exe"),  # right-to-left override
        ("Llŷr\u200e", LLYR),  # left-to-right mark
        ("Llŷr\U000e0041\U000e0042", LLYR),  # tag characters outside a flag: hidden text
    ],
)
def test_invisible_and_bidi_control_characters_are_removed(typed, stored):
    assert clean_text(typed) == stored


@pytest.mark.parametrize(
    "meaningful",
    [
        "👩\u200d👩\u200d👧",  # a family: emoji joined by ZWJ
        "🏳\ufe0f\u200d🌈",  # rainbow flag: variation selector and ZWJ
        "🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",  # flag of Wales
        "می\u200cخواهم",  # Persian: the non-joiner separates two letters
        "क्\u200dष",  # Devanagari: the joiner asks for a half form
        "Ffion\nWyn\tJones",  # line breaks and tabs are each field's own rule
    ],
)
def test_joiners_tags_and_selectors_that_change_what_is_drawn_are_kept(meaningful):
    assert clean_text(meaningful) == meaningful


# --- Forms ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_theme_typed_in_nfd_is_the_theme_already_stored_in_nfc(client):
    # given a council with the theme "Llŷr" (NFC)
    membership = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    ThemeFactory(council=membership.council, name_en=LLYR)
    client.force_login(membership.user)

    # when the admin creates a theme of the same name typed in NFD, with a zero-width space
    response = client.post(
        "/console/themes/new/",
        {
            "council": membership.council.pk,
            "kind": "environment",
            "name_en": "\u200b" + LLYR_NFD,
            "name_cy": "",
            "activities-TOTAL_FORMS": "0",
            "activities-INITIAL_FORMS": "0",
        },
    )

    # then it is refused as a duplicate, and the council still has one theme
    assert response.status_code == 400
    assert "Theme with this Council and Name (English) already exists." in response.content.decode()
    assert list(Theme.objects.values_list("name_en", flat=True)) == [LLYR]


def test_a_ward_chosen_in_nfd_is_the_ward_of_the_panel_record():
    # given a panel whose wards are stored in NFC
    form = AboutYouForm(
        {
            "birth_year": "1980",
            "gender": "woman",
            "ethnic_group": "white_welsh_english",
            "qualification": "level_4",
            "ward": nfd("Tŷ-du"),
        },
        in_wales=True,
        wards=["Tŷ-du", "Pen-y-lan"],
    )
    form.fields["ethnic_group"].choices = [("white_welsh_english", "White")]

    # then a browser that sends the ward in NFD is understood
    assert form.is_valid(), form.errors
    assert form.cleaned_data["ward"] == "Tŷ-du"


def _project_form_classes():
    modules = [
        "console.forms",
        "experiments.forms",
        "console.views.exports",
        "console.views.results",
    ]
    for name in modules:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name:
                yield cls


def test_every_form_that_takes_text_cleans_it():
    # Every form of the console's and the questionnaire's form modules, and any other form
    # with a text field, cleans what is submitted.
    takes_text = [
        cls
        for cls in _project_form_classes()
        if cls.__module__ in ("console.forms", "experiments.forms")
        or any(isinstance(field, forms.CharField) for field in cls.base_fields.values())
    ]
    assert len(takes_text) > 10
    assert [cls.__name__ for cls in takes_text if not issubclass(cls, NormalisedFormMixin)] == []


# --- API ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_theme_sent_to_the_api_in_nfd_is_the_theme_already_stored():
    membership = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    ThemeFactory(council=membership.council, name_en=LLYR, kind="health")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(membership.user).key}")

    duplicate = api.post(
        "/api/v1/themes/", {"kind": "health", "name_en": LLYR_NFD + "\u200b"}, format="json"
    )
    other = api.post(
        "/api/v1/themes/",
        {"kind": "health", "name_en": "Iechyd " + nfd("Gwŷr"), "name_cy": "\u202e" + nfd("Dŵr")},
        format="json",
    )

    assert duplicate.status_code == 400
    assert duplicate.json()["error"]["fields"]["name_en"] == [
        "The council already has a theme of this name."
    ]
    assert other.status_code == 201
    assert Theme.objects.get(pk=other.json()["id"]).name_en == "Iechyd Gwŷr"
    assert Theme.objects.get(pk=other.json()["id"]).name_cy == "Dŵr"


# --- Imports --------------------------------------------------------------------------------


def test_one_member_in_two_spellings_in_one_file_is_a_duplicate():
    content = (
        HEADER
        + f"{LLYR},a@example.org,{LLYR},cy,Tŷ-du,,,\n"
        + f"{LLYR_NFD},b@example.org,{LLYR_NFD},cy,{nfd('Tŷ-du')},,,\n"
    ).encode()

    report = check_panel_file(content, filename="panel.csv")

    assert [(p.row, p.column, p.message) for p in report.problems] == [
        (3, "external_id", f"The external id “{LLYR}” is already used on row 2.")
    ]


@pytest.mark.django_db
def test_importing_a_member_again_in_the_other_spelling_updates_the_same_member():
    council = CouncilMembershipFactory().council

    import_panel_file(
        council,
        content=(
            HEADER + f"{LLYR_NFD},a@example.org,\u200b{LLYR_NFD},cy,{nfd('Tŷ-du')},,,\n"
        ).encode(),
        filename="panel.csv",
    )
    result = import_panel_file(
        council,
        content=(HEADER + f"{LLYR},a@example.org,{LLYR},cy,Pen-y-lan,,,\n").encode(),
        filename="panel.csv",
    )

    assert (result.created, result.updated) == (0, 1)
    member = PanelMember.objects.get(council=council)
    assert (member.external_id, member.ward, member.contact.name) == (LLYR, "Pen-y-lan", LLYR)
