"""A member's response to a wave, stored in typed, constrained columns.

Answers live in typed columns with database constraints rather than free-form key/value
rows, so that an impossible code can never be stored and analysis reads plain columns.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from experiments.models.instrument import (
    Activity,
    AgeBand,
    Agreement,
    Condition,
    EthnicGroup,
    Frequency,
    Gender,
    Qualification,
    Satisfaction,
    Theme,
    TimeGiven,
)
from experiments.models.waves import NudgeText, Wave


class ResponseStatus(models.TextChoices):
    PARTIAL = "partial", _("Partial")
    COMPLETE = "complete", _("Complete")


def _in_choices(field: str, choices: type[models.IntegerChoices]) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__in": choices.values})


class ResponseMode(models.TextChoices):
    """How the answers were collected: online through the platform, or offline and imported."""

    WEB = "web", _("Online")
    PAPER = "paper", _("Paper")
    PHONE = "phone", _("Telephone")


class RecalledNudge(models.TextChoices):
    """The manipulation check's answer: what the information box on the theme page said."""

    A = "a", _("That many people near me already take part")
    B = "b", _("That it takes little time")
    BOTH = "ab", _("Both")
    NONE = "none", _("There was no box")
    UNSURE = "unsure", _("I don't remember")


class Response(models.Model):
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="responses")
    member = models.ForeignKey(
        "panel.PanelMember", on_delete=models.CASCADE, related_name="responses"
    )
    status = models.CharField(
        max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.PARTIAL
    )
    language = models.CharField(max_length=5, choices=settings.LANGUAGES, default="en")
    # Paper and telephone answers are imported (experiments.response_imports).
    # A database default too, so that processes still running older code during a deploy
    # keep inserting online responses.
    mode = models.CharField(
        max_length=5,
        choices=ResponseMode.choices,
        default=ResponseMode.WEB,
        db_default=ResponseMode.WEB,
    )
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Asked once per questionnaire, about the respondent (not the panel record).
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    age_band = models.CharField(max_length=20, blank=True, choices=AgeBand.choices)
    gender = models.CharField(max_length=30, blank=True, choices=Gender.choices)
    ethnic_group = models.CharField(max_length=40, blank=True, choices=EthnicGroup.choices)
    qualification = models.CharField(max_length=40, blank=True, choices=Qualification.choices)
    ward = models.CharField(max_length=100, blank=True)
    # Progress through the pages, so that the same link resumes where the member left off.
    consented_at = models.DateTimeField(null=True, blank=True)
    about_saved_at = models.DateTimeField(null=True, blank=True)
    # Salted SHA-256 of the user agent and the IP prefix at the first page, for the
    # duplicate-device flag (analysis.quality); the raw IP address is never stored.
    device_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "member"], name="one_response_per_wave"),
            models.CheckConstraint(
                condition=Q(status="partial") | Q(submitted_at__isnull=False),
                name="complete_response_has_submitted_at",
            ),
            models.CheckConstraint(
                condition=Q(mode__in=ResponseMode.values), name="response_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Response #{self.pk}"


class ThemeAnswer(models.Model):
    """A member's answers on one theme's page; the activity answers hang off it."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="theme_answers")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="theme_answers")
    collective = models.PositiveSmallIntegerField(choices=Frequency.choices, null=True)
    time_now = models.PositiveSmallIntegerField(choices=TimeGiven.choices, null=True)
    time_more = models.PositiveSmallIntegerField(choices=TimeGiven.choices, null=True)
    conditions = models.PositiveSmallIntegerField(choices=Condition.choices, null=True)
    satisfaction_information = models.PositiveSmallIntegerField(
        choices=Satisfaction.choices, null=True
    )
    satisfaction_consultation = models.PositiveSmallIntegerField(
        choices=Satisfaction.choices, null=True
    )
    satisfaction_response = models.PositiveSmallIntegerField(
        choices=Satisfaction.choices, null=True
    )
    efficacy = models.PositiveSmallIntegerField(choices=Agreement.choices, null=True)
    # Manipulation check (asked only when the wave has it on): what the box said.
    recalled_nudge = models.CharField(
        max_length=10, choices=RecalledNudge.choices, blank=True, default=""
    )
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "theme"], name="one_answer_set_per_theme"),
            models.CheckConstraint(
                condition=_in_choices("collective", Frequency), name="collective_code_valid"
            ),
            models.CheckConstraint(
                condition=_in_choices("time_now", TimeGiven), name="time_now_code_valid"
            ),
            models.CheckConstraint(
                condition=_in_choices("time_more", TimeGiven), name="time_more_code_valid"
            ),
            models.CheckConstraint(
                condition=_in_choices("conditions", Condition), name="conditions_code_valid"
            ),
            models.CheckConstraint(
                condition=_in_choices("satisfaction_information", Satisfaction),
                name="sat_information_code_valid",
            ),
            models.CheckConstraint(
                condition=_in_choices("satisfaction_consultation", Satisfaction),
                name="sat_consultation_code_valid",
            ),
            models.CheckConstraint(
                condition=_in_choices("satisfaction_response", Satisfaction),
                name="sat_response_code_valid",
            ),
            models.CheckConstraint(
                condition=_in_choices("efficacy", Agreement), name="efficacy_code_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Answers of response #{self.response_id} on theme #{self.theme_id}"


class ActivityAnswer(models.Model):
    theme_answer = models.ForeignKey(
        ThemeAnswer, on_delete=models.CASCADE, related_name="activity_answers"
    )
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="answers")
    done = models.BooleanField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["theme_answer", "activity"], name="one_answer_per_activity"
            )
        ]

    def __str__(self) -> str:
        return f"Activity #{self.activity_id}: {self.done}"


class Exposure(models.Model):
    """A nudge text actually rendered to a member, with the version they saw."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="exposures")
    nudge_text = models.ForeignKey(NudgeText, on_delete=models.PROTECT, related_name="exposures")
    shown_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["response", "nudge_text"])]

    def __str__(self) -> str:
        return f"Exposure of response #{self.response_id} to {self.nudge_text_id}"


class PageVisit(models.Model):
    """Paradata: when a page was shown to a member and when they sent it back."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="page_visits")
    page = models.CharField(max_length=40)
    shown_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["response", "page", "shown_at"])]

    def __str__(self) -> str:
        return f"Visit of response #{self.response_id} to {self.page}"
