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

# The coded items of a theme page: their choices, and the error shown when one is left
# unanswered, which names the question and its theme so that it reads on its own in the
# error summary.
CODED_ITEMS = {
    Item.COLLECTIVE: (
        Frequency,
        _("Select how often you work with others in groups to improve %(theme)s"),
    ),
    Item.TIME_NOW: (TimeGiven, _("Select how much time you give now to improving %(theme)s")),
    Item.TIME_MORE: (
        TimeGiven,
        _("Select how much more time you would be willing to give to improving %(theme)s"),
    ),
    Item.CONDITIONS: (Condition, _("Select how you would rate %(theme)s at the moment")),
    Item.SATISFACTION_INFORMATION: (
        Satisfaction,
        _("Select how satisfied you are with the council's information about %(theme)s"),
    ),
    Item.SATISFACTION_CONSULTATION: (
        Satisfaction,
        _("Select how satisfied you are with how the council consults residents about %(theme)s"),
    ),
    Item.SATISFACTION_RESPONSE: (
        Satisfaction,
        _("Select how satisfied you are with how the council responds to concerns about %(theme)s"),
    ),
    Item.EFFICACY: (
        Agreement,
        _(
            "Select how far you agree or disagree that people in this area can make a "
            "difference to %(theme)s"
        ),
    ),
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

    def __init__(
        self,
        *args,
        page: ThemePage,
        manipulation_check: bool = False,
        part: tuple[str, ...] | None = None,
        fields: dict[str, forms.Field] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.page = page
        self.manipulation_check = manipulation_check
        self.part = part
        if fields is not None:
            # The fields of an earlier form of the same page, language and part, shared:
            # nothing here changes a field once built, and building them was most of the
            # CPU of checking a page (`shared_fields`).
            self.fields = dict(fields)
            return
        theme = {"theme": page.topic or page.name.lower()}
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
            self.fields[item.value] = _radio(page.question(item), choices.choices, error % theme)
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
        if part is not None:
            # One screen of a theme asked over several: only its own questions.
            for name in [name for name in self.fields if name not in part]:
                del self.fields[name]

    def activity_fields(self):
        return [
            self[f"activity_{a.id}"]
            for a in self.page.activities
            if f"activity_{a.id}" in self.fields
        ]

    def item_fields(self):
        return [self[name] for name in self.fields if not name.startswith("activity_")]

    def theme_answers(self) -> ThemeAnswers:
        """Return the page's answers; on one part of a theme, only that part's items."""
        data = self.cleaned_data
        return ThemeAnswers(
            theme_id=self.page.theme_id,
            activities={
                a.id: data[f"activity_{a.id}"] == "yes"
                for a in self.page.activities
                if f"activity_{a.id}" in data
            },
            saved=None if self.part is None else tuple(self.fields),
            collective=data.get(Item.COLLECTIVE),
            efficacy=data.get(Item.EFFICACY),
            time_now=data.get(Item.TIME_NOW),
            time_more=data.get(Item.TIME_MORE),
            conditions=data.get(Item.CONDITIONS),
            satisfaction_information=data.get(Item.SATISFACTION_INFORMATION),
            satisfaction_consultation=data.get(Item.SATISFACTION_CONSULTATION),
            satisfaction_response=data.get(Item.SATISFACTION_RESPONSE),
            recalled_nudge=data.get("recalled_nudge", ""),
        )


def age_band_fits(birth_year: int, age_band: str) -> bool:
    """Whether someone born in the year can be in the band now (before or after a birthday)."""
    if age_band == AgeBand.NOT_SAID:
        return True
    low, _dash, high = age_band.rstrip("+").partition("-")
    oldest = timezone.now().year - birth_year
    return any(int(low) <= age <= int(high or 200) for age in (oldest - 1, oldest))


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

    confirm_age = forms.BooleanField(
        label=_("My year of birth and age band are both right"),
        required=False,
    )
    # The confirmation sits under the age band, so its problem is listed in that place.
    field_order = ["birth_year", "age_band", "confirm_age"]

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
        year, band = data.get("birth_year"), data.get("age_band")
        if year and band and not data.get("confirm_age") and not age_band_fits(year, band):
            # Either may be a slip, or both right (a birthday this year, a band chosen for
            # a household): ask, and accept once the member confirms.
            self.add_error(
                "confirm_age",
                forms.ValidationError(
                    _(
                        "Your year of birth, %(year)s, does not match the age band you "
                        "selected. Correct one of them, or confirm that both are right"
                    ),
                    code="age_mismatch",
                    params={"year": year},
                ),
            )
        return data

    @property
    def asks_to_confirm_age(self) -> bool:
        """Whether the page shows the confirmation: after a mismatch, until it is sent."""
        return "confirm_age" in self.errors or bool(self.data.get("confirm_age"))

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


class LeavingForm(NormalisedFormMixin, forms.Form):
    """How a member wants to leave, from the link in any panel e-mail."""

    choice = forms.ChoiceField(
        label=_("What would you like to do?"),
        choices=[
            ("stop_emails", _("Stop e-mails")),
            ("leave", _("Leave the panel")),
            ("leave_and_delete", _("Leave the panel and delete my answers")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select whether to stop e-mails or leave the panel"),
            "invalid_choice": _("Select whether to stop e-mails or leave the panel"),
        },
    )
