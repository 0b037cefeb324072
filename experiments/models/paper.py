"""Paper questionnaires and telephone scripts printed for a member, with what they showed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from experiments.models.allocation import Arm
from experiments.models.waves import NudgeText, Wave


class PaperCopyKind(models.TextChoices):
    PAPER = "paper", _("Paper questionnaire")
    PHONE = "phone", _("Telephone interview script")


class PaperCopy(models.Model):
    """One printing of a member's offline questionnaire: the arm and nudge versions it holds.

    The arm is the member's assignment at the moment of printing (drawn then if need be),
    copied here so that the import can check a returned questionnaire against the version
    printed; the nudge texts are the exact versions printed, recorded as exposures when
    the answers are imported.
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="paper_copies")
    member = models.ForeignKey(
        "panel.PanelMember", on_delete=models.CASCADE, related_name="paper_copies"
    )
    kind = models.CharField(max_length=5, choices=PaperCopyKind.choices)
    arm = models.CharField(max_length=4, choices=Arm.choices)
    language = models.CharField(max_length=5, choices=settings.LANGUAGES)
    nudge_texts = models.ManyToManyField(NudgeText, related_name="paper_copies")
    printed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["wave", "member", "printed_at"])]

    def __str__(self) -> str:
        return f"Paper copy #{self.pk}"
