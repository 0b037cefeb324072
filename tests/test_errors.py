"""Error pages for an unreachable database."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from surveyplatform.errors import DatabaseUnavailableMiddleware, server_error


@pytest.mark.parametrize("error", [OperationalError("server closed"), InterfaceError("closed")])
def test_a_view_failing_on_an_unreachable_database_answers_503_with_retry_after(error):
    request = RequestFactory().post("/survey/")
    middleware = DatabaseUnavailableMiddleware(lambda r: None)

    response = middleware.process_exception(request, error)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Service briefly unavailable" in response.content.decode()


def test_other_view_errors_are_left_to_the_500_page():
    request = RequestFactory().get("/survey/")
    middleware = DatabaseUnavailableMiddleware(lambda r: None)

    assert middleware.process_exception(request, ValueError("a bug")) is None


def test_a_database_error_outside_the_view_still_answers_503():
    # given the session could not be saved after the view ran (no process_exception then)
    request = RequestFactory().get("/survey/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        # when Django's handler for uncaught errors runs, inside the except block
        response = server_error(request)

    # then
    assert response.status_code == 503


def test_any_other_uncaught_error_answers_500():
    request = RequestFactory().get("/survey/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)

    assert response.status_code == 500


def test_a_session_lost_to_an_unreachable_database_answers_503_not_400():
    from django.contrib.sessions.backends.base import UpdateError
    from django.contrib.sessions.exceptions import SessionInterrupted

    from surveyplatform.errors import bad_request

    request = RequestFactory().get("/survey/")
    # given the session's save failed on the database, as SessionMiddleware reports it
    try:
        try:
            try:
                raise OperationalError("the database system is shutting down")
            except OperationalError:
                raise UpdateError from None
        except UpdateError:
            raise SessionInterrupted("The request's session was deleted") from None
    except SessionInterrupted as interrupted:
        error = interrupted

    # when the 400 handler sees it
    response = bad_request(request, error)

    # then
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
