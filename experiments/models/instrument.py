"""Themes, their activities, and the coded answer options of the questionnaire.

Integer codes follow the order in which the options are shown; analysis recodes them
(for example so that higher means more agreement).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from experiments.models.councils import Council


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


class Item(models.TextChoices):
    """The questions asked on every theme page, whose wording a wave may override."""

    ACTIVITIES = "activities", _("Activities: the question above the list")
    COLLECTIVE = "collective", _("Working with others in groups")
    TIME_NOW = "time_now", _("Time given now")
    TIME_MORE = "time_more", _("Time willing to give more")
    CONDITIONS = "conditions", _("Local conditions")
    SATISFACTION_INFORMATION = "satisfaction_information", _("Satisfaction with information")
    SATISFACTION_CONSULTATION = "satisfaction_consultation", _("Satisfaction with consultation")
    SATISFACTION_RESPONSE = "satisfaction_response", _("Satisfaction with the response")
    EFFICACY = "efficacy", _("People can make a difference")


class AgeBand(models.TextChoices):
    UNDER_25 = "16-24", _("16 to 24")
    FROM_25 = "25-34", _("25 to 34")
    FROM_35 = "35-44", _("35 to 44")
    FROM_45 = "45-54", _("45 to 54")
    FROM_55 = "55-64", _("55 to 64")
    FROM_65 = "65-74", _("65 to 74")
    FROM_75 = "75+", _("75 or over")
    NOT_SAID = "not_said", _("Prefer not to say")


class Gender(models.TextChoices):
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    OTHER = "other", _("In another way")
    NOT_SAID = "not_said", _("Prefer not to say")


class EthnicGroup(models.TextChoices):
    """The five high-level groups of the 2021 Census in England (ONS)."""

    ASIAN = "asian", _("Asian or Asian British")
    BLACK = "black", _("Black, Black British, Caribbean or African")
    MIXED = "mixed", _("Mixed or multiple ethnic groups")
    WHITE = "white", _("White")
    OTHER = "other", _("Other ethnic group")
    NOT_SAID = "not_said", _("Prefer not to say")


# The 2021 Census in Wales used the same codes with Welsh identities named in the labels.
ETHNIC_GROUP_LABELS_WALES = {
    EthnicGroup.ASIAN: _("Asian, Asian Welsh or Asian British"),
    EthnicGroup.BLACK: _("Black, Black Welsh, Black British, Caribbean or African"),
    EthnicGroup.MIXED: _("Mixed or multiple ethnic groups"),
    EthnicGroup.WHITE: _("White"),
    EthnicGroup.OTHER: _("Other ethnic group"),
    EthnicGroup.NOT_SAID: _("Prefer not to say"),
}


class Qualification(models.TextChoices):
    NONE = "none", _("No qualifications")
    LEVEL_1_2 = "level_1_2", _("GCSEs, O levels or equivalent")
    APPRENTICESHIP = "apprenticeship", _("An apprenticeship")
    LEVEL_3 = "level_3", _("A levels or equivalent")
    LEVEL_4 = "level_4", _("A degree, or a higher qualification")
    OTHER = "other", _("Another qualification")
    NOT_SAID = "not_said", _("Prefer not to say")
