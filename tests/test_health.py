import pytest
from django.db import connection


@pytest.mark.django_db
def test_health_reports_database_and_broker(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_health_reports_an_unreachable_broker_without_failing(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["broker"] == "unavailable"


@pytest.mark.django_db(transaction=True)
def test_health_is_503_when_the_database_is_unreachable(client):
    # given the connection points at a port where no Postgres listens
    connection.close()
    original_port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "1"
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port

    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
