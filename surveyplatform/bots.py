"""Bot protection without third parties: a honeypot field that people never fill in.

The field is hidden from sight and from assistive technology (it sits in an `aria-hidden`
block that the page's CSS moves off screen), so a person leaves it empty while a form-
filling bot tends to complete it. Nothing is sent to any outside service.

Invitation links are personal and already rate-limited, so the questionnaire's forms do
not carry the field unless `HONEYPOT_ON_INVITATION_FORMS` is set; any other public form
can mix `HoneypotMixin` in.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

HONEYPOT_FIELD = "website"


class HoneypotMixin:
    """Add the honeypot field to a form; a filled-in honeypot makes the form invalid."""

    honeypot = True

    def add_honeypot(self) -> None:
        self.fields[HONEYPOT_FIELD] = forms.CharField(
            label=_("Leave this field empty"),
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )

    def clean_website(self) -> str:
        value = self.cleaned_data.get(HONEYPOT_FIELD, "")
        if value:
            raise forms.ValidationError(
                _("This form could not be accepted. Please try again."), code="honeypot"
            )
        return value


def honeypot_on_invitation_forms() -> bool:
    return bool(getattr(settings, "HONEYPOT_ON_INVITATION_FORMS", False))
