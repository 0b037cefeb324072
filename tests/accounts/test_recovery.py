"""Recovery codes: a set of one-time codes, stored as keyed digests, replaced as a whole."""

import pytest

from accounts.models import RecoveryCode
from accounts.recovery import CODES_PER_SET, make_recovery_codes, unused_codes, use_recovery_code
from audit.models import AuditEntry
from tests.factories import UserFactory


@pytest.mark.django_db
def test_a_set_holds_ten_distinct_codes_none_stored_in_plain():
    user = UserFactory()

    codes = make_recovery_codes(user)

    assert len(set(codes)) == CODES_PER_SET == 10
    stored = " ".join(RecoveryCode.objects.values_list("code_hash", flat=True))
    for code in codes:
        assert code not in stored
        assert code.replace("-", "") not in stored
    assert AuditEntry.objects.filter(action="make_recovery_codes", user=user).count() == 1


@pytest.mark.django_db
def test_each_code_works_once_whatever_its_spelling():
    user = UserFactory()
    code = make_recovery_codes(user)[0]

    first = use_recovery_code(user, f"  {code.upper()} ")
    again = use_recovery_code(user, code)

    assert (first, again) == (True, False)
    assert unused_codes(user) == 9
    assert AuditEntry.objects.filter(action="use_recovery_code", user=user).count() == 1


@pytest.mark.django_db
def test_a_code_of_another_user_does_not_work():
    owner, other = UserFactory(), UserFactory()
    code = make_recovery_codes(owner)[0]
    make_recovery_codes(other)

    assert use_recovery_code(other, code) is False
    assert unused_codes(owner) == unused_codes(other) == 10


@pytest.mark.django_db
def test_a_new_set_replaces_the_old_one():
    user = UserFactory()
    old = make_recovery_codes(user)

    new = make_recovery_codes(user)

    assert use_recovery_code(user, old[0]) is False
    assert use_recovery_code(user, new[0]) is True
    assert RecoveryCode.objects.filter(user=user).count() == 10
