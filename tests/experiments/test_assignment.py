import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from experiments.assignment import (
    AllocationError,
    assign_member,
    blocks,
    sequence_slot,
    simple_arm,
    verify_wave_allocation,
)
from experiments.models import AllocationState, Arm, Assignment, ClusterAllocation, Wave
from experiments.responses import begin_response
from tests.factories import PanelMemberFactory, WaveFactory, guards_off


def test_simple_arm_is_a_fixed_function_of_seed_and_member():
    arms = [simple_arm("a" * 64, member_id) for member_id in range(1, 9)]

    assert arms == [simple_arm("a" * 64, member_id) for member_id in range(1, 9)]
    assert set(arms) <= set(Arm)
    assert arms != [simple_arm("b" * 64, member_id) for member_id in range(1, 9)]


def test_simple_arm_uses_all_four_arms_evenly_over_many_members():
    from collections import Counter

    counts = Counter(simple_arm("c" * 64, member_id) for member_id in range(8000))

    assert set(counts) == set(Arm)
    assert all(1800 < n < 2200 for n in counts.values())


@pytest.mark.django_db
def test_assigning_twice_keeps_the_original_arm():
    wave = WaveFactory()
    member = PanelMemberFactory(council=wave.council)

    first = assign_member(wave, member=member)
    wave.seed = "f" * 64  # even a changed seed cannot move an existing assignment
    second = assign_member(wave, member=member)

    assert first.pk == second.pk
    assert second.arm == first.arm
    assert Assignment.objects.count() == 1


@pytest.mark.django_db
def test_a_wave_without_the_experiment_assigns_everyone_to_none():
    wave = WaveFactory(experiment_on=False)
    members = PanelMemberFactory.create_batch(12, council=wave.council)

    arms = {assign_member(wave, member=m).arm for m in members}

    assert arms == {Arm.NONE}


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_openings_of_one_member_store_one_assignment():
    wave = WaveFactory()
    member = PanelMemberFactory(council=wave.council)
    barrier = threading.Barrier(10)
    arms: list[str] = []

    def open_once():
        try:
            barrier.wait()
            arms.append(assign_member(wave, member=member).arm)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_once) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Assignment.objects.filter(wave=wave, member=member).count() == 1
    assert len(arms) == 10
    assert len(set(arms)) == 1


# --- The block generator ---------------------------------------------------------------


def _reference_blocks(seed: str, stratum: str, count: int) -> list[list[str]]:
    """Implement the generator documented in experiments.assignment independently."""
    import hashlib as h
    import hmac as m
    import struct

    key = m.new(seed.encode(), b"surveyplatform/blocks/v1|" + stratum.encode(), h.sha256).digest()
    stream = b"".join(
        m.new(key, struct.pack(">Q", counter), h.sha256).digest() for counter in range(4096)
    )
    words = iter(struct.unpack(f">{len(stream) // 4}I", stream))

    def below(n: int) -> int:
        for word in words:
            if word < 2**32 - 2**32 % n:
                return word % n
        raise AssertionError("stream exhausted")

    result = []
    for _ in range(count):
        size = (4, 8)[below(2)]
        block = ["ab", "a", "b", "none"] * (size // 4)
        for i in range(size - 1, 0, -1):
            j = below(i + 1)
            block[i], block[j] = block[j], block[i]
        result.append(block)
    return result


def test_a_fixed_seed_gives_a_fixed_block_sequence():
    generator = blocks("0" * 64, "")

    first = [[arm.value for arm in next(generator)] for _ in range(4)]

    assert first == [
        ["b", "a", "none", "ab"],
        ["ab", "b", "a", "none"],
        ["none", "ab", "b", "ab", "a", "b", "a", "none"],
        ["ab", "b", "a", "none"],
    ]


def test_each_stratum_has_its_own_fixed_sequence():
    generator = blocks("0" * 64, '{"ward":"Central"}')

    first = [[arm.value for arm in next(generator)] for _ in range(2)]

    assert first == [
        ["b", "a", "ab", "a", "none", "ab", "b", "none"],
        ["ab", "a", "b", "none", "ab", "a", "none", "b"],
    ]


def test_the_generator_matches_an_independent_implementation_of_its_documentation():
    generator = blocks("5eed" * 16, '{"gender":"female"}')

    produced = [[arm.value for arm in next(generator)] for _ in range(300)]

    assert produced == _reference_blocks("5eed" * 16, '{"gender":"female"}', 300)


def test_every_block_holds_each_arm_equally_often_in_a_block_of_four_or_eight():
    generator = blocks("1" * 64, "")

    for _ in range(2000):
        block = next(generator)
        assert len(block) in (4, 8)
        assert Counter(block) == {arm: len(block) // 4 for arm in Arm}


def test_sequence_slots_number_blocks_and_positions_from_one():
    # given the first two blocks of the fixed sequence: sizes 4 and 4
    slots = [sequence_slot("0" * 64, "", index) for index in range(9)]

    assert [(s.block, s.position, s.arm.value) for s in slots] == [
        (1, 1, "b"),
        (1, 2, "a"),
        (1, 3, "none"),
        (1, 4, "ab"),
        (2, 1, "ab"),
        (2, 2, "b"),
        (2, 3, "a"),
        (2, 4, "none"),
        (3, 1, "none"),
    ]


def test_over_ten_thousand_draws_the_arm_frequencies_pass_a_chi_square_test():
    # The first arm of 10,000 independent strata: each draw is a fresh, uniform choice,
    # so the balance comes from the generator and not from the blocks.
    counts = Counter(next(blocks("2" * 64, f"stratum-{i}"))[0] for i in range(10_000))
    expected = 2500
    statistic = sum((counts[arm] - expected) ** 2 / expected for arm in Arm)

    # 16.27 is the 0.999 quantile of chi-square with 3 degrees of freedom.
    assert statistic < 16.27


def test_block_sizes_four_and_eight_are_equally_likely():
    sizes = Counter(len(next(blocks("3" * 64, f"s{i}"))) for i in range(10_000))
    statistic = sum((sizes[size] - 5000) ** 2 / 5000 for size in (4, 8))

    # 10.83 is the 0.999 quantile of chi-square with 1 degree of freedom.
    assert statistic < 10.83


def test_ten_thousand_consecutive_slots_of_one_stratum_stay_within_one_block_of_balance():
    arms = [sequence_slot("4" * 64, "", i).arm for i in range(10_000)]
    running = Counter()

    for arm in arms:
        running[arm] += 1
        assert max(running.values()) - min(running[a] for a in Arm) <= 2


# --- Assigning members -----------------------------------------------------------------


@pytest.mark.django_db
def test_permuted_blocks_assign_members_in_sequence_order_and_record_the_audit_fields():
    # given a wave with permuted blocks stratified by ward
    wave = WaveFactory(allocation_scheme="blocks", strata="ward")
    members = PanelMemberFactory.create_batch(5, council=wave.council, ward="North")

    # when they open in turn
    assignments = [assign_member(wave, member=m) for m in members]

    # then they take the stratum's sequence in order
    stratum = '{"ward":"North"}'
    expected = [sequence_slot("0" * 64, stratum, i) for i in range(5)]
    assert [a.arm for a in assignments] == [s.arm for s in expected]
    assert [(a.block, a.position_in_block) for a in assignments] == [
        (s.block, s.position) for s in expected
    ]
    wave.refresh_from_db()
    assert {(a.stratum, a.scheme, a.design_hash) for a in assignments} == {
        (stratum, "blocks", wave.design_hash)
    }
    assert len(wave.design_hash) == 64
    assert AllocationState.objects.get(wave=wave, stratum=stratum).allocated == 5


@pytest.mark.django_db
def test_strata_combine_the_chosen_attributes():
    wave = WaveFactory(allocation_scheme="blocks", strata="age_band,gender")
    member = PanelMemberFactory(council=wave.council, age_band="65+", gender="female")

    assignment = assign_member(wave, member=member)

    assert assignment.stratum == '{"age_band":"65+","gender":"female"}'
    assert assignment.arm == sequence_slot("0" * 64, assignment.stratum, 0).arm


@pytest.mark.django_db
def test_members_of_one_household_share_an_arm_and_households_fill_blocks():
    # given a cluster wave and three households, the first with three members
    wave = WaveFactory(allocation_scheme="cluster")
    first = PanelMemberFactory.create_batch(3, council=wave.council, household_key="H1")
    second = PanelMemberFactory(council=wave.council, household_key="H2")
    alone = PanelMemberFactory(council=wave.council, household_key="")

    # when everyone opens
    arms = [assign_member(wave, member=m).arm for m in [first[0], second, *first[1:], alone]]

    # then the household shares the first slot, and the others take the next ones
    slots = [sequence_slot("0" * 64, "{}", i).arm for i in range(3)]
    assert arms == [slots[0], slots[1], slots[0], slots[0], slots[2]]
    assert ClusterAllocation.objects.filter(wave=wave).count() == 3
    assert AllocationState.objects.get(wave=wave).allocated == 3
    assert Assignment.objects.get(member=alone).cluster == f"member:{alone.pk}"


@pytest.mark.django_db
def test_a_changed_wave_design_cannot_move_later_allocations_off_the_frozen_one():
    # given a wave frozen with the experiment on
    wave = WaveFactory(allocation_scheme="blocks")
    assign_member(wave, member=PanelMemberFactory(council=wave.council))

    # when someone switches the experiment off behind the admin's back
    with guards_off("wave"):  # the database refuses this; suppose it got through
        Wave.objects.filter(pk=wave.pk).update(experiment_on=False, allocation_scheme="simple")
    later = assign_member(wave, member=PanelMemberFactory(council=wave.council))

    # then the next member still follows the frozen design
    assert later.scheme == "blocks"
    assert later.arm == sequence_slot("0" * 64, "{}", 1).arm


def _run_at_once(count: int, work, *, connections: int) -> list:
    """Start `count` threads that pass a barrier together and then each call `work(i)`.

    Postgres allows 100 connections and other suites share it, so at most `connections`
    threads hold one at a time; the rest queue on a semaphore right behind them, and all
    of them contend for the same stratum row.
    """
    barrier = threading.Barrier(count)
    gate = threading.BoundedSemaphore(connections)
    results: list = [None] * count
    errors: list = []

    def run(i: int) -> None:
        barrier.wait()
        with gate:
            try:
                results[i] = work(i)
            except Exception as error:  # reported below, in the main thread
                errors.append(error)
            finally:
                connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_two_hundred_simultaneous_first_openings_in_one_stratum_stay_balanced(invite):
    # given 200 invited members of one ward in a wave stratified by ward
    wave = WaveFactory(allocation_scheme="blocks", strata="ward")
    invitations = [invite(wave, ward="Central").invitation for _ in range(200)]

    # when all 200 open their links at once
    _run_at_once(200, lambda i: begin_response(invitations[i], language="en")[1].pk, connections=30)

    # then everyone has exactly one assignment, taking the first 200 slots once each
    assignments = list(Assignment.objects.filter(wave=wave))
    assert len(assignments) == 200
    assert len({a.member_id for a in assignments}) == 200
    stratum = '{"ward":"Central"}'
    slots = [sequence_slot("0" * 64, stratum, i) for i in range(200)]
    assert sorted((a.block, a.position_in_block) for a in assignments) == [
        (s.block, s.position) for s in slots
    ]
    # no block holds more members than its size
    sizes = Counter(s.block for s in slots)
    assert all(n <= sizes[block] for block, n in Counter(a.block for a in assignments).items())
    # the arm counts differ by at most half a block (and in fact by at most 2)
    counts = Counter(a.arm for a in assignments)
    assert max(counts.values()) - min(counts[arm] for arm in Arm) <= 2
    assert AllocationState.objects.get(wave=wave, stratum=stratum).allocated == 200
    assert verify_wave_allocation(Wave.objects.get(pk=wave.pk)) == []


@pytest.mark.django_db(transaction=True)
def test_one_member_opening_in_twenty_threads_at_once_gets_one_assignment(invite):
    wave = WaveFactory(allocation_scheme="blocks", strata="ward")
    invitation = invite(wave).invitation

    ids = _run_at_once(
        20, lambda i: assign_member(wave, member=invitation.member).pk, connections=20
    )

    assert len(set(ids)) == 1
    assert Assignment.objects.filter(wave=wave).count() == 1
    assert AllocationState.objects.get(wave=wave).allocated == 1


@pytest.mark.django_db(transaction=True)
def test_one_household_opening_in_twenty_threads_at_once_gets_one_arm(invite):
    wave = WaveFactory(allocation_scheme="cluster")
    members = [invite(wave, household_key="H9").invitation.member for _ in range(20)]

    arms = _run_at_once(20, lambda i: assign_member(wave, member=members[i]).arm, connections=20)

    assert len(set(arms)) == 1
    assert Assignment.objects.filter(wave=wave).count() == 20
    assert ClusterAllocation.objects.filter(wave=wave).count() == 1
    assert AllocationState.objects.get(wave=wave).allocated == 1


@pytest.mark.django_db
def test_a_draft_wave_allocates_nobody_and_stays_unfrozen():
    wave = WaveFactory(status="draft")

    with pytest.raises(AllocationError, match="A draft wave allocates nobody"):
        assign_member(wave, member=PanelMemberFactory(council=wave.council))

    assert Assignment.objects.count() == 0
    assert Wave.objects.get(pk=wave.pk).design_hash == ""


@pytest.mark.django_db
def test_a_cluster_wave_cannot_be_stratified_by_personal_attributes():
    wave = WaveFactory.build(allocation_scheme="cluster", strata="ward,gender")

    with pytest.raises(ValidationError) as error:
        wave.clean()

    assert list(error.value.message_dict) == ["strata"]
