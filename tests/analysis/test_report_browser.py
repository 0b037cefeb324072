"""The results page in a real browser: readable on a phone (390 px) and on a desktop."""

import pytest

from tests.analysis.test_views import make_analysed_wave
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1280)


@pytest.fixture
def wave_and_user():
    # Made before the browser starts: Playwright's event loop makes later ORM calls look
    # asynchronous to Django.
    wave = make_analysed_wave()
    user = UserFactory(username="reader", is_superuser=True)
    return wave, user


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_page_never_scrolls_sideways_and_its_tables_scroll_in_their_own_box(
    live_server, chromium, wave_and_user, language, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    wave, _user = wave_and_user
    context = chromium.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/console/login/")
    page.fill("#id_username", "reader")
    page.fill("#id_password", "a-long-test-password")
    page.click("form:has(#id_password) button[type=submit]")
    page.wait_for_load_state()

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/results/{wave.pk}/?lang={language}")

        assert page.locator("html").get_attribute("lang") == language
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # every table sits in a box of its own that scrolls, never wider than the page
        assert page.evaluate(
            "Array.from(document.querySelectorAll('table')).every("
            "t => t.parentElement.classList.contains('table-scroll'))"
        )
        assert page.evaluate(
            "Array.from(document.querySelectorAll('.table-scroll, svg')).every("
            f"e => e.getBoundingClientRect().right <= {width})"
        )
        # the charts scale to the page, their text no smaller than 9 px on a phone
        smallest = page.evaluate(
            "Math.min(...Array.from(document.querySelectorAll('svg.chart text'))"
            ".map(t => t.getBoundingClientRect().height))"
        )
        assert smallest >= 9
    context.close()
