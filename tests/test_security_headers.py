import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/survey/", "/i/unknown-token/", "/admin/login/"])
def test_every_page_carries_the_security_headers(client, path):
    response = client.get(path)

    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] in {"same-origin", "no-referrer"}


@pytest.mark.django_db
def test_survey_pages_are_never_cached(client):
    response = client.get("/survey/")

    assert "no-store" in response["Cache-Control"]
