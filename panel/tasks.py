"""Periodic panel jobs."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from panel.erasure import erase_expired_members


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), max_retries=3)
def erase_expired_members_task() -> int:
    """Erase the members past their council's retention period (safe to run twice)."""
    return erase_expired_members()
