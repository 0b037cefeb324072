import pytest
from django.core.management import CommandError, call_command

from experiments.assignment import assign_member
from experiments.models import AllocationState, Assignment, Wave
from tests.factories import PanelMemberFactory, WaveFactory, guards_off

pytestmark = pytest.mark.django_db


def _allocated_wave(count=12, **fields):
    wave = WaveFactory(**fields)
    for member in PanelMemberFactory.create_batch(count, council=wave.council):
        assign_member(wave, member=member)
    return Wave.objects.get(pk=wave.pk)


@pytest.mark.parametrize("scheme", ["blocks", "simple", "cluster"])
def test_an_untouched_allocation_verifies(scheme, capsys):
    wave = _allocated_wave(allocation_scheme=scheme)

    call_command("verify_allocation", str(wave.pk))

    assert capsys.readouterr().out == f"Wave {wave.pk}: 12 assignment(s) verified, no mismatch\n"


def test_a_tampered_arm_is_reported_with_a_non_zero_exit(capsys):
    # given a verified wave whose first assignment is then edited in the database
    wave = _allocated_wave(allocation_scheme="blocks")
    tampered = Assignment.objects.filter(wave=wave).order_by("pk").first()
    other_arm = "a" if tampered.arm != "a" else "b"
    Assignment.objects.filter(pk=tampered.pk).update(arm=other_arm)

    # when the wave is verified
    with pytest.raises(CommandError, match="1 mismatch"):
        call_command("verify_allocation", str(wave.pk))

    # then the tampered row is named
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"Wave {wave.pk}: 1 mismatch(es)",
        f"  assignment #{tampered.pk} (member #{tampered.member_id}): "
        f"arm {other_arm!r}, re-derived {tampered.arm!r}",
    ]


def test_a_tampered_simple_arm_is_reported():
    wave = _allocated_wave(allocation_scheme="simple")
    tampered = Assignment.objects.filter(wave=wave).first()
    Assignment.objects.filter(pk=tampered.pk).update(arm="none" if tampered.arm != "none" else "a")

    with pytest.raises(CommandError, match="1 mismatch"):
        call_command("verify_allocation", str(wave.pk))


def test_a_slot_used_twice_and_a_miscount_are_reported(capsys):
    wave = _allocated_wave(count=4, allocation_scheme="blocks")
    first, second = Assignment.objects.filter(wave=wave).order_by("pk")[:2]
    Assignment.objects.filter(pk=second.pk).update(
        arm=first.arm, position_in_block=first.position_in_block
    )
    AllocationState.objects.filter(wave=wave).update(allocated=5)

    with pytest.raises(CommandError, match="3 mismatch"):
        call_command("verify_allocation", str(wave.pk))

    out = capsys.readouterr().out
    assert "is used twice" in out
    assert "leave a gap in the sequence" in out
    assert "counts 5 allocations, the log has 4" in out


def test_a_tampered_design_or_seed_is_reported(capsys):
    wave = _allocated_wave(count=2, allocation_scheme="blocks")
    with guards_off("wave"):  # the database refuses this; suppose it got through
        Wave.objects.filter(pk=wave.pk).update(seed="f" * 64)

    with pytest.raises(CommandError):
        call_command("verify_allocation", str(wave.pk))

    assert "the seed does not match the design's commitment" in capsys.readouterr().out


def test_all_waves_are_verified_with_all(capsys):
    first = _allocated_wave(count=3, allocation_scheme="blocks")
    second = _allocated_wave(count=2, experiment_on=False)

    call_command("verify_allocation", "--all")

    assert capsys.readouterr().out.splitlines() == [
        f"Wave {first.pk}: 3 assignment(s) verified, no mismatch",
        f"Wave {second.pk}: 2 assignment(s) verified, no mismatch",
    ]


def test_an_unknown_wave_or_no_argument_is_refused():
    with pytest.raises(CommandError, match="There is no wave 999999"):
        call_command("verify_allocation", "999999")
    with pytest.raises(CommandError, match="Give either a wave id or --all"):
        call_command("verify_allocation")
