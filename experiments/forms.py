from django import forms
from django.utils.translation import gettext_lazy as _

from experiments.models import Agreement, Frequency
from experiments.questionnaires import ThemePage
from experiments.responses import ThemeAnswers

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class QuestionnaireForm(forms.Form):
    """All theme pages of the skeleton questionnaire in one form; every item is required."""

    def __init__(self, *args, pages: list[ThemePage], **kwargs):
        super().__init__(*args, **kwargs)
        self.pages = pages
        for page in pages:
            for activity in page.activities:
                self.fields[f"activity_{activity.id}"] = forms.ChoiceField(
                    label=activity.text,
                    choices=YES_NO,
                    widget=forms.RadioSelect,
                    error_messages={"required": _("Select yes or no")},
                )
            self.fields[f"collective_{page.theme_id}"] = forms.TypedChoiceField(
                label=_("How often do you work with other people in groups to improve %(theme)s?")
                % {"theme": page.name.lower()},
                choices=Frequency.choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Select how often you work with others")},
            )
            self.fields[f"efficacy_{page.theme_id}"] = forms.TypedChoiceField(
                label=_(
                    "How far do you agree: people in this area can make a difference to %(theme)s"
                )
                % {"theme": page.name.lower()},
                choices=Agreement.choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Select how far you agree")},
            )

    def sections(self):
        """Yield each theme page with its bound fields, for the template."""
        for page in self.pages:
            yield {
                "page": page,
                "activities": [self[f"activity_{a.id}"] for a in page.activities],
                "collective": self[f"collective_{page.theme_id}"],
                "efficacy": self[f"efficacy_{page.theme_id}"],
            }

    def theme_answers(self) -> list[ThemeAnswers]:
        data = self.cleaned_data
        return [
            ThemeAnswers(
                theme_id=page.theme_id,
                activities={a.id: data[f"activity_{a.id}"] == "yes" for a in page.activities},
                collective=data[f"collective_{page.theme_id}"],
                efficacy=data[f"efficacy_{page.theme_id}"],
            )
            for page in self.pages
        ]
