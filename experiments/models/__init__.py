"""The experiments domain's models, one module per concept."""

from experiments.models.allocation import (
    AllocationScheme,
    AllocationState,
    Arm,
    Assignment,
    ClusterAllocation,
)
from experiments.models.councils import Council, CouncilMembership, CouncilRole, Nation
from experiments.models.instrument import (
    Activity,
    Agreement,
    Condition,
    Frequency,
    Satisfaction,
    Theme,
    ThemeKind,
    TimeGiven,
)
from experiments.models.invitations import Invitation
from experiments.models.responses import (
    ActivityAnswer,
    Exposure,
    Response,
    ResponseStatus,
    ThemeAnswer,
)
from experiments.models.waves import (
    Nudge,
    NudgeText,
    Stratification,
    Wave,
    WaveStatus,
    WaveTheme,
)

__all__ = [
    "Activity",
    "ActivityAnswer",
    "Agreement",
    "AllocationScheme",
    "AllocationState",
    "Arm",
    "Assignment",
    "ClusterAllocation",
    "Condition",
    "Council",
    "CouncilMembership",
    "CouncilRole",
    "Exposure",
    "Frequency",
    "Invitation",
    "Nation",
    "Nudge",
    "NudgeText",
    "Response",
    "ResponseStatus",
    "Satisfaction",
    "Stratification",
    "Theme",
    "ThemeAnswer",
    "ThemeKind",
    "TimeGiven",
    "Wave",
    "WaveStatus",
    "WaveTheme",
]
