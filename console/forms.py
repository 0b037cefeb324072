from django import forms
from django.utils.translation import gettext_lazy as _

from experiments.models import Council, Theme, Wave
from surveyplatform.text import NormalisedFormMixin, validate_one_line


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class CouncilChoiceMixin:
    """Offer only the user's own councils; hide the choice when there is just one."""

    def limit_councils(self, councils):
        field = self.fields["council"]
        field.queryset = councils
        field.empty_label = None
        if councils.count() == 1:
            only = councils.first()
            field.initial = only.pk
            if not self.initial.get("council"):
                self.initial["council"] = only.pk
            field.widget = forms.HiddenInput()


class ThemeForm(NormalisedFormMixin, CouncilChoiceMixin, forms.ModelForm):
    class Meta:
        model = Theme
        fields = ["council", "kind", "name_en", "name_cy"]
        labels = {
            "kind": _("Kind of theme"),
            "name_en": _("Name in English"),
            "name_cy": _("Name in Welsh"),
        }
        help_texts = {
            "kind": _(
                "It sets the default wording of the questions members answer about the theme: "
                "see “The questions each kind of theme asks” below."
            ),
            "name_en": _("As members will see it, for example “Local environment”."),
            "name_cy": _("Leave empty only if no member reads Welsh; English is shown instead."),
        }

    def __init__(self, *args, councils, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_councils(councils)
        if self.instance.pk:
            self.fields["council"].disabled = True


class ActivityRowForm(NormalisedFormMixin, forms.Form):
    """One activity of a theme: a row of the theme editor, kept, reworded or removed."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text_en = forms.CharField(label=_("Activity in English"), max_length=500, required=False)
    text_cy = forms.CharField(label=_("Activity in Welsh"), max_length=500, required=False)

    def clean(self):
        data = super().clean()
        if (data.get("text_cy") or "").strip() and not (data.get("text_en") or "").strip():
            self.add_error("text_en", _("Give the activity in English too, or empty both."))
        return data


class BaseActivityRows(forms.BaseFormSet):
    """The rows of the theme editor; empty rows are left out when the theme is saved."""

    def rows(self) -> list[dict]:
        return [
            form.cleaned_data
            for form in self.forms
            if (form.cleaned_data.get("text_en") or "").strip()
        ]


ActivityRows = forms.formset_factory(
    ActivityRowForm, formset=BaseActivityRows, extra=0, max_num=200, absolute_max=200
)


class WaveForm(NormalisedFormMixin, CouncilChoiceMixin, forms.ModelForm):
    """What a wave is called, when it runs and what it asks about.

    The statistical settings have their own page (`ExperimentSettingsForm`), with
    defaults that suit a first wave.
    """

    themes = forms.ModelMultipleChoiceField(
        queryset=Theme.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label=_("Themes asked about"),
        help_text=_(
            "Put them in order on the wave's page once it is saved; themes you add come last."
        ),
        error_messages={"required": _("Choose at least one theme.")},
    )

    class Meta:
        model = Wave
        fields = ["council", "title", "title_cy", "opens_at", "closes_at", "experiment_on"]
        labels = {
            "title": _("Title"),
            "title_cy": _("Title in Welsh"),
            "opens_at": _("Planned opening (for your records)"),
            "closes_at": _("Closing time (the wave closes by itself then)"),
            "experiment_on": _("Run the nudge experiment"),
        }
        help_texts = {
            "title": _("Members see this in their invitation, for example “Spring 2027 survey”."),
            "title_cy": _(
                "Members reading Welsh see this instead, for example “Arolwg gwanwyn 2027”."
            ),
            "experiment_on": _(
                "Untick to show no information box to anyone (everyone is in the no-nudge group)."
            ),
        }
        widgets = {"opens_at": DateTimeInput(), "closes_at": DateTimeInput()}

    def __init__(self, *args, councils, themes, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_councils(councils)
        self.fields["themes"].queryset = themes
        self.fields["opens_at"].required = False
        self.fields["closes_at"].required = False
        self.current_order: list[int] = []
        if self.instance.pk:
            self.fields["council"].disabled = True
            self.current_order = list(
                self.instance.wave_themes.order_by("position", "pk").values_list(
                    "theme_id", flat=True
                )
            )
            self.initial["themes"] = self.current_order

    def clean_themes(self):
        """Keep the order the wave already has; newly ticked themes come after it."""
        chosen = list(self.cleaned_data["themes"])
        rank = {theme_id: index for index, theme_id in enumerate(self.current_order)}
        return sorted(chosen, key=lambda theme: rank.get(theme.pk, len(rank)))

    def clean(self):
        cleaned = super().clean()
        council = cleaned.get("council")
        themes = cleaned.get("themes") or []
        if council is not None:
            foreign = [t for t in themes if t.council_id != council.pk]
            if foreign:
                self.add_error("themes", _("Choose only themes of the wave's own council."))
        opens_at, closes_at = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", _("The closing time must be after the opening."))
        return cleaned


class ExperimentSettingsForm(NormalisedFormMixin, forms.ModelForm):
    """The experiment's statistical settings; every one has a default that suits most waves."""

    class Meta:
        model = Wave
        fields = [
            "allocation_scheme",
            "strata",
            "time_questions",
            "questions_per_page",
            "manipulation_check",
            "expected_response_rate",
            "hoped_for_effect",
            "expected_sd_individual",
            "expected_sd_collective",
            "intra_cluster_correlation",
        ]
        labels = {
            "allocation_scheme": _("How members are put into groups"),
            "strata": _("Keep the groups balanced by"),
            "time_questions": _("Questions about time given"),
            "questions_per_page": _("Questions per page"),
            "manipulation_check": _("Ask what the information box said"),
            "expected_response_rate": _("Expected response rate"),
            "hoped_for_effect": _("Smallest effect worth finding"),
            "expected_sd_individual": _("Expected spread (SD) of individual co-production"),
            "expected_sd_collective": _("Expected spread (SD) of collective co-production"),
            "intra_cluster_correlation": _("Correlation within households"),
        }
        help_texts = {
            "allocation_scheme": _(
                "The default, stratified permuted blocks, keeps the four groups the same size."
            ),
            "time_questions": _(
                "Ask the time members give now, the time they would give more, or both."
            ),
            "manipulation_check": _(
                "After each theme page, ask members what the information box said (a check "
                "that they noticed it)."
            ),
        }


class CopyWaveForm(NormalisedFormMixin, forms.Form):
    title = forms.CharField(
        label=_("Title of the new wave"),
        max_length=200,
        validators=[validate_one_line],
        error_messages={"required": _("Give the new wave a title.")},
    )
    title_cy = forms.CharField(
        label=_("Title in Welsh"),
        max_length=200,
        required=False,
        validators=[validate_one_line],
    )


class CouncilWelshForm(NormalisedFormMixin, forms.ModelForm):
    """The Welsh versions of what members read about the council."""

    class Meta:
        model = Council
        fields = ["name_cy", "lawful_basis_cy", "privacy_notice_cy"]
        labels = {
            "name_cy": _("Name of the council in Welsh"),
            "lawful_basis_cy": _("Lawful basis, in Welsh"),
            "privacy_notice_cy": _("More about privacy, in Welsh"),
        }
        help_texts = {
            "name_cy": _(
                "Shown on Welsh pages and in Welsh e-mails, for example “Cyngor Sir Powys”."
            ),
            "lawful_basis_cy": "",
            "privacy_notice_cy": "",
        }
        widgets = {
            "lawful_basis_cy": forms.Textarea(attrs={"rows": 4}),
            "privacy_notice_cy": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        council = self.instance
        self.fields["name_cy"].required = True
        self.fields["name_cy"].error_messages["required"] = _("Give the council's name in Welsh.")
        for name, english in (
            ("lawful_basis_cy", council.lawful_basis_en),
            ("privacy_notice_cy", council.privacy_notice_en),
        ):
            if english.strip():
                self.fields[name].help_text = _("In English: %(text)s") % {"text": english}
            else:
                del self.fields[name]


class NudgeForm(NormalisedFormMixin, forms.Form):
    a_en = forms.CharField(label=_("Nudge A in English"), widget=forms.Textarea(attrs={"rows": 3}))
    a_cy = forms.CharField(
        label=_("Nudge A in Welsh"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    b_en = forms.CharField(label=_("Nudge B in English"), widget=forms.Textarea(attrs={"rows": 3}))
    b_cy = forms.CharField(
        label=_("Nudge B in Welsh"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ConfirmForm(NormalisedFormMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand this cannot be undone"),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class ReminderForm(NormalisedFormMixin, forms.Form):
    send_at = forms.DateTimeField(
        label=_("Send a reminder at"),
        widget=DateTimeInput(),
        help_text=_("Members who have not completed the survey by then get one reminder e-mail."),
    )


class PanelUploadForm(NormalisedFormMixin, CouncilChoiceMixin, forms.Form):
    council = forms.ModelChoiceField(queryset=None, label=_("Council"))
    file = forms.FileField(
        label=_("Panel file (.csv or .xlsx)"),
        help_text=_(
            "Columns: external_id and email (required); name, preferred_language (en or cy), "
            "ward, age_band, gender, household_key (optional). The first row holds the names."
        ),
    )

    def __init__(self, *args, councils, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_councils(councils)


class ResponseUploadForm(NormalisedFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Paper or telephone responses (.csv or .xlsx)"),
        help_text=_(
            "The layout of the wide CSV export, one row per response, plus a column "
            "external_id with the member's id in your panel list. Column mode says how the "
            "answers were collected: 2 = paper, 3 = telephone. The first row holds the names."
        ),
    )


class TokenForm(NormalisedFormMixin, forms.Form):
    token = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ItemWordingForm(NormalisedFormMixin, forms.Form):
    """The council's own wording of each question on a theme page; blank keeps the default."""

    def __init__(self, *args, defaults: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        from experiments.models import Item

        for item in Item:
            self.fields[f"{item.value}_en"] = forms.CharField(
                label=_("%(item)s (English)") % {"item": item.label},
                required=False,
                max_length=500,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("Default: %(text)s") % {"text": defaults[item.value]},
            )
            self.fields[f"{item.value}_cy"] = forms.CharField(
                label=_("%(item)s (Welsh)") % {"item": item.label},
                required=False,
                max_length=500,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def clean(self):
        data = super().clean()
        for name in list(self.fields):
            if name.endswith("_cy") and data.get(name, "").strip():
                english = name[: -len("_cy")] + "_en"
                if not data.get(english, "").strip():
                    self.add_error(
                        english,
                        _("Give the English wording too, or leave both blank for the default."),
                    )
        return data


class DebriefForm(NormalisedFormMixin, forms.Form):
    text_en = forms.CharField(
        label=_("Message in English"),
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": _("Write the message in English.")},
    )
    text_cy = forms.CharField(
        label=_("Message in Welsh"),
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": _("Write the message in Welsh.")},
    )


class PrintCopiesForm(NormalisedFormMixin, forms.Form):
    """Whom to print paper questionnaires (or telephone scripts) for."""

    ALL = "all"
    LISTED = "listed"

    kind = forms.ChoiceField(
        label=_("What to print"),
        choices=[
            ("paper", _("Paper questionnaires, to post")),
            ("phone", _("Telephone interview scripts, for the interviewer to read")),
        ],
        initial="paper",
        widget=forms.RadioSelect,
    )
    who = forms.ChoiceField(
        label=_("For whom"),
        choices=[
            (ALL, _("Every active member invited to this wave who has not answered yet")),
            (LISTED, _("The members listed below")),
        ],
        initial=ALL,
        widget=forms.RadioSelect,
    )
    external_ids = forms.CharField(
        label=_("External ids"),
        help_text=_("One per line, or separated by commas, as in your panel list."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    file = forms.FileField(
        label=_("Or a file of external ids (.csv or .txt)"),
        help_text=_("One id per line; a first line reading external_id is skipped."),
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("who") != self.LISTED:
            data["ids_text"] = None
            return data
        text = data.get("external_ids") or ""
        upload = data.get("file")
        if upload is not None:
            try:
                text += "\n" + upload.read(5 * 1024 * 1024).decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", _("The file is not UTF-8 text."))
                return data
        if not text.strip():
            self.add_error("external_ids", _("Enter the external ids of the members to print for."))
        data["ids_text"] = text
        return data


class RandomisedElsewhereForm(NormalisedFormMixin, forms.Form):
    """Who allocated a wave's groups outside the platform, and how they say they did."""

    randomised_by = forms.CharField(
        label=_("Who randomised"),
        max_length=200,
        help_text=_("The team or organisation that allocated the groups, for example a partner."),
    )
    declared_scheme = forms.CharField(
        label=_("The allocation scheme as declared"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "How members were randomised, as the study says: the ratio of the groups, any "
            "strata or blocks, and when. It is recorded as declared; the platform cannot "
            "check it."
        ),
    )
