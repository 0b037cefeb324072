"""Councils, their themes and waves, and what happens to a panel member inside a wave.

Answers are stored in typed columns with database constraints rather than as free-form
key/value rows, so that an impossible code can never be stored and analysis reads plain
columns. Integer codes follow the order in which the options are shown; analysis recodes
them (for example so that higher means more agreement).
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Nation(models.TextChoices):
    ENGLAND = "england", _("England")
    WALES = "wales", _("Wales")


class Council(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    nation = models.CharField(max_length=10, choices=Nation.choices, default=Nation.ENGLAND)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CouncilRole(models.TextChoices):
    ADMIN = "admin", _("Council admin")
    RESEARCHER = "researcher", _("Researcher")


class CouncilMembership(models.Model):
    """Grant a staff user a role in one council; every query for staff is scoped by these."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="council_memberships"
    )
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=CouncilRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "council"], name="one_role_per_council")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.council} ({self.get_role_display()})"


class ThemeKind(models.TextChoices):
    ENVIRONMENT = "environment", _("Local environment")
    COMMUNITY_SAFETY = "community_safety", _("Community safety")
    SOCIAL_WELLBEING = "social_wellbeing", _("Social well-being")
    HEALTH = "health", _("Health")
    CUSTOM = "custom", _("Custom")


class Theme(models.Model):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="themes")
    kind = models.CharField(max_length=30, choices=ThemeKind.choices)
    name_en = models.CharField("name (English)", max_length=200)
    name_cy = models.CharField("name (Welsh)", max_length=200, blank=True)

    class Meta:
        ordering = ["council", "name_en"]
        constraints = [
            models.UniqueConstraint(fields=["council", "name_en"], name="theme_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name_en} ({self.council})"


class Activity(models.Model):
    """An individual co-production item of a theme, answered yes or no."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="activities")
    text_en = models.CharField("wording (English)", max_length=500)
    text_cy = models.CharField("wording (Welsh)", max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["theme", "position", "id"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return self.text_en


class WaveStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


def new_wave_seed() -> str:
    return secrets.token_hex(32)


class Wave(models.Model):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="waves")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=WaveStatus.choices, default=WaveStatus.DRAFT)
    themes = models.ManyToManyField(Theme, through="WaveTheme", related_name="waves")
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    experiment_on = models.BooleanField(
        default=True, help_text="Off: everyone is in the no-information arm."
    )
    # Secret: the allocation sequence derives from it, so it must never reach a page.
    seed = models.CharField(max_length=64, default=new_wave_seed, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.council})"

    @property
    def is_open(self) -> bool:
        return self.status == WaveStatus.OPEN


class WaveTheme(models.Model):
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="wave_themes")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="wave_themes")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["wave", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "theme"], name="theme_once_per_wave")
        ]

    def __str__(self) -> str:
        return f"{self.theme} in {self.wave}"


class Nudge(models.TextChoices):
    A = "a", _("A: people near you already do this")
    B = "b", _("B: it takes little time")


class NudgeText(models.Model):
    """One version of nudge A or B for a theme in a wave; a later edit adds a version."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="nudge_texts")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="nudge_texts")
    nudge = models.CharField(max_length=1, choices=Nudge.choices)
    version = models.PositiveIntegerField(default=1)
    text_en = models.TextField("text (English)")
    text_cy = models.TextField("text (Welsh)", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["wave", "theme", "nudge", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "theme", "nudge", "version"], name="nudge_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Nudge {self.nudge.upper()} v{self.version} — {self.theme.name_en}"


class Arm(models.TextChoices):
    AB = "ab", _("A and B")
    A = "a", _("A only")
    B = "b", _("B only")
    NONE = "none", _("None")

    @property
    def nudges(self) -> tuple[str, ...]:
        return {"ab": ("a", "b"), "a": ("a",), "b": ("b",), "none": ()}[self.value]


class Invitation(models.Model):
    """A personal link; only the SHA-256 of its 256-bit token is stored."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(
        "panel.PanelMember", on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "member"], name="one_invitation_per_wave")
        ]

    def __str__(self) -> str:
        return f"Invitation #{self.pk} ({self.wave})"


class AllocationScheme(models.TextChoices):
    SIMPLE = "simple", _("Simple (keyed hash)")


class Assignment(models.Model):
    """The arm of one member in one wave: written once, before any nudge is shown, never changed."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey(
        "panel.PanelMember", on_delete=models.CASCADE, related_name="assignments"
    )
    arm = models.CharField(max_length=4, choices=Arm.choices)
    scheme = models.CharField(max_length=20, choices=AllocationScheme.choices)
    stratum = models.CharField(max_length=200, blank=True)
    block = models.PositiveIntegerField(null=True, blank=True)
    position_in_block = models.PositiveSmallIntegerField(null=True, blank=True)
    design_hash = models.CharField(max_length=64, blank=True)
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "member"], name="one_assignment_per_wave")
        ]

    def __str__(self) -> str:
        return f"Assignment #{self.pk}"


class ResponseStatus(models.TextChoices):
    PARTIAL = "partial", _("Partial")
    COMPLETE = "complete", _("Complete")


class Response(models.Model):
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="responses")
    member = models.ForeignKey(
        "panel.PanelMember", on_delete=models.CASCADE, related_name="responses"
    )
    status = models.CharField(
        max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.PARTIAL
    )
    language = models.CharField(max_length=5, choices=settings.LANGUAGES, default="en")
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "member"], name="one_response_per_wave"),
            models.CheckConstraint(
                condition=Q(status="partial") | Q(submitted_at__isnull=False),
                name="complete_response_has_submitted_at",
            ),
        ]

    def __str__(self) -> str:
        return f"Response #{self.pk}"


class Frequency(models.IntegerChoices):
    OFTEN = 1, _("Often")
    SOMETIMES = 2, _("Sometimes")
    NEVER = 3, _("Never")


class Agreement(models.IntegerChoices):
    STRONGLY_AGREE = 1, _("Strongly agree")
    AGREE = 2, _("Agree")
    NEITHER = 3, _("Neither agree nor disagree")
    DISAGREE = 4, _("Disagree")
    STRONGLY_DISAGREE = 5, _("Strongly disagree")
    DONT_KNOW = 9, _("Don't know")


class TimeGiven(models.IntegerChoices):
    NONE = 1, _("None")
    FEW_HOURS_YEAR = 2, _("A few hours a year")
    FEW_HOURS_MONTH = 3, _("A few hours a month")
    FEW_HOURS_WEEK = 4, _("A few hours a week or more")


class Condition(models.IntegerChoices):
    VERY_GOOD = 1, _("Very good")
    GOOD = 2, _("Good")
    NEITHER = 3, _("Neither good nor poor")
    POOR = 4, _("Poor")
    VERY_POOR = 5, _("Very poor")


class Satisfaction(models.IntegerChoices):
    VERY_SATISFIED = 1, _("Very satisfied")
    SATISFIED = 2, _("Satisfied")
    NEITHER = 3, _("Neither satisfied nor dissatisfied")
    DISSATISFIED = 4, _("Dissatisfied")
    VERY_DISSATISFIED = 5, _("Very dissatisfied")
    DONT_KNOW = 9, _("Don't know")


def _in_choices(field: str, choices: type[models.IntegerChoices]) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__in": choices.values})


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
