"""Panel members and, apart from them, their contact details.

Nothing outside panel management reads `MemberContact`: answers, analysis and exports
know a member only by their pseudonymous id.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveyplatform.uploads import CheckedUpload


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class PanelMember(models.Model):
    council = models.ForeignKey(
        "experiments.Council", on_delete=models.CASCADE, related_name="panel_members"
    )
    external_id = models.CharField(max_length=100, help_text="The council's own panel id.")
    preferred_language = models.CharField(max_length=5, choices=settings.LANGUAGES, default="en")
    ward = models.CharField(max_length=100, blank=True)
    age_band = models.CharField(max_length=20, blank=True)
    gender = models.CharField(max_length=30, blank=True)
    household_key = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=15, choices=MemberStatus.choices, default="active")
    created_at = models.DateTimeField(auto_now_add=True)
    # When the member stopped being active (set by save), and when they were erased.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["council", "external_id"], name="external_id_unique_per_council"
            )
        ]
        # The about-you page's wards, read one index probe per ward (panel.wards).
        indexes = [models.Index(fields=["council", "ward"], name="panel_member_council_ward")]

    def __str__(self) -> str:
        return f"Member {self.external_id} ({self.council})"

    def save(self, *args, **kwargs):
        """Record when the member stopped being active, for the retention job."""
        if self.status == MemberStatus.ACTIVE:
            self.withdrawn_at = None
        elif self.withdrawn_at is None:
            self.withdrawn_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" in update_fields:
            kwargs["update_fields"] = {*update_fields, "withdrawn_at"}
        super().save(*args, **kwargs)


class MemberContact(models.Model):
    member = models.OneToOneField(PanelMember, on_delete=models.CASCADE, related_name="contact")
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"Contact of member #{self.member_id}"


class PanelUpload(CheckedUpload):
    """A panel file (members and their contact details) of one council."""
