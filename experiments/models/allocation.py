"""The arms of the 2×2 nudge experiment and each member's assignment to one."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from experiments.models.waves import AllocationScheme, Wave


class Arm(models.TextChoices):
    AB = "ab", _("A and B")
    A = "a", _("A only")
    B = "b", _("B only")
    NONE = "none", _("None")

    @property
    def nudges(self) -> tuple[str, ...]:
        return {"ab": ("a", "b"), "a": ("a",), "b": ("b",), "none": ()}[self.value]


# The allocation generator's fixed parts, recorded in every frozen design
# (`experiments.assignment` documents and implements the generator).
ARM_ORDER = (Arm.AB, Arm.A, Arm.B, Arm.NONE)
BLOCK_SIZES = (4, 8)
GENERATOR = "hmac-sha256-ctr-drbg/permuted-blocks-4-8/v1"


class Assignment(models.Model):
    """The arm of one member in one wave: written once, before any nudge is shown, never changed."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey(
        "panel.PanelMember", on_delete=models.CASCADE, related_name="assignments"
    )
    arm = models.CharField(max_length=4, choices=Arm.choices)
    scheme = models.CharField(max_length=20, choices=AllocationScheme.choices)
    # The household key for the cluster scheme (the allocated unit); blank otherwise.
    cluster = models.CharField(max_length=100, blank=True)
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


class AllocationState(models.Model):
    """How many units one stratum of a wave has allocated: the row every allocation locks.

    The block sequence itself is a pure function of the wave's seed and the stratum, so
    the count is the only state; locking this row serialises allocations within a stratum
    across every process and machine, while different strata proceed in parallel.
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="allocation_states")
    stratum = models.CharField(max_length=200)
    allocated = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "stratum"], name="one_state_per_stratum")
        ]

    def __str__(self) -> str:
        return f"Allocation state #{self.pk}"


class ClusterAllocation(models.Model):
    """The arm of one household in a cluster-allocated wave; its members copy it."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="cluster_allocations")
    cluster = models.CharField(max_length=100)
    arm = models.CharField(max_length=4, choices=Arm.choices)
    stratum = models.CharField(max_length=200)
    block = models.PositiveIntegerField()
    position_in_block = models.PositiveSmallIntegerField()
    allocated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "cluster"], name="one_allocation_per_cluster")
        ]

    def __str__(self) -> str:
        return f"Cluster allocation #{self.pk}"
