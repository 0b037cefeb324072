"""Messages to members after a wave: the debrief and the "you said, we did" summary."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from experiments.models.waves import Wave


class DebriefKind(models.TextChoices):
    DEBRIEF = "debrief", _("Debrief")
    SUMMARY = "summary", _("You said, we did")


class Debrief(models.Model):
    """One bilingual message of a wave; drafted automatically, sent only after approval."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="debriefs")
    kind = models.CharField(max_length=10, choices=DebriefKind.choices)
    text_en = models.TextField(_("text in English"))
    text_cy = models.TextField(_("text in Welsh"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["wave", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "kind"], name="one_debrief_of_a_kind_per_wave"),
            models.CheckConstraint(
                condition=models.Q(sent_at__isnull=True) | models.Q(approved_at__isnull=False),
                name="debrief_sent_only_after_approval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.wave}"

    def text_in(self, language: str) -> str:
        return self.text_cy if language == "cy" and self.text_cy else self.text_en
