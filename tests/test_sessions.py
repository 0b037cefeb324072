"""The session store reads a session with one plain statement, as Django's own store would."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from surveyplatform.sessions import SessionStore, key_names

pytestmark = pytest.mark.django_db


def test_a_saved_session_is_read_back_with_its_data():
    store = SessionStore()
    store["invitation_id"] = 42
    store.save()
    assert SessionStore(session_key=store.session_key)["invitation_id"] == 42


def test_an_expired_or_unknown_session_reads_as_empty_and_gets_no_key():
    store = SessionStore()
    store["invitation_id"] = 42
    store.save()
    Session.objects.filter(pk=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    expired = SessionStore(session_key=store.session_key)
    assert expired.get("invitation_id") is None
    assert expired.session_key is None
    unknown = SessionStore(session_key="x" * 32)
    assert unknown.get("invitation_id") is None
    assert unknown.session_key is None


def test_a_new_session_is_written_in_one_insert_and_a_key_in_use_is_drawn_again(
    monkeypatch, django_assert_num_queries
):
    # Given a session already stored under a key
    taken = SessionStore()
    taken["note"] = 1
    taken.save()
    # When the next key drawn is that one, then a fresh one
    keys = iter([taken.session_key, "f" * 32])
    monkeypatch.setattr("surveyplatform.sessions.get_random_string", lambda *a: next(keys))
    store = SessionStore()
    store["note"] = 2
    store.save()
    # Then the new session has the fresh key, and the stored one is unchanged
    assert store.session_key == "f" * 32
    assert SessionStore(session_key=taken.session_key)["note"] == 1
    assert SessionStore(session_key="f" * 32)["note"] == 2
    # And a new session costs its insert only (with its savepoint), no look-up first
    monkeypatch.setattr("surveyplatform.sessions.get_random_string", lambda *a: "e" * 32)
    with django_assert_num_queries(3):
        fresh = SessionStore()
        fresh["note"] = 3
        fresh.save()


def test_a_member_s_session_key_names_their_invitation_and_only_that():
    store = SessionStore()
    store["invitation_id"] = 4321
    store.save()
    assert key_names(store.session_key) == 4321
    assert len(store.session_key) <= 40
    staff = SessionStore()
    staff["_auth_user_id"] = "7"
    staff.save()
    assert key_names(staff.session_key) is None
    for key in (
        None,
        "",
        "x" * 40,
        "a" * 28 + "-",
        "a" * 28 + "-12x",
        "a" * 27 + "-123",
        "a" * 28 + "-١٢",
    ):
        assert key_names(key) is None
