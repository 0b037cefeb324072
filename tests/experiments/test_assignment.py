import threading

import pytest
from django.db import connection

from experiments.assignment import assign_member, simple_arm
from experiments.models import Arm, Assignment
from tests.factories import PanelMemberFactory, WaveFactory


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
