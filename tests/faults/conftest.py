import os

import pytest

from tests.faults.processes import Stack


@pytest.fixture(scope="session")
def stack():
    """Start this run's own Postgres, Redis, gunicorn, Celery worker and outbox sweeper."""
    stack = Stack()
    try:
        stack.start()
    except BaseException:
        logs = stack.logs()
        stack.stop()
        raise RuntimeError(f"The fault-test stack did not start:\n{logs}") from None
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def healthy_stack(stack, request):
    """Hand over the stack with every server up, and put it back up after the test."""
    stack.ensure_up()
    yield stack
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print(stack.logs())  # noqa: T201
    stack.ensure_up()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))
