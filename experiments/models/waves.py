"""Waves (one fielding of a questionnaire) and the nudge texts shown in them."""

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from experiments.models.councils import Council
from experiments.models.instrument import Theme
from surveyplatform.text import validate_one_line


class WaveStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


def new_wave_seed() -> str:
    return secrets.token_hex(32)


class AllocationScheme(models.TextChoices):
    BLOCKS = "blocks", _("Stratified permuted blocks")
    SIMPLE = "simple", _("Simple (keyed hash)")
    CLUSTER = "cluster", _("Cluster (households share a group)")
    # Recorded on assignments only: the wave ran without the experiment.
    OFF = "off", _("Experiment off (no information for anyone)")
    # Recorded on assignments only: the groups were allocated by someone else and imported
    # with the answers (`experiments.randomised_elsewhere`).
    EXTERNAL = "external", _("Randomised elsewhere (groups imported)")


class Stratification(models.TextChoices):
    """The panel-record attributes whose combinations form the allocation strata."""

    NONE = "", _("No strata")
    WARD = "ward", _("Ward")
    AGE_BAND = "age_band", _("Age band")
    GENDER = "gender", _("Gender")
    WARD_AGE_BAND = "ward,age_band", _("Ward × age band")
    WARD_GENDER = "ward,gender", _("Ward × gender")
    AGE_BAND_GENDER = "age_band,gender", _("Age band × gender")
    WARD_AGE_BAND_GENDER = "ward,age_band,gender", _("Ward × age band × gender")


class TimeQuestions(models.TextChoices):
    NOW = "now", _("Time given now")
    MORE = "more", _("Time willing to give more")
    BOTH = "both", _("Both")


class Wave(models.Model):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="waves")
    # The subject of the wave's e-mails: one line.
    title = models.CharField(max_length=200, validators=[validate_one_line])
    title_cy = models.CharField(
        "title (Welsh)",
        max_length=200,
        blank=True,
        validators=[validate_one_line],
        help_text="Shown on Welsh pages and e-mails.",
    )
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
    allocation_scheme = models.CharField(
        _("allocation scheme"),
        max_length=10,
        choices=[
            c
            for c in AllocationScheme.choices
            if c[0] not in (AllocationScheme.OFF, AllocationScheme.EXTERNAL)
        ],
        default=AllocationScheme.BLOCKS,
    )
    strata = models.CharField(
        _("strata"),
        max_length=40,
        choices=Stratification.choices,
        blank=True,
        default=Stratification.NONE,
        help_text=_("Panel-record attributes that balance the groups within each combination."),
    )
    # Set only through `experiments.randomised_elsewhere`: the groups were allocated by
    # someone else (another study, a partner's trial) and arrive with the answers, so the
    # platform draws nobody and cannot verify the allocation. Frozen with the design.
    randomised_elsewhere = models.BooleanField(
        _("randomised elsewhere"), default=False, editable=False
    )
    randomised_by = models.CharField(
        _("randomised by"),
        max_length=200,
        blank=True,
        editable=False,
        validators=[validate_one_line],
    )
    declared_scheme = models.TextField(
        _("allocation scheme as declared"), blank=True, editable=False
    )
    # Frozen when the wave opens (experiments.design); the hash is recorded on every assignment.
    design = models.JSONField(null=True, blank=True, editable=False)
    design_hash = models.CharField(max_length=64, blank=True, editable=False)
    time_questions = models.CharField(
        max_length=4,
        choices=TimeQuestions.choices,
        default=TimeQuestions.BOTH,
        help_text="Ask the time members give now, the time they would give more, or both.",
    )
    # Options of analysis.plan.AnalysisPlan that differ from its defaults; frozen with the
    # design when the wave opens.
    analysis_plan = models.JSONField(default=dict, blank=True)

    # Power planning (analysis.power): empty fields fall back to the council's earlier
    # closed waves, else to the documented defaults; the plan is frozen with the design.
    expected_response_rate = models.FloatField(
        _("expected response rate"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01), MaxValueValidator(1)],
        help_text=_(
            "Share of active panel members expected to complete, for example 0.3. "
            "Leave empty to use the council's earlier waves (or 0.3 if there are none)."
        ),
    )
    expected_sd_individual = models.FloatField(
        _("expected SD of the individual index"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.001), MaxValueValidator(0.5)],
        help_text=_("Leave empty to use earlier waves (or 0.25)."),
    )
    expected_sd_collective = models.FloatField(
        _("expected SD of collective participation"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.001), MaxValueValidator(0.5)],
        help_text=_("Leave empty to use earlier waves (or 0.458, a share of 30 %)."),
    )
    hoped_for_effect = models.FloatField(
        _("hoped-for effect"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.001), MaxValueValidator(1)],
        help_text=_(
            "The smallest effect worth finding, as a share: 0.05 means 5 percentage points. "
            "The planner warns when a theme cannot detect it."
        ),
    )
    intra_cluster_correlation = models.FloatField(
        _("intra-household correlation"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Used only when households are allocated together. Empty means 0.05."),
    )
    questions_per_page = models.PositiveSmallIntegerField(
        _("questions per page"),
        default=12,
        validators=[MaxValueValidator(40)],
        help_text=_(
            "A theme with more questions than this is asked over several shorter pages of "
            "about equal length, each saved on its own (0: one page per theme)."
        ),
    )
    manipulation_check = models.BooleanField(
        _("ask a manipulation check"),
        default=False,
        help_text=_("After each theme page, ask what the information box said."),
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.council})"

    def title_in(self, language: str) -> str:
        """Return the wave's title in the language, the English one when there is no Welsh."""
        return self.title_cy if language == "cy" and self.title_cy else self.title

    @property
    def is_open(self) -> bool:
        return self.status == WaveStatus.OPEN

    def clean(self) -> None:
        super().clean()
        per_person = {"age_band", "gender"} & set(self.strata.split(","))
        if self.allocation_scheme == AllocationScheme.CLUSTER and per_person:
            raise ValidationError(
                {
                    "strata": _(
                        "Households share one group, but their members may differ in age "
                        "band or gender; stratify a cluster wave by ward or not at all."
                    )
                }
            )

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
    # True for a version written after the wave's design was frozen: a protocol deviation.
    is_deviation = models.BooleanField(_("deviation from the frozen design"), default=False)

    class Meta:
        ordering = ["wave", "theme", "nudge", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "theme", "nudge", "version"], name="nudge_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Nudge {self.nudge.upper()} v{self.version} — {self.theme.name_en}"
