"""The arms of the 2×2 nudge experiment and each member's assignment to one."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from experiments.models.waves import Wave


class Arm(models.TextChoices):
    AB = "ab", _("A and B")
    A = "a", _("A only")
    B = "b", _("B only")
    NONE = "none", _("None")

    @property
    def nudges(self) -> tuple[str, ...]:
        return {"ab": ("a", "b"), "a": ("a",), "b": ("b",), "none": ()}[self.value]


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
