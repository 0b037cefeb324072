"""The experiments domain's models, one module per concept."""

from experiments.models.allocation import AllocationScheme, Arm, Assignment
from experiments.models.councils import Council, CouncilMembership, CouncilRole, Nation
from experiments.models.instrument import (
    ETHNIC_GROUP_LABELS_WALES,
    Activity,
    AgeBand,
    Agreement,
    Condition,
    EthnicGroup,
    Frequency,
    Gender,
    Item,
    Qualification,
    Satisfaction,
    Theme,
    ThemeKind,
    TimeGiven,
)
from experiments.models.invitations import Invitation
from experiments.models.responses import (
    ActivityAnswer,
    Exposure,
    PageVisit,
    Response,
    ResponseStatus,
    ThemeAnswer,
)
from experiments.models.waves import (
    Nudge,
    NudgeText,
    TimeQuestions,
    Wave,
    WaveStatus,
    WaveTheme,
)
from experiments.models.wording import ItemWording

__all__ = [
    "ETHNIC_GROUP_LABELS_WALES",
    "Activity",
    "ActivityAnswer",
    "AgeBand",
    "Agreement",
    "AllocationScheme",
    "Arm",
    "Assignment",
    "Condition",
    "Council",
    "CouncilMembership",
    "CouncilRole",
    "EthnicGroup",
    "Exposure",
    "Frequency",
    "Gender",
    "Invitation",
    "Item",
    "ItemWording",
    "Nation",
    "Nudge",
    "NudgeText",
    "PageVisit",
    "Qualification",
    "Response",
    "ResponseStatus",
    "Satisfaction",
    "Theme",
    "ThemeAnswer",
    "ThemeKind",
    "TimeGiven",
    "TimeQuestions",
    "Wave",
    "WaveStatus",
    "WaveTheme",
]
