"""The forms of the invitation pages: they read what was typed; the domain judges it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from experiments.models import RecipientRule
from surveyplatform.text import NormalisedFormMixin


class RecipientForm(NormalisedFormMixin, forms.Form):
    rule = forms.ChoiceField(
        label=_("Who should get the invitation?"),
        choices=RecipientRule.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose who to invite.")},
    )
    sample_size = forms.IntegerField(
        label=_("How many members to draw"),
        required=False,
        min_value=1,
        error_messages={
            "invalid": _("Enter how many members to draw, a whole number of 1 or more."),
            "min_value": _("Enter how many members to draw, a whole number of 1 or more."),
        },
    )
    wards = forms.MultipleChoiceField(
        label=_("Wards"), required=False, widget=forms.CheckboxSelectMultiple
    )
    age_bands = forms.MultipleChoiceField(
        label=_("Age bands"), required=False, widget=forms.CheckboxSelectMultiple
    )
    genders = forms.MultipleChoiceField(
        label=_("Genders"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = groups
        for name in ("wards", "age_bands", "genders"):
            self.fields[name].choices = [(g.value, g.label) for g in getattr(groups, name)]
            self.fields[name].error_messages["invalid_choice"] = _(
                "Choose from the groups listed; the list may have changed since the page opened."
            )


class TestEmailForm(NormalisedFormMixin, forms.Form):
    first = forms.ChoiceField(
        label=_("Which version?"),
        choices=[("en", _("English first")), ("cy", _("Welsh first"))],
        widget=forms.RadioSelect,
        initial="en",
        error_messages={"required": _("Choose which language comes first.")},
    )


class WordingForm(NormalisedFormMixin, forms.Form):
    """The wording of one kind of e-mail; every rule about it lives in the domain."""

    sender_name = forms.CharField(
        label=_("Sender name"),
        required=False,
        help_text=_("Shown as who the e-mail is from. Empty: the council's name."),
    )
    reply_to = forms.CharField(
        label=_("Reply-to address"),
        required=False,
        help_text=_("Where members' replies go. Empty: the panel team's address, if set."),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    subject_en = forms.CharField(label=_("Subject in English"), required=False)
    body_en = forms.CharField(
        label=_("Text in English"), required=False, widget=forms.Textarea(attrs={"rows": 12})
    )
    subject_cy = forms.CharField(label=_("Subject in Welsh"), required=False)
    body_cy = forms.CharField(
        label=_("Text in Welsh"), required=False, widget=forms.Textarea(attrs={"rows": 12})
    )


class ReminderForm(NormalisedFormMixin, forms.Form):
    send_at = forms.DateTimeField(
        label=_("Send a reminder at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_(
            "Members who were invited and have not completed the survey by then get one "
            "reminder e-mail. For example 2027-03-01 09:00."
        ),
        error_messages={
            "required": _("Enter the date and time for the reminder."),
            "invalid": _("Enter the date and time for the reminder, for example 2027-03-01 09:00."),
        },
    )
