"""The session store reads a session with one plain statement, as Django's own store would."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from surveyplatform.sessions import SessionStore

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
