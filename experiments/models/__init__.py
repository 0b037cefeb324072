"""The experiments domain's models, one module per concept."""

from experiments.models.allocation import (
    AllocationScheme,
    AllocationState,
    Arm,
    Assignment,
    ClusterAllocation,
)
from experiments.models.councils import Council, CouncilMembership, CouncilRole, Nation
from experiments.models.debriefs import Debrief, DebriefKind
from experiments.models.deviations import Deviation, DeviationKind
from experiments.models.emails import DeliveryStatus, EmailDelivery, EmailKind, ReminderSchedule
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
from experiments.models.invitations import EarlierInvitationToken, Invitation
from experiments.models.paper import PaperCopy, PaperCopyKind
from experiments.models.responses import (
    ActivityAnswer,
    Exposure,
    PageVisit,
    RecalledNudge,
    Response,
    ResponseMode,
    ResponseStatus,
    ThemeAnswer,
)
from experiments.models.uploads import ResponseUpload
from experiments.models.waves import (
    Nudge,
    NudgeText,
    Stratification,
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
    "AllocationState",
    "Arm",
    "Assignment",
    "ClusterAllocation",
    "Condition",
    "Council",
    "CouncilMembership",
    "CouncilRole",
    "Debrief",
    "DebriefKind",
    "DeliveryStatus",
    "Deviation",
    "DeviationKind",
    "EarlierInvitationToken",
    "EmailDelivery",
    "EmailKind",
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
    "PaperCopy",
    "PaperCopyKind",
    "Qualification",
    "RecalledNudge",
    "ReminderSchedule",
    "Response",
    "ResponseMode",
    "ResponseStatus",
    "ResponseUpload",
    "Satisfaction",
    "Stratification",
    "Theme",
    "ThemeAnswer",
    "ThemeKind",
    "TimeGiven",
    "TimeQuestions",
    "Wave",
    "WaveStatus",
    "WaveTheme",
]
