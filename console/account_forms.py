"""Forms of the staff account page and of the second-factor check."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveyplatform.text import NormalisedFormMixin

EXPIRY_DAYS = {"30": 30, "90": 90, "365": 365, "never": None}


class ApiTokenForm(NormalisedFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_(
            "What the token is for, so you can tell your tokens apart (for example “R scripts”)."
        ),
        error_messages={"required": _("Enter a name for the token.")},
    )
    expires = forms.ChoiceField(
        label=_("Expires"),
        choices=[
            ("30", _("In 30 days")),
            ("90", _("In 90 days")),
            ("365", _("In a year")),
            ("never", _("Never (until you revoke it)")),
        ],
        initial="90",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose when the token expires.")},
    )

    def expires_at(self):
        days = EXPIRY_DAYS[self.cleaned_data["expires"]]
        return None if days is None else timezone.now() + timedelta(days=days)


class SecondFactorForm(NormalisedFormMixin, forms.Form):
    """The code of the authenticator app, or one of the user's recovery codes."""

    token = forms.CharField(
        label=_("Code"),
        help_text=_(
            "The 6-digit code your authenticator app shows. Lost your phone? Enter one of "
            "your recovery codes instead."
        ),
        max_length=20,
        error_messages={"required": _("Enter the code from your authenticator app.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )
