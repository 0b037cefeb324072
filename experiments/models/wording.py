"""A council's own wording of a questionnaire item in one wave, in both languages."""

from django.db import models

from experiments.models.instrument import Item, Theme
from experiments.models.waves import Wave


class ItemWording(models.Model):
    """Replace the platform's default wording of one item on one theme's page of a wave."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="item_wordings")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="item_wordings")
    item = models.CharField(max_length=30, choices=Item.choices)
    text_en = models.CharField("wording (English)", max_length=500)
    text_cy = models.CharField("wording (Welsh)", max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "theme", "item"], name="one_wording_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()} — {self.theme.name_en} in {self.wave}"
