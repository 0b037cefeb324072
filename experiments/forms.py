"""The forms of the respondent's pages: consent, one theme page, and about you.

Every item is required; "don't know" and "prefer not to say" are answers in their own right.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from experiments.models import (
    ETHNIC_GROUP_LABELS_WALES,
    AgeBand,
    Agreement,
    Condition,
    EthnicGroup,
    Frequency,
    Gender,
    Item,
    Qualification,
    RecalledNudge,
    Satisfaction,
    ThemeAnswer,
    TimeGiven,
)
from experiments.questionnaires import ThemePage
from experiments.responses import AboutYou, ThemeAnswers
from surveyplatform.bots import HoneypotMixin
from surveyplatform.text import NormalisedFormMixin

# Welsh answers "yes" and "no" with the verb of the question, so the labels depend on it.
YES_NO_PAST = [
    ("yes", pgettext_lazy("answer to a past-tense question (did you…?)", "Yes")),
    ("no", pgettext_lazy("answer to a past-tense question (did you…?)", "No")),
]
YES_NO_PRESENT = [
    ("yes", pgettext_lazy("answer to a present-tense question (do you…?)", "Yes")),
    ("no", pgettext_lazy("answer to a present-tense question (do you…?)", "No")),
]
EARLIEST_BIRTH_YEAR = 1900
YOUNGEST_AGE = 16
WARD_NOT_SAID = "not_said"

# The coded items of a theme page: choices and the error shown when one is left unanswered.
CODED_ITEMS = {
    Item.COLLECTIVE: (Frequency, _("Select how often you work with others in groups")),
    Item.TIME_NOW: (TimeGiven, _("Select how much time you give now")),
    Item.TIME_MORE: (TimeGiven, _("Select how much more time you would be willing to give")),
    Item.CONDITIONS: (Condition, _("Select how you would rate it")),
    Item.SATISFACTION_INFORMATION: (
        Satisfaction,
        _("Select how satisfied you are with the council's information"),
    ),
    Item.SATISFACTION_CONSULTATION: (
        Satisfaction,
        _("Select how satisfied you are with how the council consults"),
    ),
    Item.SATISFACTION_RESPONSE: (
        Satisfaction,
        _("Select how satisfied you are with how the council responds"),
    ),
    Item.EFFICACY: (Agreement, _("Select how far you agree or disagree")),
}


def _radio(label, choices, error, **kwargs) -> forms.Field:
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": error, "invalid_choice": error},
        **kwargs,
    )


class ConsentForm(NormalisedFormMixin, HoneypotMixin, forms.Form):
    """Consent on the start page; with `honeypot=True` it also carries the bot trap."""

    def __init__(self, *args, honeypot: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if honeypot:
            self.add_honeypot()

    consent = forms.ChoiceField(
        label=_("Do you agree to take part in this survey?"),
        choices=YES_NO_PRESENT,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select yes if you agree to take part"),
            "invalid_choice": _("Select yes if you agree to take part"),
        },
    )


class ThemePageForm(NormalisedFormMixin, forms.Form):
    """The questions of one theme's page, worded for the wave and the member's language."""

    def __init__(self, *args, page: ThemePage, manipulation_check: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.page = page
        self.manipulation_check = manipulation_check
        for activity in page.activities:
            error = _("Select yes or no for: %(activity)s") % {"activity": activity.text}
            self.fields[f"activity_{activity.id}"] = forms.ChoiceField(
                label=activity.text,
                choices=YES_NO_PAST,
                widget=forms.RadioSelect,
                error_messages={"required": error, "invalid_choice": error},
            )
        for item, (choices, error) in CODED_ITEMS.items():
            if item == Item.TIME_NOW and not page.asks_time_now:
                continue
            if item == Item.TIME_MORE and not page.asks_time_more:
                continue
            self.fields[item.value] = _radio(page.question(item), choices.choices, error)
        if manipulation_check:
            # Asked last, after the attitude items: what the information box said.
            error = _("Select what the information box said, or that you do not remember")
            self.fields["recalled_nudge"] = forms.ChoiceField(
                label=_(
                    "At the top of this page, what did the information box say, if there was one?"
                ),
                choices=RecalledNudge.choices,
                widget=forms.RadioSelect,
                error_messages={"required": error, "invalid_choice": error},
            )

    @classmethod
    def initial_from(cls, theme_answer: ThemeAnswer | None) -> dict:
        """Return the stored answers of the page, so going back shows what was saved."""
        if theme_answer is None:
            return {}
        initial = {
            item.value: getattr(theme_answer, item.value)
            for item in CODED_ITEMS
            if getattr(theme_answer, item.value) is not None
        }
        if theme_answer.recalled_nudge:
            initial["recalled_nudge"] = theme_answer.recalled_nudge
        for answer in theme_answer.activity_answers.all():
            if answer.done is not None:
                initial[f"activity_{answer.activity_id}"] = "yes" if answer.done else "no"
        return initial

    def activity_fields(self):
        return [self[f"activity_{a.id}"] for a in self.page.activities]

    def item_fields(self):
        return [self[name] for name in self.fields if not name.startswith("activity_")]

    def theme_answers(self) -> ThemeAnswers:
        data = self.cleaned_data
        return ThemeAnswers(
            theme_id=self.page.theme_id,
            activities={a.id: data[f"activity_{a.id}"] == "yes" for a in self.page.activities},
            collective=data[Item.COLLECTIVE],
            efficacy=data[Item.EFFICACY],
            time_now=data.get(Item.TIME_NOW),
            time_more=data.get(Item.TIME_MORE),
            conditions=data[Item.CONDITIONS],
            satisfaction_information=data[Item.SATISFACTION_INFORMATION],
            satisfaction_consultation=data[Item.SATISFACTION_CONSULTATION],
            satisfaction_response=data[Item.SATISFACTION_RESPONSE],
            recalled_nudge=data.get("recalled_nudge", ""),
        )


def ethnic_group_choices(*, in_wales: bool) -> list[tuple[str, str]]:
    """Return the 2021 Census groups, in the wording of Wales's census for Welsh councils."""
    if in_wales:
        return [(code.value, ETHNIC_GROUP_LABELS_WALES[code]) for code in EthnicGroup]
    return list(EthnicGroup.choices)


class AboutYouForm(NormalisedFormMixin, forms.Form):
    """Asked once per questionnaire; age is either a year of birth or a band."""

    birth_year = forms.CharField(
        label=_("What is your year of birth?"),
        help_text=_("For example, 1975. Or select an age band below instead."),
        required=False,
        max_length=4,
    )
    age_band = forms.ChoiceField(
        label=_("Or select your age band"),
        choices=AgeBand.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": _("Select an age band from the list")},
    )
    gender = forms.ChoiceField(
        label=_("How would you describe your gender?"),
        choices=Gender.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select how you would describe your gender"),
            "invalid_choice": _("Select how you would describe your gender"),
        },
    )
    ethnic_group = forms.ChoiceField(
        label=_("What is your ethnic group?"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select your ethnic group"),
            "invalid_choice": _("Select your ethnic group"),
        },
    )
    qualification = forms.ChoiceField(
        label=_("What is your highest qualification?"),
        choices=Qualification.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select your highest qualification"),
            "invalid_choice": _("Select your highest qualification"),
        },
    )
    ward = forms.ChoiceField(
        label=_("Which ward do you live in?"),
        help_text=_("A ward is the area that elects your local councillors."),
        error_messages={
            "required": _("Select the ward you live in"),
            "invalid_choice": _("Select the ward you live in"),
        },
    )

    def __init__(self, *args, in_wales: bool, wards: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ethnic_group"].choices = ethnic_group_choices(in_wales=in_wales)
        self.fields["ward"].choices = [
            ("", _("Select your ward")),
            *[(ward, ward) for ward in wards],
            (WARD_NOT_SAID, _("I don't know, or prefer not to say")),
        ]

    def clean_birth_year(self) -> int | None:
        raw = self.cleaned_data["birth_year"].strip()
        if not raw:
            return None
        latest = timezone.now().year - YOUNGEST_AGE
        if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
            raise forms.ValidationError(
                _("Enter your year of birth as 4 digits, for example 1975"), code="invalid"
            )
        year = int(raw)
        if not EARLIEST_BIRTH_YEAR <= year <= latest:
            raise forms.ValidationError(
                _("Enter a year of birth between %(earliest)s and %(latest)s"),
                code="out_of_range",
                params={"earliest": EARLIEST_BIRTH_YEAR, "latest": latest},
            )
        return year

    def clean(self):
        data = super().clean()
        if (
            "birth_year" in data
            and data.get("birth_year") is None
            and not data.get("age_band")
            and "age_band" not in self.errors
        ):
            self.add_error("birth_year", _("Enter your year of birth or select an age band"))
        return data

    def about_you(self) -> AboutYou:
        data = self.cleaned_data
        return AboutYou(
            birth_year=data["birth_year"],
            age_band=data["age_band"] or "",
            gender=data["gender"],
            ethnic_group=data["ethnic_group"],
            qualification=data["qualification"],
            ward=data["ward"],
        )

    @staticmethod
    def initial_from(response) -> dict:
        if response.about_saved_at is None:
            return {}
        return {
            "birth_year": str(response.birth_year) if response.birth_year else "",
            "age_band": response.age_band,
            "gender": response.gender,
            "ethnic_group": response.ethnic_group,
            "qualification": response.qualification,
            "ward": response.ward,
        }
