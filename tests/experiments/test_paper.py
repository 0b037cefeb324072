"""Paper questionnaires allocate their members when printed, by the wave's own scheme."""

import csv
import io
from collections import Counter

import pytest
from django.core.management import call_command

from analysis.datasets import load_case_frame, load_flow_frame
from experiments.assignment import assign_member
from experiments.invitations import issue_invitation
from experiments.models import (
    AllocationState,
    Arm,
    Assignment,
    Exposure,
    PaperCopy,
    Response,
    WaveStatus,
)
from experiments.paper import (
    PrintRefused,
    members_to_print,
    parse_external_ids,
    print_copies,
    version_code,
)
from experiments.response_imports import (
    ResponseFileError,
    check_response_file,
    import_response_file,
)
from panel.models import MemberStatus
from tests.factories import (
    ActivityFactory,
    NudgeTextFactory,
    PanelMemberFactory,
    WaveFactory,
    WaveThemeFactory,
)

pytestmark = pytest.mark.django_db


def invited_members(wave, count, prefix="P"):
    members = []
    for i in range(count):
        member = PanelMemberFactory(council=wave.council, external_id=f"{prefix}-{i:03d}")
        issue_invitation(wave, member=member)
        members.append(member)
    return members


def test_printing_allocates_forty_members_in_permuted_blocks_and_the_log_verifies(capsys):
    # Given an open wave allocating by permuted blocks, 40 invited members in one stratum
    wave = WaveFactory(allocation_scheme="blocks")
    members = invited_members(wave, 40)

    # When every invited member's paper questionnaire is printed
    copies = print_copies(wave, members=members_to_print(wave, external_ids=None), kind="paper")

    # Then each has an arm from the blocks, recorded on their copy with its version code
    assignments = {a.member_id: a for a in Assignment.objects.filter(wave=wave)}
    assert len(assignments) == len(copies) == 40
    assert {a.scheme for a in assignments.values()} == {"blocks"}
    printed = dict(PaperCopy.objects.filter(wave=wave).values_list("member_id", "arm"))
    assert printed == {pk: a.arm for pk, a in assignments.items()}
    by_external_id = {m.external_id: assignments[m.pk].arm for m in members}
    assert [c.version for c in copies] == [
        version_code(by_external_id[c.external_id]) for c in copies
    ]
    # Blocks of 4 or 8 hold every arm equally often: only the unfinished last block (at
    # most 2 of each arm in a block of 8) can unbalance the counts.
    counts = Counter(a.arm for a in assignments.values())
    assert set(counts) == set(Arm.values)
    assert max(counts.values()) - min(counts.values()) <= 2
    assert AllocationState.objects.get(wave=wave).allocated == 40
    call_command("verify_allocation", str(wave.pk))
    assert capsys.readouterr().out == f"Wave {wave.pk}: 40 assignment(s) verified, no mismatch\n"


def test_printing_again_keeps_every_arm_and_uses_no_new_slot():
    wave = WaveFactory(allocation_scheme="blocks")
    members = invited_members(wave, 6)
    opened_online = members[0]
    online_arm = assign_member(wave, member=opened_online).arm
    print_copies(wave, members=members, kind="paper")
    arms = dict(Assignment.objects.filter(wave=wave).values_list("member_id", "arm"))

    again = print_copies(
        wave, members=members_to_print(wave, external_ids=["P-000", "P-003"]), kind="phone"
    )

    assert arms[opened_online.pk] == online_arm
    assert dict(Assignment.objects.filter(wave=wave).values_list("member_id", "arm")) == arms
    assert AllocationState.objects.get(wave=wave).allocated == 6
    assert [c.version for c in again] == [
        version_code(arms[members[0].pk]),
        version_code(arms[members[3].pk]),
    ]
    assert PaperCopy.objects.filter(wave=wave, kind="phone").count() == 2


@pytest.mark.parametrize("status", [WaveStatus.DRAFT, WaveStatus.CLOSED])
def test_a_wave_that_is_not_open_prints_and_allocates_nobody(status):
    wave = WaveFactory(status=status)
    members = invited_members(wave, 2)

    with pytest.raises(PrintRefused, match="only be printed while the wave is open"):
        print_copies(wave, members=members, kind="paper")

    assert not Assignment.objects.filter(wave=wave).exists()
    assert not PaperCopy.objects.exists()


def test_the_default_choice_is_the_invited_active_members_who_have_not_answered():
    wave = WaveFactory()
    waiting, answered_online, answered_on_paper, withdrawn = invited_members(wave, 4)
    PanelMemberFactory(council=wave.council, external_id="NOT-INVITED")
    Response.objects.create(wave=wave, member=answered_online)
    Response.objects.create(wave=wave, member=answered_on_paper, mode="paper")
    withdrawn.status = MemberStatus.WITHDRAWN
    withdrawn.save()

    assert members_to_print(wave, external_ids=None) == [waiting]


def test_listed_members_are_checked_all_at_once():
    wave = WaveFactory()
    _waiting, answered_online, withdrawn = invited_members(wave, 3)
    Response.objects.create(wave=wave, member=answered_online)
    withdrawn.status = MemberStatus.WITHDRAWN
    withdrawn.save()
    elsewhere = PanelMemberFactory(external_id="ELSEWHERE")

    with pytest.raises(PrintRefused) as refused:
        members_to_print(
            wave, external_ids=["P-000", "P-001", "P-002", elsewhere.external_id, "NOBODY"]
        )

    assert str(refused.value) == (
        "The member “P-001” has already answered this wave online. "
        "The member “P-002” is not active on the panel. "
        "No member of this council's panel has the external id “ELSEWHERE”. "
        "No member of this council's panel has the external id “NOBODY”."
    )
    assert not Assignment.objects.exists()


def test_pasted_ids_are_split_on_lines_commas_and_tabs_without_repeats():
    text = 'external_id\r\nP-1, P-2\n\n"P-3"\tP-1;P-4\n'

    assert parse_external_ids(text) == ["P-1", "P-2", "P-3", "P-4"]


# --- The round trip: print, key in, import, analyse ------------------------------------------


def keyed_file(theme, activities, rows: list[dict]) -> bytes:
    prefix = f"t{theme.pk}_"
    header = [
        "external_id",
        "mode",
        "arm",
        f"{prefix}collective",
        f"{prefix}efficacy",
        *(f"{prefix}a{a.pk}" for a in activities),
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({name: row.get(name, "") for name in header} for row in rows)
    return buffer.getvalue().encode()


def test_printed_questionnaires_keyed_in_are_imported_and_analysed_with_their_arms():
    # Given an open wave with nudges A and B and eight members whose copies are printed
    wave = WaveFactory(allocation_scheme="blocks")
    theme = WaveThemeFactory(wave=wave).theme
    activities = [ActivityFactory(theme=theme) for _ in range(2)]
    nudge_a = NudgeTextFactory(wave=wave, theme=theme, nudge="a")
    nudge_b = NudgeTextFactory(wave=wave, theme=theme, nudge="b")
    members = invited_members(wave, 8)
    copies = print_copies(wave, members=members, kind="paper")
    prefix = f"t{theme.pk}_"

    # When the returns are keyed with the version printed on each copy and imported
    rows = [
        {
            "external_id": copy.external_id,
            "mode": "2",
            "arm": str(copy.version),
            f"{prefix}collective": "1",
            f"{prefix}efficacy": "2",
            **{f"{prefix}a{a.pk}": "1" for a in activities},
        }
        for copy in copies
    ]
    result = import_response_file(
        wave, content=keyed_file(theme, activities, rows), filename="returns.csv"
    )

    # Then every return is a paper response of its printed arm, exposed to what was printed
    assert (result.created, result.updated, result.unchanged) == (8, 0, 0)
    arms = dict(Assignment.objects.filter(wave=wave).values_list("member_id", "arm"))
    for member in members:
        response = Response.objects.get(wave=wave, member=member)
        assert (response.mode, response.status) == ("paper", "complete")
        expected = {"ab": {nudge_a.pk, nudge_b.pk}, "a": {nudge_a.pk}, "b": {nudge_b.pk}}
        shown = set(
            Exposure.objects.filter(response=response).values_list("nudge_text_id", flat=True)
        )
        assert shown == expected.get(arms[member.pk], set())
    # And the analysis takes them in, each under the arm printed on their copy
    frame = load_case_frame(wave.pk)
    assert len(frame) == 8
    assert dict(zip(frame["member_id"], frame["arm"], strict=True)) == arms
    flow = load_flow_frame(wave.pk).set_index("member_id")
    assert flow["exposed"].to_dict() == {pk: arm != "none" for pk, arm in arms.items()}

    # And importing the same file again records no second exposure
    import_response_file(wave, content=keyed_file(theme, activities, rows), filename="r.csv")
    assert Exposure.objects.filter(response__wave=wave).count() == sum(
        len(Arm(arm).nudges) for arm in arms.values()
    )


def test_a_return_keyed_with_another_version_than_printed_is_refused():
    wave = WaveFactory()
    theme = WaveThemeFactory(wave=wave).theme
    activities = [ActivityFactory(theme=theme)]
    (member,) = invited_members(wave, 1)
    (copy,) = print_copies(wave, members=[member], kind="paper")
    other = next(code for code in (1, 2, 3, 4) if code != copy.version)
    content = keyed_file(
        theme, activities, [{"external_id": member.external_id, "mode": "2", "arm": str(other)}]
    )

    report = check_response_file(wave, content=content, filename="returns.csv")

    assert [(p.row, p.column) for p in report.problems] == [(2, "arm")]
    with pytest.raises(ResponseFileError):
        import_response_file(wave, content=content, filename="returns.csv")
    assert not Response.objects.filter(wave=wave).exists()
