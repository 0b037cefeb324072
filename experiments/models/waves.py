"""Waves (one fielding of a questionnaire) and the nudge texts shown in them."""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from experiments.models.councils import Council
from experiments.models.instrument import Theme


class WaveStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


def new_wave_seed() -> str:
    return secrets.token_hex(32)


class TimeQuestions(models.TextChoices):
    NOW = "now", _("Time given now")
    MORE = "more", _("Time willing to give more")
    BOTH = "both", _("Both")


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
    time_questions = models.CharField(
        max_length=4,
        choices=TimeQuestions.choices,
        default=TimeQuestions.BOTH,
        help_text="Ask the time members give now, the time they would give more, or both.",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.council})"

    @property
    def is_open(self) -> bool:
        return self.status == WaveStatus.OPEN

    @property
    def asks_time_now(self) -> bool:
        return self.time_questions in (TimeQuestions.NOW, TimeQuestions.BOTH)

    @property
    def asks_time_more(self) -> bool:
        return self.time_questions in (TimeQuestions.MORE, TimeQuestions.BOTH)


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
