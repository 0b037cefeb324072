"""The experiments domain's models, one module per concept."""

from experiments.models.allocation import AllocationScheme, Arm, Assignment
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
from experiments.models.waves import Nudge, NudgeText, Wave, WaveStatus, WaveTheme

__all__ = [
    "Activity",
    "ActivityAnswer",
    "Agreement",
    "AllocationScheme",
    "Arm",
    "Assignment",
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
    "Theme",
    "ThemeAnswer",
    "ThemeKind",
    "TimeGiven",
    "Wave",
    "WaveStatus",
    "WaveTheme",
]
