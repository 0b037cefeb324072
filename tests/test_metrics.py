"""What an operator watches: Prometheus metrics at /metrics and the deep health check."""

from datetime import timedelta

import pytest
from django.utils import timezone

from experiments.models import Response, ResponseStatus
from outbox.models import MessageStatus, OutboxMessage
from tests.factories import PanelMemberFactory, WaveFactory

pytestmark = pytest.mark.django_db


def _metric(body: str, name: str) -> float:
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in the metrics:\n{body}")


def test_metrics_answer_only_the_allowed_addresses_or_the_token(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = "s3cret-scraper-token"

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scraper-token").status_code == 200
    )
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404


def test_metrics_show_latency_by_view_the_outbox_jobs_e_mails_and_completions(client, settings):
    # Given a page served, two jobs waiting (one for ten minutes) and a completed response
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    client.get("/")
    old = OutboxMessage.objects.create(task_name="x.y", status=MessageStatus.PENDING)
    OutboxMessage.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    OutboxMessage.objects.create(task_name="x.y", status=MessageStatus.SENT)
    OutboxMessage.objects.create(task_name="x.y", status=MessageStatus.FAILED)
    wave = WaveFactory()
    member = PanelMemberFactory(council=wave.council)
    Response.objects.create(
        wave=wave, member=member, status=ResponseStatus.COMPLETE, submitted_at=timezone.now()
    )

    body = client.get("/metrics").content.decode()

    latency = 'surveyplatform_request_duration_seconds_count{method="GET",status="2xx",view="home"}'
    assert latency in body
    assert _metric(body, "surveyplatform_outbox_backlog") == 2
    assert 590 <= _metric(body, "surveyplatform_outbox_oldest_age_seconds") <= 700
    assert 'surveyplatform_jobs{kind="outbox",state="failed"} 1.0' in body
    assert "surveyplatform_respondent_completions_total 1.0" in body
    assert "surveyplatform_emails_total" in body


def test_deep_health_checks_database_broker_and_outbox_lag(client, settings):
    settings.OUTBOX_LAG_LIMIT = 120
    shallow = client.get("/healthz")
    deep = client.get("/healthz?deep=1")
    assert shallow.status_code == deep.status_code == 200
    assert deep.json() == {"database": "ok", "broker": "ok", "outbox": "ok"}

    # When a job has waited longer than the limit, a load balancer sees it
    job = OutboxMessage.objects.create(task_name="x.y")
    OutboxMessage.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    lagging = client.get("/healthz?deep=1")
    assert lagging.status_code == 503
    assert lagging.json()["outbox"] == "lagging"
    assert client.get("/healthz").status_code == 200


def test_deep_health_fails_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz?deep=1")
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
