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
    name_cy = models.CharField(
        "name (Welsh)",
        max_length=200,
        blank=True,
        validators=[validate_one_line],
        help_text="Shown on Welsh pages and e-mails.",
    )
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
    # Staff of this council must sign in with a second factor; those without one are
    # sent to set it up (experiments.policy.staff_access).
    second_factor_required = models.BooleanField(
        _("second factor required"),
        default=False,
        help_text=_("Staff of this council must sign in with a code from an authenticator app."),
    )

    # Who is asking: the panel team members may contact, and the council's privacy notice
    # (members read it from every questionnaire page and the start page).
    panel_email = models.EmailField("panel team e-mail", blank=True)
    panel_telephone = models.CharField("panel team telephone", max_length=40, blank=True)
    lawful_basis_en = models.TextField(
        "lawful basis (English)",
        blank=True,
        help_text="Why the council may process the answers under UK GDPR; empty: public task.",
    )
    lawful_basis_cy = models.TextField("lawful basis (Welsh)", blank=True)
    privacy_notice_en = models.TextField(
        "more about privacy (English)",
        blank=True,
        help_text="Anything the notice must add: the data protection officer, sharing, etc.",
    )
    privacy_notice_cy = models.TextField("more about privacy (Welsh)", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        """Return the council's name in the language, the English one when there is no Welsh."""
        return self.name_cy if language == "cy" and self.name_cy else self.name


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
