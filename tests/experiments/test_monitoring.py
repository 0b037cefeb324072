import math

import pytest
from scipy.stats import chi2_contingency

from experiments.assignment import assign_member
from experiments.models import Exposure, NudgeText, Response, Wave
from experiments.monitoring import (
    arm_labels,
    covariate_balance,
    joint_balance_test,
    monitor_wave,
    sample_ratio_check,
    standardised_difference,
)
from tests.factories import PanelMemberFactory, UserFactory, WaveFactory


def _chi2_sf_three_df(x):
    # Closed form of the chi-square survival function with 3 degrees of freedom.
    return math.erfc(math.sqrt(x / 2)) + math.sqrt(2 * x / math.pi) * math.exp(-x / 2)


def test_the_sample_ratio_check_is_pearsons_chi_square_against_the_design():
    check = sample_ratio_check([30, 10, 10, 10], [1, 1, 1, 1])

    assert check.expected == (15.0, 15.0, 15.0, 15.0)
    assert check.statistic == pytest.approx(20.0)
    assert check.df == 3
    assert check.p_value == pytest.approx(_chi2_sf_three_df(20.0))
    assert check.flagged is True


def test_a_chance_imbalance_is_not_flagged():
    check = sample_ratio_check([27, 25, 24, 24], [1, 1, 1, 1])

    assert check.statistic == pytest.approx((4 + 0 + 1 + 1) / 25)
    assert check.p_value == pytest.approx(_chi2_sf_three_df(0.24))
    assert check.flagged is False


def test_no_assignments_give_no_sample_ratio_statistic():
    check = sample_ratio_check([0, 0, 0, 0], [1, 1, 1, 1])

    assert (check.statistic, check.p_value, check.flagged) == (None, None, False)


def test_the_standardised_difference_uses_the_pooled_variance_of_two_proportions():
    assert standardised_difference(0.5, 0.3) == pytest.approx(0.2 / math.sqrt(0.23))
    assert standardised_difference(0.4, 0.4) == 0.0


def test_covariate_balance_compares_each_arm_with_the_others_pooled():
    # given 4 members in arm a (3 women) and 4 in arm none (1 woman)
    arms = ["a"] * 4 + ["none"] * 4
    genders = ["f", "f", "f", "m", "f", "m", "m", "m"]

    levels = covariate_balance(arms, [{"gender": g} for g in genders])

    female = levels[0]
    assert (female.covariate, female.level) == ("gender", "f")
    assert female.shares == {"a": 0.75, "none": 0.25}
    d = 0.5 / math.sqrt((0.75 * 0.25 + 0.25 * 0.75) / 2)
    assert female.standardised_differences == pytest.approx({"a": d, "none": -d})
    assert female.flagged is True


def test_the_joint_test_with_one_covariate_equals_pearsons_chi_square_of_the_table():
    # given a 4-arm × 3-ward table of counts
    table = [[10, 4, 6], [7, 8, 5], [5, 5, 9], [8, 6, 7]]
    arms, rows = [], []
    for arm, counts in zip(["ab", "a", "b", "none"], table, strict=True):
        for ward, count in zip(["East", "North", "West"], counts, strict=True):
            arms += [arm] * count
            rows += [{"ward": ward}] * count

    result = joint_balance_test(arms, rows)

    reference = chi2_contingency(table, correction=False)
    assert result.statistic == pytest.approx(reference.statistic)
    assert result.df == reference.dof == 6
    assert result.p_value == pytest.approx(reference.pvalue)


def test_the_joint_test_counts_every_covariate_column():
    arms = ["ab", "a", "b", "none"] * 10
    rows = [{"ward": "N" if i % 3 else "S", "gender": "f" if i % 2 else "m"} for i in range(40)]

    result = joint_balance_test(arms, rows)

    assert result.df == 3 * 2


@pytest.mark.django_db
def test_neutral_labels_are_a_seeded_permutation_of_group_numbers():
    wave = WaveFactory()

    labels = arm_labels(wave, reveal=False)

    assert sorted(labels.values()) == ["Group 1", "Group 2", "Group 3", "Group 4"]
    assert labels == arm_labels(Wave.objects.get(pk=wave.pk), reveal=False)
    assert arm_labels(wave, reveal=True)["ab"] == "A and B"


@pytest.mark.django_db
def test_the_monitor_counts_the_flow_per_arm(invite, open_wave):
    # given five members who opened, two of whom were shown a nudge and one completed
    # (permuted blocks: any five consecutive openings hold at least three nudged members)
    open_wave.allocation_scheme = "blocks"
    open_wave.save(update_fields=["allocation_scheme"])
    issued = [invite() for _ in range(6)]
    assignments = [assign_member(open_wave, member=i.invitation.member) for i in issued[:5]]
    nudged = [a for a in assignments if a.arm != "none"][:2]
    text = NudgeText.objects.filter(wave=open_wave).first()
    for index, assignment in enumerate(nudged):
        response = Response.objects.create(
            wave=open_wave,
            member=assignment.member,
            status="complete" if index else "partial",
            submitted_at=assignment.assigned_at if index else None,
        )
        Exposure.objects.create(response=response, nudge_text=text)

    # when an admin who may see the arms looks
    monitor = monitor_wave(Wave.objects.get(pk=open_wave.pk), reveal=True)

    # then
    assert (monitor.invited, monitor.opened, monitor.exposed) == (6, 5, 2)
    assert (monitor.partial, monitor.completed) == (1, 1)
    opened = {row.arm: row.opened for row in monitor.arms}
    assert opened == {arm: sum(a.arm == arm for a in assignments) for arm in opened}
    assert sum(row.exposed for row in monitor.arms) == 2
    assert set(monitor.balance[0].shares) <= {"A and B", "A only", "B only", "None"}
    assert monitor.sample_ratio.observed == tuple(opened[a] for a in ["ab", "a", "b", "none"])


@pytest.mark.django_db
def test_the_monitor_hides_arm_names_and_exposures_per_arm_when_asked(invite, open_wave):
    for _ in range(4):
        assign_member(open_wave, member=invite().invitation.member)

    monitor = monitor_wave(Wave.objects.get(pk=open_wave.pk), reveal=False)

    assert [row.label for row in monitor.arms] == ["Group 1", "Group 2", "Group 3", "Group 4"]
    assert {row.arm for row in monitor.arms} == {""}
    assert {row.exposed for row in monitor.arms} == {None}
    assert set(monitor.balance[0].shares) <= {"Group 1", "Group 2", "Group 3", "Group 4"}


@pytest.mark.django_db
def test_the_monitor_of_a_wave_without_the_experiment_has_no_tests():
    wave = WaveFactory(experiment_on=False)
    assign_member(wave, member=PanelMemberFactory(council=wave.council))

    monitor = monitor_wave(Wave.objects.get(pk=wave.pk), reveal=True)

    assert (monitor.experiment_on, monitor.scheme) == (False, "off")
    assert [(row.arm, row.label, row.opened) for row in monitor.arms] == [
        ("none", "Everyone (experiment off)", 1)
    ]
    assert (monitor.sample_ratio, monitor.balance, monitor.joint_balance) == (None, (), None)


# --- The admin page --------------------------------------------------------------------


def _staff(council, role):
    from django.contrib.auth.models import Permission

    from experiments.models import CouncilMembership

    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_wave"))
    if role:
        CouncilMembership.objects.create(user=user, council=council, role=role)
    return user


@pytest.mark.django_db
def test_a_council_admin_sees_the_monitor_under_neutral_group_labels(client, invite, open_wave):
    for _ in range(8):
        assign_member(open_wave, member=invite().invitation.member)
    client.force_login(_staff(open_wave.council, "admin"))

    dashboard = client.get(f"/console/waves/{open_wave.pk}/dashboard/")
    groups = client.get(f"/console/waves/{open_wave.pk}/dashboard/groups/")

    assert (dashboard.status_code, groups.status_code) == (200, 200)
    assert "Group 1" in dashboard.content.decode()
    text = groups.content.decode()
    assert "Group 1" in text
    assert "Chi-square" in text
    for page in (dashboard.content.decode(), text):
        for name in ["A and B", "A only", "B only"]:
            assert name not in page


@pytest.mark.django_db
def test_a_superuser_sees_the_arm_names_and_the_change_page_links_the_monitor(
    admin_client, invite, open_wave
):
    assign_member(open_wave, member=invite().invitation.member)

    page = admin_client.get(f"/admin/experiments/wave/{open_wave.pk}/allocation/")
    change = admin_client.get(f"/admin/experiments/wave/{open_wave.pk}/change/")

    assert "A and B" in page.content.decode()
    assert f"/admin/experiments/wave/{open_wave.pk}/allocation/" in change.content.decode()


@pytest.mark.django_db
def test_staff_of_another_council_are_refused_the_monitor(client, open_wave):
    client.force_login(_staff(WaveFactory().council, "admin"))

    admin_page = client.get(f"/admin/experiments/wave/{open_wave.pk}/allocation/")
    console_page = client.get(f"/console/waves/{open_wave.pk}/")

    # The Django admin is for superusers only; the console answers 404 for other councils.
    assert admin_page.status_code == 302
    assert admin_page["Location"].startswith("/admin/login/")
    assert console_page.status_code == 404
