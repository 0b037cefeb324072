"""Blinding: a council admin never learns a member's arm, nor which group is which arm
while the wave is open, from any console page or API answer.

Every console route (from the URL resolver) and every API read (from the schema) is
rendered as the council's admin, for an open wave whose members were allocated and
answered, and for a closed one; the answers must not name an arm.
"""

import json
import re

import pytest
from django.urls import get_resolver, reverse

from accounts.models import ApiToken
from experiments.assignment import assign_member
from experiments.models import (
    Arm,
    CouncilRole,
    Debrief,
    EmailCopy,
    InvitationBatch,
    ResponseUpload,
    WaveStatus,
)
from experiments.policy import SYSTEM
from experiments.waves import open_wave
from tests.console.test_tenancy_routes import walk
from tests.factories import (
    CouncilMembershipFactory,
    EmailDeliveryFactory,
    MemberContactFactory,
    PanelUploadFactory,
    ReminderScheduleFactory,
    WaveFactory,
    WaveThemeFactory,
    make_openable,
)
from tests.security.test_staff_gate import api_operations

ARM_NAMES = [str(arm.label) for arm in Arm if arm != Arm.NONE] + ["A a B", "A yn unig", "B yn unig"]
# An arm's code next to a member: "member #12 …: ab", or a JSON "arm" with a value.
MEMBER_ARM = re.compile(r"member #\d+[^<\n]*:\s*(ab|a|b|none)\b")


GROUP = re.compile(r"Group \d|Grŵp \d")
ROW = re.compile(r"<tr|<li|<div|\n")


def leaks(body: str, *, members=()) -> list[str]:
    """Return what in an answer ties an arm to a member, or to a neutral group label.

    The arms themselves may be named (the nudge editor explains them, the preview shows
    each); what must never appear is which member, or which "Group n", is which arm.
    """
    found = MEMBER_ARM.findall(body)
    for row in ROW.split(body):
        named = [name for name in ARM_NAMES if name in row]
        if named and GROUP.search(row):
            found.append(f"group and arm in one row: {row[:120]!r}")
        if named and any(member.external_id in row for member in members):
            found.append(f"member and arm in one row: {row[:120]!r}")
    try:
        data = json.loads(body)
    except ValueError:
        return found

    def visit(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("arm", "arms_by_member") and item not in (None, [], {}):
                    found.append(f"{key}={item!r}")
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(data)
    return found


@pytest.fixture
def council_admin_of_a_running_study(db, client):
    """An admin signed in, whose council has an open wave with allocated members, and a
    closed one; every kind of object the console shows exists."""
    membership = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    council = membership.council
    wave = WaveFactory(council=council, status=WaveStatus.DRAFT)
    theme = WaveThemeFactory(wave=wave).theme
    make_openable(wave)
    open_wave(SYSTEM, wave)
    members = [MemberContactFactory(member__council=council).member for _ in range(8)]
    for member in members:
        assign_member(wave, member=member)
    closed = WaveFactory(council=council, status=WaveStatus.DRAFT)
    WaveThemeFactory(wave=closed, theme=theme)
    make_openable(closed)
    open_wave(SYSTEM, closed)
    for member in members[:4]:
        assign_member(closed, member=member)
    closed.status = WaveStatus.CLOSED
    closed.save(update_fields=["status"])
    client.force_login(membership.user)
    return {
        "wave": wave,
        "closed_wave": closed,
        "theme": theme,
        "member": members[0],
        "members": members,
        "upload": PanelUploadFactory(council=council),
        "response_upload": ResponseUpload.objects.create(
            council=council, wave=wave, filename="r.csv", content=b"", report={}
        ),
        "delivery": EmailDeliveryFactory(wave=wave, member=members[0]),
        "reminder": ReminderScheduleFactory(wave=wave),
        "debrief": Debrief.objects.create(wave=closed, kind="debrief", text_en="E", text_cy="C"),
        "council": council,
        "batch": InvitationBatch.objects.create(
            wave=wave, rule="not_invited", eligible=1, member_ids=[members[0].pk]
        ),
        "email": EmailCopy.objects.create(
            wave=wave,
            kind="invitation",
            staff_address=membership.user.email,
            staff_user=membership.user,
            from_header="Council <panel@example.org>",
            subject="[Test] Your views",
            body="Dear Alex Morgan,",
        ),
        "token": ApiToken.objects.create(
            user=membership.user, prefix="sp_blinding", key_hash="0" * 64
        ),
    }


PARAMETERS = {
    "wave_id": "wave",
    "theme_id": "theme",
    "member_id": "member",
    "upload_id": "upload",
    "response_upload_id": "response_upload",
    "debrief_id": "debrief",
    "batch_id": "batch",
    "email_id": "email",
    "token_id": "token",
}


def console_pages(objects, wave_key: str):
    for name, _route, params in walk(get_resolver().url_patterns):
        if name.split(":")[0] != "console" or name in ("console:unsubscribe", "console:logout"):
            continue
        kwargs = {}
        for param in params:
            key = wave_key if param == "wave_id" else PARAMETERS[param]
            kwargs[param] = objects[key].pk
        yield name, reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("wave_key", ["wave", "closed_wave"])
def test_no_console_page_names_an_arm_to_a_council_admin(
    client, council_admin_of_a_running_study, wave_key
):
    objects = council_admin_of_a_running_study

    answers = {name: client.get(url) for name, url in console_pages(objects, wave_key)}

    members = objects["members"]
    found = {name: leaks(r.content.decode(), members=members) for name, r in answers.items()}
    assert {name: names for name, names in found.items() if names} == {}
    # The pages were really shown (a refusal would hide nothing).
    assert answers["console:wave"].status_code == 200
    assert answers["console:audit"].status_code == 200
    assert answers["console:wave_balance"].status_code == 200
    for page in ("console:wave_dashboard", "console:wave_balance"):
        assert "Group 1" in answers[page].content.decode()


def test_no_api_answer_names_an_arm_to_a_council_admin(client, council_admin_of_a_running_study):
    objects = council_admin_of_a_running_study
    reads = [path for method, path in api_operations() if method == "get"]

    answers = {}
    for path in reads:
        for key in ("wave", "closed_wave"):
            filled = path.replace("/1/", f"/{objects[key].pk}/")
            answers[filled] = client.get(filled)

    members = objects["members"]
    found = {path: leaks(r.content.decode(), members=members) for path, r in answers.items()}
    assert {path: names for path, names in found.items() if names} == {}
    monitoring = client.get(f"/api/v1/waves/{objects['wave'].pk}/monitoring/").json()
    assert [row["label"] for row in monitoring["arms"]] == [f"Group {n}" for n in (1, 2, 3, 4)]


def test_the_audit_log_records_an_allocation_without_its_arm(council_admin_of_a_running_study):
    from audit.models import AuditEntry

    entries = AuditEntry.objects.filter(action="assign")

    assert entries.count() == 12
    assert all(leaks(entry.summary) == [] and "arm" not in entry.details for entry in entries)
