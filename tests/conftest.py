import pytest
from django.conf import settings
from django.utils import translation

from experiments.invitations import issue_invitation
from tests.factories import (
    ActivityFactory,
    NudgeTextFactory,
    PanelMemberFactory,
    WaveFactory,
    WaveThemeFactory,
)


@pytest.fixture(autouse=True)
def _each_test_starts_in_english():
    """Start every test in the site's default language.

    A request's locale middleware leaves its language active in the thread afterwards, so a
    test after a Welsh page would otherwise read Welsh from code outside a request.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _celery_in_process(settings):
    """Run tasks in-process unless a test starts a real worker."""
    # The app reads Django settings under the CELERY_ namespace, and those keys win
    # over the short names, so overrides must use the namespaced keys too.
    from surveyplatform.celery import app

    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def open_wave(db):
    """An open wave with one theme of three activities and both nudge texts."""
    wave = WaveFactory()
    wave_theme = WaveThemeFactory(wave=wave)
    for _ in range(3):
        ActivityFactory(theme=wave_theme.theme)
    NudgeTextFactory(wave=wave, theme=wave_theme.theme, nudge="a")
    NudgeTextFactory(wave=wave, theme=wave_theme.theme, nudge="b")
    return wave


@pytest.fixture
def invite(open_wave):
    """Return a function that invites a new member of the wave's council; gives the link."""

    def make(wave=None, **member_fields):
        wave = wave or open_wave
        member = PanelMemberFactory(council=wave.council, **member_fields)
        return issue_invitation(wave, member=member)

    return make


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium():
    """Debian's headless Chromium, driven by Playwright; never a downloaded browser.

    Module-scoped so that the environment variable below lives only as long as the
    browser: `manage.py check --deploy` (run by another test) refuses it.
    """
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API marks an event loop as running in this thread; the tests' own
    # ORM calls are still synchronous, so Django's guard against ORM use in a loop would
    # refuse them wrongly.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
