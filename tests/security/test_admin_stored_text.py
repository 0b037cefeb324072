"""Django admin shows stored text as text: template and format syntax in a theme's name,
a wave's title or any other stored field never makes a page answer 500.

Every model registered in the admin gets an object whose text fields hold the payload,
and the superuser opens its list, its change page and the wave's allocation monitor.
A model added to the admin without an object here fails the walk.
"""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.recovery import make_recovery_codes
from accounts.tokens import issue_token
from analysis.models import AnalysisRun, RunStatus
from audit.log import record_action
from experiments.models import EmailDelivery, ItemWording, WaveStatus
from outbox.models import OutboxMessage
from tests.factories import (
    ActivityFactory,
    CouncilFactory,
    CouncilMembershipFactory,
    MemberContactFactory,
    NudgeTextFactory,
    UserFactory,
    WaveFactory,
    WaveThemeFactory,
)

PAYLOAD = "{% if 1 %}{{ x }}{0}{} %s %(x)s <b>bold</b>{% endif %}"


def results_with(theme_name: str) -> dict:
    values = {"n": 3, "individual_index": 0.5, "collective_index": 0.25}
    return {"cases": [{"theme": theme_name, **values, "by_arm": {"ab": values, "none": values}}]}


@pytest.fixture
def stored_payload(db):
    """One object of every model in the admin, each text field holding the payload."""
    council = CouncilFactory(name=f"Council {PAYLOAD}")
    wave = WaveFactory(council=council, title=PAYLOAD, status=WaveStatus.CLOSED)
    wave_theme = WaveThemeFactory(wave=wave, theme__name_en=PAYLOAD, theme__name_cy=PAYLOAD)
    ActivityFactory(theme=wave_theme.theme, text_en=PAYLOAD, text_cy=PAYLOAD)
    NudgeTextFactory(wave=wave, theme=wave_theme.theme, nudge="a", text_en=PAYLOAD)
    ItemWording.objects.create(
        wave=wave, theme=wave_theme.theme, item="collective", text_en=PAYLOAD, text_cy=PAYLOAD
    )
    contact = MemberContactFactory(
        member__council=council, member__external_id=PAYLOAD, member__ward=PAYLOAD, name=PAYLOAD
    )
    EmailDelivery.objects.create(wave=wave, member=contact.member, kind="invitation", error=PAYLOAD)
    membership = CouncilMembershipFactory(council=council, user__first_name=PAYLOAD)
    AnalysisRun.objects.create(
        wave=wave,
        status=RunStatus.FAILED,
        error=PAYLOAD,
        results=results_with(PAYLOAD),
        finished_at=timezone.now(),
    )
    OutboxMessage.objects.create(task_name=PAYLOAD, kwargs={"x": PAYLOAD}, last_error=PAYLOAD)
    record_action(
        membership.user,
        action="edit_theme",
        council=council,
        summary=PAYLOAD,
        details={"x": PAYLOAD},
    )
    TOTPDevice.objects.create(user=membership.user, name=PAYLOAD, confirmed=False)
    issue_token(membership.user, name=PAYLOAD)
    make_recovery_codes(membership.user)
    Group.objects.create(name=PAYLOAD)
    seen = {"username": PAYLOAD, "user_agent": PAYLOAD, "path_info": "/", "http_accept": PAYLOAD}
    AccessAttempt.objects.create(**seen, ip_address="203.0.113.9", failures_since_start=1)
    AccessLog.objects.create(**seen, ip_address="203.0.113.9")
    AccessFailureLog.objects.create(**seen, ip_address="203.0.113.9", locked_out=False)
    return wave


def test_every_admin_page_of_every_model_shows_stored_template_syntax_as_text(
    client, stored_payload
):
    superuser = UserFactory(username="platform-root", is_superuser=True)
    client.force_login(superuser)

    pages = []
    for model in admin.site._registry:
        opts = model._meta
        objects = list(model.objects.all()[:3])
        assert objects, f"no {opts.label} to show: add one to the fixture"
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        pages += [
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            for obj in objects
        ]
    pages.append(reverse("admin:experiments_wave_allocation", args=[stored_payload.pk]))

    answers = {page: client.get(page) for page in pages}

    assert {page: r.status_code for page, r in answers.items() if r.status_code != 200} == {}
    run_page = answers[
        reverse("admin:analysis_analysisrun_change", args=[AnalysisRun.objects.get().pk])
    ].content.decode()
    assert "<td>{% if 1 %}{{ x }}{0}{} %s %(x)s &lt;b&gt;bold&lt;/b&gt;{% endif %}</td>" in run_page
    assert "<b>bold</b>" not in "".join(r.content.decode() for r in answers.values())
