"""Councils and the staff roles that scope every query to them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveyplatform.text import validate_one_line


class Nation(models.TextChoices):
    ENGLAND = "england", _("England")
    WALES = "wales", _("Wales")


class Council(models.Model):
    # May sign the panel's e-mails: one line.
    name = models.CharField(max_length=200, unique=True, validators=[validate_one_line])
    slug = models.SlugField(max_length=60, unique=True)
    nation = models.CharField(max_length=10, choices=Nation.choices, default=Nation.ENGLAND)
    created_at = models.DateTimeField(auto_now_add=True)
    # GDPR: whether answers of an erased member are kept (a recorded research exemption),
    # and how long after withdrawal or the member's last wave closing they are kept at all.
    research_exemption = models.BooleanField(
        default=False,
        help_text="The council recorded a research exemption: erasure keeps the answers.",
    )
    retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Erase members this many days after they withdrew or their last wave "
        "closed (empty: never automatically).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CouncilRole(models.TextChoices):
    ADMIN = "admin", _("Council admin")
    RESEARCHER = "researcher", _("Researcher")


class CouncilMembership(models.Model):
    """Grant a staff user a role in one council; every query for staff is scoped by these."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="council_memberships"
    )
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=CouncilRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "council"], name="one_role_per_council")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.council} ({self.get_role_display()})"
